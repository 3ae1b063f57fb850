"""What each input file hashed to, so a rerun need not read the files it loaded before.

Whether a file was loaded is decided by its content hash (``meta.ingested_files.sha256``),
and a scheduled run sees every file of its sources again: hashing them all cost 0.32 s for
the 74 files (393 MB) of the 10M benchmark, and grows with every day kept. A file whose
size, modification and status-change times (nanoseconds) and inode are those recorded when
it was hashed has the recorded hash, as git's index and rsync assume. Two guards:

* the status-change time (``st_ctime``) cannot be set by a program: a file rewritten and
  given its old modification time back (``touch -d``, ``cp -p``) still differs;
* a file changed less than :data:`RACY_SECONDS` before it was hashed is hashed again next
  time: a file system whose clock is coarse (FAT keeps two seconds) could hide a change
  made right after the hash (git's "racy" entries).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pmanalytics.warehouse import transaction

#: A file changed this close before its hashing is not trusted on a later run.
RACY_SECONDS = 2.0


@dataclass(frozen=True)
class FileStamp:
    """What the file system says about a file; equal stamps mean equal content."""

    bytes: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        info = os.stat(path)
        return cls(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


@dataclass(frozen=True)
class Hashed:
    stamp: FileStamp
    sha256: str
    hashed_at_ns: int

    def trusted(self) -> bool:
        changed_ns = max(self.stamp.mtime_ns, self.stamp.ctime_ns)
        return self.hashed_at_ns - changed_ns > RACY_SECONDS * 1e9


class HashMemo:
    """File hashes read from ``meta.file_hashes``, and the ones computed in this run.

    ``sha256`` is called from the ingest's staging thread; ``fresh`` is read after it ended.
    """

    def __init__(self, known: dict[str, Hashed], hash_file: Callable[[Path], tuple[str, int]]):
        self._known = known
        self._hash_file = hash_file
        self._lock = threading.Lock()
        self.fresh: dict[str, Hashed] = {}

    def sha256(self, path: Path) -> tuple[str, int]:
        """The file's content hash and size: recorded when its stamp is unchanged, else read."""
        before = FileStamp.of(path)
        recorded = self._known.get(str(path))
        if recorded is not None and recorded.stamp == before and recorded.trusted():
            return recorded.sha256, before.bytes
        hashed_at_ns = time.time_ns()
        digest, size = self._hash_file(path)
        if FileStamp.of(path) == before and size == before.bytes:  # not written meanwhile
            with self._lock:
                self.fresh[str(path)] = Hashed(before, digest, hashed_at_ns)
        return digest, size


def read_memo(
    con: duckdb.DuckDBPyConnection, hash_file: Callable[[Path], tuple[str, int]]
) -> HashMemo:
    rows = con.execute(
        "select path, bytes, mtime_ns, ctime_ns, inode, sha256, hashed_at_ns from meta.file_hashes"
    ).fetchall()
    known = {
        path: Hashed(FileStamp(size, mtime, ctime, inode), digest, hashed_at)
        for path, size, mtime, ctime, inode, digest, hashed_at in rows
    }
    return HashMemo(known, hash_file)


def write_memo(con: duckdb.DuckDBPyConnection, memo: HashMemo) -> None:
    """Record this run's hashes (one row per path: a file hashed again replaces its row)."""
    if not memo.fresh:
        return
    fresh = pa.table(
        {
            "path": list(memo.fresh),
            "bytes": [h.stamp.bytes for h in memo.fresh.values()],
            "mtime_ns": [h.stamp.mtime_ns for h in memo.fresh.values()],
            "ctime_ns": [h.stamp.ctime_ns for h in memo.fresh.values()],
            "inode": pa.array([h.stamp.inode for h in memo.fresh.values()], pa.uint64()),
            "sha256": [h.sha256 for h in memo.fresh.values()],
            "hashed_at_ns": [h.hashed_at_ns for h in memo.fresh.values()],
        }
    )
    con.register("_pma_fresh_hashes", fresh)
    try:
        with transaction(con):
            con.execute(
                "delete from meta.file_hashes where path in (select path from _pma_fresh_hashes)"
            )
            con.execute("insert into meta.file_hashes by name select * from _pma_fresh_hashes")
    finally:
        con.unregister("_pma_fresh_hashes")


def loaded_hashes(con: duckdb.DuckDBPyConnection, kind: str) -> frozenset[str]:
    """The content hashes of every file of ``kind`` loaded before this run."""
    rows = con.execute(
        "select distinct sha256 from meta.ingested_files where kind = ?", [kind]
    ).fetchall()
    return frozenset(r[0] for r in rows)
