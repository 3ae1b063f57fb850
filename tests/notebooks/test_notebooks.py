"""Every notebook runs top to bottom (nbclient) from ``notebooks/`` of a built project.

Jupyter starts a kernel in the notebook's own folder, one level below the project: the
notebooks must find ``../pmanalytics.toml`` and its warehouse from there, with no
``PMA_DB_PATH`` to help them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.sample_project import SampleProject

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def project(sample_project: SampleProject, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's built sample project with the notebooks in ``notebooks/``."""
    root = tmp_path_factory.mktemp("notebooks") / "project"
    shutil.copytree(sample_project.root, root)
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    return root


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 4, "notebooks/ holds fewer than the four notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name


@pytest.mark.slow  # a kernel and the library's imports: 5–15 s a notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_from_the_notebooks_folder(path: Path, project: Path) -> None:
    folder = project / "notebooks"
    notebook = nbformat.read(folder / path.name, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    env = {k: v for k, v in os.environ.items() if k != "PMA_DB_PATH"}
    client.execute(env=env, cwd=str(folder))
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", (path.name, output)
    text = "".join(
        str(o.get("text", "")) + json.dumps(o.get("data", {}))
        for c in notebook.cells
        for o in c.get("outputs", [])
    )
    assert "WarehouseError" not in text and "does not exist" not in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starting a Jupyter server: ~5–10 s
def test_jupyterlab_starts_in_the_notebooks_folder(project: Path) -> None:
    """What `make notebook` runs: JupyterLab from notebooks/, serving the notebooks."""
    jupyter = Path(sys.executable).with_name("jupyter")
    assert jupyter.exists(), "JupyterLab is missing: it is in the dev extra (`make env`)"
    port, token = _free_port(), "pma-test"
    server = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            "--LabApp.extension_manager=readonly",  # no PyPI queries
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            "--ServerApp.ip=127.0.0.1",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
        ],
        cwd=project / "notebooks",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(project / ".jupyter-runtime")},
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token={token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    listing = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        names = {item["name"] for item in listing["content"]}
        assert {p.name for p in NOTEBOOKS} <= names
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}") as page:
            assert page.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
