"""The order the xdist workers take modules in (tests/conftest.py): it must keep pointing at
real modules, and xdist must be told to keep it, or the slow set's workers finish minutes
apart again without any test failing."""

from __future__ import annotations

from tests.conftest import LONGEST_MODULES, REPO


def test_every_module_named_as_longest_exists() -> None:
    missing = [module for module in LONGEST_MODULES if not (REPO / module).is_file()]
    assert not missing, f"renamed or removed; update LONGEST_MODULES: {missing}"


def test_the_makefile_keeps_the_conftest_order() -> None:
    pytest_line = next(
        line for line in (REPO / "Makefile").read_text().splitlines() if line.startswith("PYTEST")
    )
    assert "--dist loadscope --no-loadscope-reorder" in pytest_line
