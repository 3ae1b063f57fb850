"""A file's lines as one Arrow stream for DuckDB, read ahead by a thread.

Reading (gzip, splitting lines in Arrow) runs in a thread of its own, a few blocks ahead of
DuckDB: while DuckDB parses one block, or commits the previous file, the next blocks are
read on the other core. ISA-L's gzip reader and Arrow's kernels release the GIL, so the
thread does not hold up the parse. The queue between them holds at most :data:`READ_AHEAD`
batches, so memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator

import pyarrow as pa

from pmanalytics.ingest.files import FileFacts, iter_lines

#: ``_lines(line_number, line, reject_reason)``: what every stream yields
LINES_SCHEMA = pa.schema(
    [
        ("line_number", pa.int64()),
        ("line", pa.large_string()),
        ("reject_reason", pa.large_string()),
    ]
)
#: Rows per Arrow batch handed to DuckDB: its threads take the batches one by one.
BATCH_ROWS = 4_096
#: Batches read ahead of DuckDB (each at most files.CHUNK_BYTES of text)
READ_AHEAD = 4
_END = object()


class LineStream:
    """The lines of one file, read by a thread into a bounded queue, given to DuckDB as one
    Arrow stream.

    One stream per file, registered once: every object registered inside a transaction
    stays referenced until the transaction ends, so registering block after block would
    keep the whole file in memory after all. An error raised while reading (not UTF-8, a
    decompression bomb, a truncated gzip) reaches DuckDB only as text; it is kept in
    :attr:`error` so that the caller re-raises the original.
    """

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="pma-read-lines", daemon=True)
        self._thread.start()

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(LINES_SCHEMA, self._batches())

    def close(self) -> None:
        """Stop reading (a file skipped, or a load that failed) and let the thread end.

        A stream read to its end costs nothing here; polling the queue with a timeout
        instead cost up to 50 ms a file.
        """
        self._stop.set()
        with contextlib.suppress(queue.Empty):
            while True:  # make room, so that a thread waiting to put sees the stop
                self._queue.get_nowait()
        self._thread.join()

    def _read(self) -> None:
        try:
            for block in iter_lines(self.facts):
                for batch in block.to_batches(max_chunksize=BATCH_ROWS):
                    if not self._put(batch):
                        return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _batches(self) -> Iterator[pa.RecordBatch]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                self.error = item
                raise item
            yield item


_started: dict[str, LineStream] = {}


def read_ahead(facts: FileFacts) -> None:
    """Start reading a file that is loaded next, while the current one is still loading."""
    if facts.format == "ndjson" and str(facts.path) not in _started:
        _started[str(facts.path)] = LineStream(facts)


def take_stream(facts: FileFacts) -> LineStream:
    """The stream started for this file by :func:`read_ahead`, or a new one."""
    return _started.pop(str(facts.path), None) or LineStream(facts)


def drop_read_ahead(facts: FileFacts) -> None:
    """Stop a read started for a file that will not be loaded after all (skipped, failed)."""
    stream = _started.pop(str(facts.path), None)
    if stream is not None:
        stream.close()
