"""Append ``(image path, number)`` rows to a CSV file without ever losing what it holds.

Rows are appended at the end of the file in one write, flushed to disk, never by rewriting
what the file holds: an append costs what it appends, however long the CSV grows. The header
is written only when the file is new; a failed append is taken back, and a last line cut short
by a crash (power cut, ``kill -9``) is removed on the next append, so the file always ends
with whole rows. Writers in several processes take turns through a lock on the folder.
Cells that a spreadsheet would run as a formula are neutralised with a leading apostrophe.

Other files (models, histories) are written whole: to a temporary file, then renamed over
the target (:func:`write_text_atomic`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import warnings
from pathlib import Path
from typing import Iterable, Sequence

from ._atomic import atomic_open

__all__ = ["CSVError", "HEADER", "REVIEW_MARKS", "NEEDS_REVIEW", "CHECKED", "CORRECTED",
           "neutralise", "format_rows", "reading_row", "append_rows", "written_paths",
           "write_text_atomic"]

HEADER = ("path", "number", "confidence", "review")
#: what the ``review`` column may hold: nothing (the reader is sure), ``review`` (a person
#: should look), ``checked`` (a person accepted the reading), ``corrected`` (a person changed it)
NEEDS_REVIEW, CHECKED, CORRECTED = "review", "checked", "corrected"
REVIEW_MARKS = ("", NEEDS_REVIEW, CHECKED, CORRECTED)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CSVError(OSError):
    """The CSV file cannot be appended to safely."""


def neutralise(cell: object) -> str:
    """Return ``cell`` as text that a spreadsheet shows as text, never runs as a formula."""
    text = str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def format_rows(rows: Iterable[Sequence[object]]) -> str:
    """Format rows as CSV text (``\\n`` line ends), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def reading_row(path: str, reading, review: str | None = None,
                number: str | None = None) -> tuple[str, str, str, str]:
    """The CSV row of a :class:`~mnistreader.reader.Reading` of the image ``path``:
    ``(path, number, confidence, review)``; ``review`` and ``number`` default to what the
    reader says (a person's correction gives both)."""
    if review is None:
        review = NEEDS_REVIEW if reading.needs_review else ""
    number = reading.number if number is None else number
    return (path, number, f"{reading.confidence:.3f}", review)


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``path``'s folder while its CSV is appended to (POSIX only).

    Locking the folder, not a side file, leaves nothing behind next to the user's CSV.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; each append is still one write
        yield
        return
    fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return Path(path)


def _read_back(fd: int, size: int, limit: int = 1 << 16) -> bytes:
    """The bytes of the file's last line (after its last line end), at most ``limit`` back."""
    tail = os.pread(fd, min(size, limit), max(0, size - limit))
    return tail[max(tail.rfind(b"\n"), tail.rfind(b"\r")) + 1:]


def _is_whole(line: bytes, fields: int, ours: bool) -> bool:
    """Whether a last line without a line end holds a whole row of ``fields`` cells.

    Rows are written whole, line end included, in one write: a last line without one was
    cut short by a crash, unless it is complete anyway (a file typed by hand, a spreadsheet
    that leaves out the final line end). A row of this package's own columns is whole when
    its confidence is a number and its review cell one of :data:`REVIEW_MARKS`.
    """
    try:
        rows = list(csv.reader([line.decode("utf-8")], strict=True))
    except (UnicodeDecodeError, csv.Error):
        return False
    if len(rows) != 1 or len(rows[0]) != fields:
        return False
    if ours:
        try:
            float(rows[0][2])
        except ValueError:
            return False
        return rows[0][3] in REVIEW_MARKS
    return True


def _header_fields(fd: int, path: Path) -> tuple[int, bool]:
    """Number of cells of the file's first line, and whether it is this package's header."""
    head = os.pread(fd, 1 << 13, 0)
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise CSVError(f"{path}: is not a UTF-8 text CSV file; refusing to append") from exc
    if "\0" in text:
        raise CSVError(f"{path}: is a binary file, not a CSV file; refusing to append")
    first = text.splitlines()[0] if text else ""
    cells = next(csv.reader([first]), [])
    return len(cells), tuple(cells) == HEADER


def _repair_tail(fd: int, path: Path, size: int) -> tuple[int, bytes]:
    """Check the end of the file before appending: ``(size to append at, bytes to put first)``.

    A last line cut short by a crash is removed (truncated away: it never was a whole row,
    and every whole row before it is kept); a whole last line without a line end gets one.
    """
    last = _read_back(fd, size)
    if not last:
        return size, b""
    fields, ours = _header_fields(fd, path)
    if len(last) == size:  # the file is one line: the header itself
        whole = not (format_rows([HEADER]).encode().startswith(last))
    else:
        whole = _is_whole(last, fields, ours)
    if whole:
        return size, b"\n"
    os.ftruncate(fd, size - len(last))
    warnings.warn(f"{path}: its last line was cut short by an interrupted write and was "
                  f"removed: {last[:80].decode('utf-8', 'replace')!r}", stacklevel=3)
    return size - len(last), b""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def append_rows(path: str | os.PathLike, rows: Iterable[Sequence[object]],
                header: Sequence[str] = HEADER) -> int:
    """Append ``rows`` to the CSV file ``path``, creating it with ``header`` if new.

    The rows are written in one append at the end of the file, flushed to disk; what the file
    held is never rewritten, so an append costs what it appends, however long the file. All
    the new rows land, or none do. A last line cut short by an earlier crash is removed
    first (it never was a whole row; a warning names it).

    Returns
    -------
    int
        The number of rows appended.

    Raises
    ------
    CSVError
        If ``path`` is a folder, not UTF-8 text, or cannot be written.
    """
    path = Path(path)
    rows = list(rows)
    if path.is_dir():
        raise CSVError(f"{path}: is a folder, not a CSV file")
    with _locked(path):
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as exc:
            raise CSVError(f"{path}: cannot be opened for appending ({exc.strerror})") from exc
        try:
            size = os.fstat(fd).st_size
            start, first = _repair_tail(fd, path, size) if size else (0, b"")
            if not rows and start:
                return 0
            data = first + format_rows(([header] if not start else []) + rows).encode("utf-8")
            try:
                _write_all(fd, data)
                os.fsync(fd)
            except OSError as exc:
                os.ftruncate(fd, start)  # take back a partial append
                raise CSVError(f"{path}: cannot be written ({exc.strerror or exc}); "
                               "the file was left as it was") from exc
        finally:
            os.close(fd)
    return len(rows)


def written_paths(path: str | os.PathLike) -> set[str]:
    """The first cells (image paths, as written) of the whole rows of the CSV file ``path``.

    The header and a last line cut short by a crash are left out.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CSVError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CSVError(f"{path}: is not a UTF-8 text CSV file") from exc
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if rows and tuple(rows[0]) == HEADER:
        rows = rows[1:]
    if text and not text.endswith(("\n", "\r")) and rows:
        last = data[max(data.rfind(b"\n"), data.rfind(b"\r")) + 1:]
        if not _is_whole(last, len(HEADER), True):
            rows = rows[:-1]
    return {row[0] for row in rows if row}
