"""Reading input files safely: fingerprint, format, encoding, and lines as Arrow batches.

A file is read twice at most: once to hash it and prove it is UTF-8 (so a bad file fails
before anything is written), once to load it. Both passes work on large chunks at C speed
(hashlib, the UTF-8 codec, Arrow's string kernels); nothing loops over rows in Python.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import stat
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import igzip, isal_zlib

from pmanalytics.errors import IngestError

CHUNK_BYTES = 4 * 1024 * 1024
#: A record (one NDJSON line) longer than this is quarantined, not parsed: DuckDB needs
#: several times a record's size to parse it, and a 50 MB line did not fit in 1 GB.
MAX_LINE_BYTES = 8 * 1024 * 1024
#: A compressed file that expands more than this many times is refused (a "zip bomb":
#: 7 MB expanded to 3.9 GB); below FLOOR_BYTES of output any ratio is fine.
MAX_EXPANSION = 200
EXPANSION_FLOOR_BYTES = 256 * 1024 * 1024
#: How much of an over-long line the quarantine row keeps
_PREVIEW_CHARS = 200
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SUFFIX_FORMATS = {
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class FileFacts:
    """What we know about an input file before loading it."""

    path: Path
    sha256: str
    bytes: int
    format: str  # ndjson | json | csv | parquet
    compressed: bool


#: What reading a damaged file can raise: EOFError (a truncated gzip), OSError (gzip's bad
#: checksum or header is one), ISA-L's error (a broken deflate stream; zlib's is zlib.error)
READ_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, isal_zlib.error)


def unreadable(path: str | Path, exc: BaseException) -> IngestError:
    """The error for a file that a read error stopped part way (one of :data:`READ_ERRORS`)."""
    return IngestError(
        f"{path}: cannot be read to the end ({exc}); the file may be truncated or corrupt. "
        "Nothing of it was loaded"
    )


def _open(path: Path, compressed: bool) -> BinaryIO:
    """The file's bytes; gzip is read by ISA-L (``isal.igzip``, the ``gzip`` module's
    interface), which decompresses in a third of zlib's time (docs/decisions.md)."""
    return igzip.open(path, "rb") if compressed else path.open("rb")  # type: ignore[return-value]


def _sniff(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as handle:
        head = handle.read(4)
    compressed = head[:2] == _GZIP_MAGIC
    if compressed:
        try:
            with _open(path, compressed=True) as handle:
                head = handle.read(4)
        except READ_ERRORS as exc:
            raise IngestError(f"{path}: looks gzip-compressed but cannot be read: {exc}") from exc
    return head, compressed


def detect_format(path: Path, declared: str, head: bytes) -> str:
    if declared != "auto":
        return declared
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".gzip")]
    fmt = _SUFFIX_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise IngestError(
            f"{path}: cannot tell the format from the name; name it .ndjson/.jsonl/.json/.csv/"
            ".parquet or set format in the source's config"
        )
    return fmt


def inspect_file(
    path: str | Path,
    declared_format: str = "auto",
    *,
    sha256: Callable[[Path], tuple[str, int]] | None = None,
    loaded: Container[str] = frozenset(),
) -> FileFacts:
    """Hash the file and, for text formats, prove it is UTF-8: fail early, load nothing.

    ``sha256`` gives the file's hash and size (:class:`~pmanalytics.ingest.memo.HashMemo`:
    recorded ones when the file is unchanged); a file whose hash is in ``loaded`` is skipped
    by the load, so its encoding is not read.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: {_not_a_file(path)}")
    head, compressed = _sniff(path)
    fmt = detect_format(path, declared_format, head)
    if fmt == "parquet" and compressed:
        raise IngestError(f"{path}: gzip-compressed Parquet is not supported; decompress it")
    if fmt == "parquet" and not head.startswith(_PARQUET_MAGIC):
        raise IngestError(f"{path}: declared Parquet but the file does not start with 'PAR1'")
    digest, size = (sha256 or hash_file)(path)
    facts = FileFacts(path, digest, size, fmt, compressed)
    if digest in loaded:  # the load skips it: its encoding need not be read
        return facts
    if fmt == "ndjson":
        _reject_utf16(path, _first_block(path, compressed))  # the load checks UTF-8 as it goes
    elif fmt != "parquet":
        _check_utf8(path, compressed)
    return facts


def _not_a_file(path: Path) -> str:
    """What ``path`` is, when it is not a regular file: the error names it for what it is."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file" if not path.is_symlink() else "a broken symbolic link"
    except OSError as exc:  # a symlink loop, a permission problem
        return f"cannot be read: {exc.strerror}"
    for test, what in (
        (stat.S_ISDIR, "a folder, not a file (give the folder itself to load every file in it)"),
        (stat.S_ISFIFO, "a named pipe (FIFO), not a file: save the data to a file first"),
        (stat.S_ISCHR, "a character device, not a file"),
        (stat.S_ISBLK, "a block device, not a file"),
        (stat.S_ISSOCK, "a socket, not a file"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def hash_file(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and size, read in one pass."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as raw:
        while block := raw.read(CHUNK_BYTES):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def check_expansion(path: Path, compressed_bytes: int, read_bytes: int) -> None:
    """Refuse a compressed file whose content outgrows :data:`MAX_EXPANSION` × its size."""
    limit = max(EXPANSION_FLOOR_BYTES, MAX_EXPANSION * compressed_bytes)
    if read_bytes > limit:
        raise IngestError(
            f"{path}: expands to more than {limit:,} bytes ({MAX_EXPANSION}× its compressed "
            f"size of {compressed_bytes:,}); refusing it as a likely decompression bomb. "
            "Nothing of it was loaded; decompress it yourself if it is genuine"
        )


def _check_utf8(path: Path, compressed: bool) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1
    first = True
    size = path.stat().st_size
    read = 0
    try:
        with _open(path, compressed) as handle:
            while block := handle.read(CHUNK_BYTES):
                read += len(block)
                if compressed:
                    check_expansion(path, size, read)
                if first:
                    _reject_utf16(path, block)
                    first = False
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    bad_line = line + block.count(b"\n", 0, exc.start)
                    raise IngestError(
                        f"{path}: not UTF-8 (invalid byte {block[exc.start]:#04x} on line "
                        f"{bad_line}); re-save the file as UTF-8"
                    ) from None
                line += block.count(b"\n")
            decoder.decode(b"", final=True)
    except READ_ERRORS as exc:
        raise IngestError(f"{path}: cannot be read: {exc}") from exc
    except UnicodeDecodeError:
        raise IngestError(f"{path}: not UTF-8 (truncated character at the end)") from None


def _first_block(path: Path, compressed: bool) -> bytes:
    """The first 64 KiB of the file's text (all of it, for a small file: a truncated small
    gzip fails here, before its turn to load)."""
    try:
        with _open(path, compressed) as handle:
            return handle.read(64 * 1024)
    except READ_ERRORS as exc:
        raise unreadable(path, exc) from exc


def _reject_utf16(path: Path, block: bytes) -> None:
    looks_utf16 = block.startswith(_UTF16_BOMS) or (
        len(block) >= 64 and block[:64].count(b"\x00") >= 16
    )
    if looks_utf16:
        raise IngestError(
            f"{path}: the file is UTF-16 encoded; pmanalytics reads UTF-8. Convert it first, "
            f"e.g. `iconv -f UTF-16 -t UTF-8 {path.name} > {path.stem}.utf8{path.suffix}`"
        )


def iter_lines(
    facts: FileFacts, chunk_bytes: int = CHUNK_BYTES, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[pa.Table]:
    """Yield ``(line_number, line, reject_reason)`` Arrow tables for a line-oriented file.

    Line numbers are physical (1-based); blank lines are dropped (they are not records);
    CRLF endings and a UTF-8 byte-order mark are removed. A line longer than
    ``max_line_bytes`` is never held whole: it comes out as its first characters with the
    reason it is quarantined in ``reject_reason`` (null for every other line). A
    compressed file that expands too far is refused (:func:`check_expansion`).
    """
    next_line = 1
    carry = b""
    skipping = 0  # bytes of an over-long line seen so far, while looking for its end
    preview = b""
    read = 0
    with _open(facts.path, facts.compressed) as handle:
        first = True
        while True:
            block = handle.read(chunk_bytes)
            read += len(block)
            if facts.compressed:
                check_expansion(facts.path, facts.bytes, read)
            if first and block.startswith(_UTF8_BOM):
                block = block[len(_UTF8_BOM) :]
            first = False
            if not block:
                break
            if skipping:
                end = block.find(b"\n")
                if end < 0:
                    skipping += len(block)
                    continue
                yield _oversize_table(next_line, preview, skipping + end, max_line_bytes)
                next_line += 1
                skipping, block = 0, block[end + 1 :]
            buffer = carry + block
            cut = buffer.rfind(b"\n")
            if cut < 0:
                carry = buffer
                if len(carry) > max_line_bytes:  # no end in sight: stop holding it
                    skipping, preview, carry = len(carry), carry[: _PREVIEW_CHARS * 4], b""
                continue
            carry = buffer[cut + 1 :]
            table, next_line = _lines_table(buffer[:cut], next_line, facts.path, max_line_bytes)
            if table.num_rows:
                yield table
            if len(carry) > max_line_bytes:
                skipping, preview, carry = len(carry), carry[: _PREVIEW_CHARS * 4], b""
    if skipping:
        yield _oversize_table(next_line, preview, skipping, max_line_bytes)
    elif carry:
        table, _ = _lines_table(carry, next_line, facts.path, max_line_bytes)
        if table.num_rows:
            yield table


def oversize_reason(size: int, limit: int) -> str:
    return f"line of {size:,} bytes is longer than the {limit:,}-byte limit for one record"


def _oversize_table(line_number: int, preview: bytes, size: int, limit: int) -> pa.Table:
    text = preview.decode("utf-8", errors="replace")[:_PREVIEW_CHARS] + "…"
    return pa.table(
        {
            "line_number": pa.array([line_number], pa.int64()),
            "line": pa.array([text], pa.large_string()),
            "reject_reason": pa.array([oversize_reason(size, limit)], pa.large_string()),
        }
    )


def _lines_table(
    text: bytes, first_line: int, path: Path, max_line_bytes: int = MAX_LINE_BYTES
) -> tuple[pa.Table, int]:
    try:
        whole = pa.array([text], type=pa.large_binary()).cast(pa.large_string())
    except pa.ArrowInvalid:
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_line = first_line + text.count(b"\n", 0, exc.start)
            raise IngestError(
                f"{path}: not UTF-8 (invalid byte {text[exc.start]:#04x} on line {bad_line}); "
                "re-save the file as UTF-8"
            ) from None
        raise
    lines = pc.list_flatten(pc.split_pattern(whole, "\n"))
    lines = pc.utf8_rtrim(lines, characters="\r")
    numbers = pa.array(np.arange(first_line, first_line + len(lines), dtype=np.int64))
    keep = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0)
    sizes = pc.binary_length(lines)
    over = pc.greater(sizes, max_line_bytes)
    reasons = pa.nulls(len(lines), pa.large_string())
    if pc.any(over).as_py():  # keep only a preview of an over-long line, and say why
        text = pa.large_string()
        preview = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(lines, 0, _PREVIEW_CHARS),
            pa.scalar("…", text),
            pa.scalar("", text),
        )
        lines = pc.if_else(over, preview, lines)
        reasons = pa.array(
            [
                oversize_reason(n, max_line_bytes) if o else None
                for n, o in zip(sizes.to_pylist(), over.to_pylist(), strict=True)
            ],
            pa.large_string(),
        )
    table = pa.table({"line_number": numbers, "line": lines, "reject_reason": reasons})
    return table.filter(keep), first_line + len(lines)


_BLANK_LINE = re.compile(rb"(?m)^[ \t\r]*\n")


def count_blank_lines_before(facts: FileFacts, offsets: list[int]) -> dict[int, int]:
    """How many blank lines precede each byte offset of the (decompressed) file.

    DuckDB numbers the CSV rows it rejects by a line count that includes blank lines, which
    are not records; this lets a rejected row's position be stated among data rows.
    """
    wanted = sorted(set(offsets))
    counts: dict[int, int] = {}
    if not wanted:
        return counts
    base = 0  # file offset of buffer[0]
    blank = 0
    carry = b""
    with _open(facts.path, facts.compressed) as handle:
        while wanted:
            block = handle.read(CHUNK_BYTES)
            buffer = carry + block
            cut = buffer.rfind(b"\n") + 1 if block else len(buffer)
            complete = buffer[:cut]
            while wanted and wanted[0] <= base + len(complete):
                offset = wanted.pop(0)
                counts[offset] = blank + len(_BLANK_LINE.findall(complete[: offset - base]))
            blank += len(_BLANK_LINE.findall(complete))
            base += len(complete)
            carry = buffer[cut:]
            if not block:
                break
    for offset in wanted:
        counts[offset] = blank
    return counts


def read_csv_header(facts: FileFacts, delimiter: str) -> list[str]:
    """The header row's column names, made unique the way DuckDB names them.

    Reading the header ourselves lets the CSV reader run with a fixed RFC 4180 dialect:
    left to sniff, one malformed row can change how every other row of the file is read.
    """
    with _open(facts.path, facts.compressed) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            header = next(csv.reader(text, delimiter=delimiter, quotechar='"'))
        except StopIteration:
            return []
        except csv.Error as exc:
            raise IngestError(f"{facts.path}: the header row is not valid CSV: {exc}") from exc
    names: list[str] = []
    for index, name in enumerate(header):
        candidate = name.strip() or f"column{index:02d}"
        unique, suffix = candidate, 1
        while unique in names:
            unique, suffix = f"{candidate}_{suffix}", suffix + 1
        names.append(unique)
    return names
