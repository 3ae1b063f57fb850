"""The sample project that ``pmanalytics demo`` builds once per test run (tests/conftest.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SampleProject:
    """A project folder holding the sample, its config, and the warehouse ``demo`` built."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "pmanalytics.toml"

    @property
    def db(self) -> Path:
        return self.root / "data" / "warehouse.duckdb"

    @property
    def data_docs(self) -> Path:
        """Where the sample config puts GX's Data Docs (relative to the config file)."""
        return self.root / "reports" / "data_docs"


def fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
