"""Files with pages: every page of a PDF or of a multi-page TIFF is read as its own image.

Offices scan to PDF and to multi-page TIFF. :func:`iter_pages` yields each page of such a file
as an image named ``FILE#PAGE`` (pages counted from 1). PDF pages are rendered with PDFium
(``pypdfium2``) at :data:`PDF_DPI`, one at a time, so a long PDF never has all its pages in
memory; a one-page TIFF and every other image file is one image named after the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Collection, Iterator

import cv2
import numpy as np

from .images import _EXTENSIONS, ImageError, _check_shape, load_image

__all__ = ["iter_pages", "page_name", "split_page_name", "FILE_EXTENSIONS", "PAGED", "PDF_DPI"]

#: resolution PDF pages are rendered at (a scan's usual resolution)
PDF_DPI = 200
#: files that can hold several pages
PAGED = {".pdf", ".tif", ".tiff"}
#: every file a folder is searched for
FILE_EXTENSIONS = _EXTENSIONS | {".pdf"}


def page_name(path: str | os.PathLike, page: int) -> str:
    """The name of page ``page`` (1-based) of ``path``: ``FILE#PAGE``."""
    return f"{path}#{page}"


def split_page_name(name: str) -> tuple[str, int | None]:
    """``("FILE", PAGE)`` for a page name ``FILE#PAGE``, ``(name, None)`` for any other name."""
    base, sep, page = name.rpartition("#")
    return (base, int(page)) if sep and page.isdigit() and int(page) > 0 else (name, None)


def _pdf_pages(path: Path, skip: Collection[int]) -> Iterator[tuple[str, np.ndarray]]:
    import pypdfium2 as pdfium

    if path.is_file() and path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file")
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise ImageError(f"{path}: the PDF is encrypted (password protected); "
                             "save an unprotected copy to read it") from exc
        raise ImageError(f"{path}: not a PDF, or a damaged/truncated one ({reason})") from exc
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        if len(pdf) == 0:
            raise ImageError(f"{path}: the PDF has no pages")
        for k in range(len(pdf)):
            if k + 1 in skip:
                continue
            try:
                page = pdf[k]
                image = page.render(scale=PDF_DPI / 72, grayscale=True).to_numpy()
            except pdfium.PdfiumError as exc:
                raise ImageError(f"{page_name(path, k + 1)}: the page cannot be rendered "
                                 f"({exc})") from exc
            _check_shape(image, page_name(path, k + 1))
            yield page_name(path, k + 1), np.ascontiguousarray(image)
    finally:
        pdf.close()


def _tiff_pages(path: Path, skip: Collection[int]) -> Iterator[tuple[str, np.ndarray]]:
    first = load_image(path)  # the file's checks, and its first page
    if cv2.imcount(str(path)) <= 1:
        yield str(path), first
        return
    ok, pages = cv2.imreadmulti(str(path), flags=cv2.IMREAD_UNCHANGED)
    if not ok:
        raise ImageError(f"{path}: a damaged multi-page TIFF")
    for k, image in enumerate(pages):
        if k + 1 not in skip:
            _check_shape(image, page_name(path, k + 1))
            yield page_name(path, k + 1), image


def iter_pages(path: str | os.PathLike,
               skip: Collection[int] = ()) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(name, image)`` for every page of the file ``path``.

    Parameters
    ----------
    path : path-like
        An image file, a PDF or a (multi-page) TIFF.
    skip : collection of int
        Page numbers (1-based) not to read, e.g. pages already in a CSV.

    Yields
    ------
    name : str
        ``FILE#PAGE`` for the pages of a PDF (always) and of a TIFF with several pages;
        ``FILE`` for any other image.
    image : numpy.ndarray
        The page as it is stored (a PDF page rendered in gray at :data:`PDF_DPI`).

    Raises
    ------
    ImageError
        If the file is missing, empty, damaged, encrypted, or holds no page.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        yield from _pdf_pages(path, skip)
    elif suffix in (".tif", ".tiff"):
        yield from _tiff_pages(path, skip)
    else:
        yield str(path), load_image(path)
