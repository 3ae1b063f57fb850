"""What the wheel installs: one top-level package, with sql/ and flows/ inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hatchling.builders.wheel import WheelBuilder

    out = tmp_path_factory.mktemp("wheel")
    [path] = WheelBuilder(str(REPO)).build(directory=str(out), versions=["standard"])
    return Path(path)


def test_the_wheel_installs_only_pmanalytics(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"pmanalytics", "pmanalytics-0.1.0.dist-info"}
    assert "pmanalytics/_flows/pipeline.py" in names  # no top-level `flows` to clash with
    assert "pmanalytics/_sql/staging/events.sql" in names


@pytest.mark.slow  # a fresh interpreter importing Prefect from the wheel: ~5 s of CPU
def test_an_installed_wheel_finds_its_flow_and_models(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys\n"
        f"sys.path = [{str(site)!r}] + [p for p in sys.path if p not in ('', {str(REPO)!r})]\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('flows') is None, 'a top-level flows was installed'\n"
        "from pmanalytics.cli import _flow\n"
        "from pmanalytics.warehouse import sql_dir\n"
        f"assert str(sql_dir()).startswith({str(site)!r}), sql_dir()\n"
        "flow = _flow()\n"
        "assert flow.name == 'pmanalytics-pipeline'\n"
        "print(flow.fn.__module__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pmanalytics._flows.pipeline"
