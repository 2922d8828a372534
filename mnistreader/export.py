"""Append ``(image path, number)`` rows to a CSV file without ever losing what it holds.

Every append writes the old content plus the new rows to a temporary file beside the CSV and
renames it over the CSV, so a crash or a full disk leaves either the old file or the new one,
never a half-written row; the header is written only when the file is new. Cells that a
spreadsheet would run as a formula are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from pathlib import Path
from typing import Iterable, Sequence

from ._atomic import atomic_open

__all__ = ["CSVError", "HEADER", "neutralise", "format_rows", "append_rows", "write_text_atomic"]

HEADER = ("path", "number", "confidence", "review")
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


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``path``'s folder while its CSV is rewritten (POSIX only).

    Locking the folder, not a side file, leaves nothing behind next to the user's CSV.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the rename still keeps the file whole
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


def append_rows(path: str | os.PathLike, rows: Iterable[Sequence[object]],
                header: Sequence[str] = HEADER) -> int:
    """Append ``rows`` to the CSV file ``path``, creating it with ``header`` if new.

    The existing content is kept byte for byte; all the new rows land, or none do.

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
        old = ""
        if path.exists():
            try:
                old = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CSVError(f"{path}: is not a UTF-8 text CSV file; refusing to append") from exc
            except OSError as exc:
                raise CSVError(f"{path}: cannot be read ({exc.strerror})") from exc
        if not rows and old:
            return 0
        text = old
        if text and not text.endswith(("\n", "\r")):
            text += "\n"
        if not old:
            text += format_rows([header])
        text += format_rows(rows)
        try:
            write_text_atomic(path, text)
        except OSError as exc:
            raise CSVError(f"{path}: cannot be written ({exc.strerror or exc}); "
                           "the file was left as it was") from exc
    return len(rows)
