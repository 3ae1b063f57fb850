"""Helpers shared by the benchmarks: isolated timed runs, medians, the machine, the docs table.

Each measurement runs in a fresh child process so that its peak RSS is its own; ours and
the baseline run in the same benchmark invocation on the same files, so their ratio holds
on a noisy shared machine even when absolute times drift.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Measurement:
    seconds: float
    rows: int
    max_rss_mb: float
    #: CPU time (user + system, all threads) of the timed work, when the worker reports it:
    #: on a shared machine it moves far less than wall time with the load of others
    cpu_seconds: float | None = None


def run_worker(module: str, *args: str) -> Measurement:
    """Run ``python -m module --worker args…``; the worker prints one JSON line last."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--worker", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module} worker failed:\n{result.stderr[-4000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return Measurement(data["seconds"], data["rows"], data["max_rss_mb"], data.get("cpu_seconds"))


def copy_warehouse(source: Path, target: Path) -> Path:
    """Copy a warehouse file for a timed run, flushed to disk before the run starts.

    A fresh copy sits in the page cache as dirty pages, and the timed run's first commit
    (DuckDB syncs its files) waits for the kernel to write them out: on the 2-core host, our
    10M marts worker took a median 5.04 s on an unflushed copy against 4.02 s on a flushed
    one, while a baseline that only reads (pandas) pays nothing. A warehouse an earlier run
    left is on disk already; so is the copy once flushed here, outside the timing.
    """
    shutil.copyfile(source, target)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


def peak_rss_mb(pid: int | None = None) -> float:
    """The peak RSS of this process (or of process ``pid``: 0 if it cannot be read).

    ``ru_maxrss`` survives ``exec`` on Linux, so a worker started by a large parent (one that
    loaded an embedding model, say) would report the parent's peak; ``VmHWM`` belongs to the
    process image, so it is read first.
    """
    try:
        status = Path(f"/proc/{pid or 'self'}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid is not None:
        return 0.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_report(seconds: float, rows: int, cpu_seconds: float | None = None) -> None:
    report = {"seconds": seconds, "rows": rows, "max_rss_mb": peak_rss_mb()}
    if cpu_seconds is not None:
        report["cpu_seconds"] = cpu_seconds
    print(json.dumps(report))


def median(values: list[float]) -> float:
    return statistics.median(values)


def interpreter() -> str:
    """The Python that runs this benchmark, as a command line to repeat it names it."""
    executable = Path(sys.executable)
    return str(executable.relative_to(REPO)) if executable.is_relative_to(REPO) else sys.executable


def environment() -> str:
    """Which install the figures come from: the dev extra adds ~1.1 s to every Great
    Expectations import (docs/decisions.md, *Benchmark environment*). pytest, which only
    the dev extra installs, tells the two apart."""
    try:
        version("pytest")
    except PackageNotFoundError:
        return "runtime dependencies only"
    return "runtime dependencies plus the dev extra"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        text = Path("/proc/cpuinfo").read_text()
        match = re.search(r"model name\s*:\s*(.+)", text)
        cpu = match.group(1).strip() if match else cpu
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}, {platform.system()}; "
        f"{environment()}"
    )


def write_section(name: str, markdown: str, *, first: bool = False) -> None:
    """Replace the section between ``<!-- name:start -->`` and ``<!-- name:end -->``.

    A section not yet in the file is appended, or with ``first`` put right under the title
    (the summary a reader should see before the per-component tables).
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    elif first and text.startswith("# "):
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{block}\n\n{rest.lstrip()}"
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOCS.write_text(text)
