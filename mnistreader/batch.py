"""Read folders of images in batches: files, chunks, worker processes, resume, CSV rows.

:mod:`mnistreader.reader` turns images into readings; this module drives a batch of files
through it. Files are read in chunks of :data:`CHUNK` (every page of a PDF or multi-page TIFF
as its own image named ``FILE#PAGE``, :mod:`mnistreader.pages`; :data:`CHUNK` images per
network pass), chunks are spread over worker processes, and every chunk's rows are appended
to the CSV as soon as they are read, so a run that is killed keeps everything read before it.
With ``resume=True`` the images and pages that already have a row in the CSV are skipped: a
run killed at any moment and started again ends with every image in the CSV exactly once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterable

from threadpoolctl import threadpool_limits

from .decode import NumberFormat
from .pages import FILE_EXTENSIONS, PAGED, iter_pages, split_page_name
from .preprocess import ImageError
from .reader import Reading, get_model, read_numbers

__all__ = ["image_files", "read_many", "CHUNK"]

#: images read in one network pass, and appended to the CSV together
CHUNK = 16


def image_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand folders into the image and PDF files inside them (sorted); files are kept as
    given."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in FILE_EXTENSIONS))
        else:
            files.append(path)
    return files


def _read_group(group: list[tuple[str, object]], model, number_format):
    """Read ``(name, image)`` pairs in one network pass; ``(name, reading or message)`` each."""
    names = [name for name, _ in group]
    images = [image for _, image in group]
    try:
        readings = read_numbers(images, model, paths=names, number_format=number_format)
    except Exception:  # never let one bad image stop a batch: retry them one by one
        readings = []
        for name, image in group:
            try:
                readings.extend(read_numbers([image], model, paths=[name],
                                             number_format=number_format))
            except Exception as one:  # noqa: BLE001 - reported, not raised
                readings.append(ImageError(f"{name}: cannot be read ({type(one).__name__}: {one})"))
    return [(name, str(r) if isinstance(r, ImageError) else _strip(r))
            for name, r in zip(names, readings)]


def _read_files(args) -> list[tuple[str, Reading | str]]:
    """Worker: read a chunk of files, every page, :data:`CHUNK` images per network pass.

    Returns ``(name, reading or error message)`` for every page read and every file that
    failed, in order.
    """
    paths, skips, model, number_format = args
    results, group = [], []
    for path, skip in zip(paths, skips):
        try:
            for name, image in iter_pages(path, skip):
                group.append((name, image))
                if len(group) == CHUNK:
                    results.extend(_read_group(group, model, number_format))
                    group = []
        except ImageError as exc:
            results.extend(_read_group(group, model, number_format) if group else [])
            group = []
            results.append((str(path), str(exc)))
    if group:
        results.extend(_read_group(group, model, number_format))
    return results


def _strip(reading: Reading) -> Reading:
    """The reading without its images, to send it back from a worker cheaply."""
    reading.images = reading.steps = reading.segmentation = None
    return reading


def _one_thread() -> None:
    """Worker set-up: one process per core, so no BLAS threads on top."""
    threadpool_limits(1)


def _read_files_one_thread(args) -> list[tuple[str, Reading | str]]:
    """Dask task: :func:`_read_files` with one BLAS thread (a worker runs one per core)."""
    with threadpool_limits(1):
        return _read_files(args)


def _failed(item, exc: BaseException) -> list[tuple[str, str]]:
    return [(str(path), f"{path}: not read: the Dask task failed ({type(exc).__name__}: {exc})")
            for path in item[0]]


def _on_dask(address: str, work: list):
    """Yield the results of the chunks ``work`` read on the Dask cluster at ``address``, in
    order, with a few chunks per worker thread in flight."""
    from collections import deque

    try:
        from distributed import Client
    except ImportError as exc:
        raise ValueError("--dask needs Dask: pip install 'mnistreader[dask]'") from exc
    try:
        client = Client(address)  # waits distributed.comm.timeouts.connect (30 s) at most
    except (OSError, TimeoutError) as exc:
        raise OSError(f"cannot reach the Dask scheduler at {address} ({exc})") from exc
    with client:
        window = 4 * max(1, sum(client.nthreads().values()))
        pending: deque = deque()
        items = iter(work)
        for item in items:
            pending.append((item, client.submit(_read_files_one_thread, item, pure=False)))
            if len(pending) < window:
                continue
            yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())


def _collect(item, future) -> list:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a lost worker: reported for each file, not raised
        return _failed(item, exc)
    finally:
        future.release()


def _chunks(files: list[Path], skips: list[set[int]], model, jobs: int, progress: bool,
            chunk: int = CHUNK, number_format: NumberFormat | None = None,
            dask: str | None = None):
    """Yield the ``(name, reading or error message)`` list of every chunk of files, in order:
    read here, in ``jobs`` worker processes, or on the Dask cluster at ``dask``."""
    from tqdm.auto import tqdm

    work = [(files[i:i + chunk], skips[i:i + chunk], model, number_format)
            for i in range(0, len(files), chunk)]
    bar = tqdm(total=len(files), unit="file", file=sys.stderr, disable=not progress,
               desc="reading")
    if dask is not None:
        for item, results in zip(work, _on_dask(dask, work)):
            bar.update(len(item[0]))
            yield results
    elif jobs > 1 and len(work) > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(jobs, initializer=_one_thread) as pool:
            for item, results in zip(work, pool.imap(_read_files, work)):
                bar.update(len(item[0]))
                yield results
    else:
        for item in work:
            results = _read_files(item)
            bar.update(len(item[0]))
            yield results
    bar.close()


def _left_to_read(files: list[Path], csv_path) -> tuple[list[Path], list[set[int]]]:
    """The files (and for files with pages, the pages) that have no row in ``csv_path`` yet."""
    from .export import neutralise, written_paths

    done = written_paths(csv_path)
    pages: dict[str, set[int]] = {}
    for name in done:
        base, page = split_page_name(name)
        if page is not None:
            pages.setdefault(base, set()).add(page)
    left, skips = [], []
    for f in files:
        name = neutralise(str(f))  # as the CSV holds it
        if name not in done:
            left.append(f)
            skips.append(pages.get(name, set()) if f.suffix.lower() in PAGED else set())
    return left, skips


def read_many(paths: Iterable[str | os.PathLike], model: str | os.PathLike = "best",
              csv_path: str | os.PathLike | None = None, jobs: int = 1, *,
              resume: bool = False, dask: str | None = None, out=None, err=None,
              chunk: int = CHUNK, number_format: NumberFormat | None = None) -> int:
    """Read every image among ``paths``; print ``path,number`` lines; append them to a CSV.

    Parameters
    ----------
    paths : iterable of path-like
        Image files and folders (read recursively, in sorted order).
    model : str or path-like
        ``"best"``, ``"paper"`` or a model file.
    csv_path : path-like, optional
        CSV file to append ``path,number,confidence,review`` rows to, one append per chunk.
    jobs : int
        Worker processes (used when there is more than one chunk).
    resume : bool
        Skip the images whose path already has a row in ``csv_path``.
    dask : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``): the chunks are read by its
        workers (which must see the same paths and have this package installed), the rows
        come back here, in order, to the one CSV.
    out, err : file, optional
        Where ``path,number`` lines and error lines go (stdout and stderr by default).
    chunk : int
        Images per network pass and per CSV append.
    number_format : NumberFormat, optional
        Expected format: each image gets the best reading that fits it.

    Returns
    -------
    int
        Exit status: 0 if every file was read, 1 if any failed. Unreadable files are reported
        on ``err`` (one line each) and skipped; the others are still read and saved.
    """
    from .export import append_rows, format_rows, reading_row

    out = out or sys.stdout
    err = err or sys.stderr
    get_model(model)  # a bad model fails once, before any file is read
    files = image_files(paths)
    if not files:
        print("mnistreader: error: no image files found", file=err)
        return 1
    skips = [set() for _ in files]
    if resume and csv_path is not None and Path(csv_path).exists():
        left, skips = _left_to_read(files, csv_path)
        if len(left) < len(files) or any(skips):
            print(f"mnistreader: {len(files) - len(left)} of {len(files)} files (and "
                  f"{sum(map(len, skips))} pages) already in {csv_path}; reading the rest",
                  file=err)
        files = left
        if not files:
            return 0
    failed = 0
    progress = len(files) >= 50 and err is sys.stderr
    for results in _chunks(files, skips, model, jobs, progress, chunk, number_format, dask):
        rows = []
        for path, result in results:
            if isinstance(result, str):
                failed += 1
                print(f"mnistreader: {result}", file=err)
            else:
                rows.append(reading_row(path, result))
        out.write(format_rows([row[:2] for row in rows]))
        if csv_path is not None and rows:
            append_rows(csv_path, rows)
    out.flush()
    return 1 if failed else 0
