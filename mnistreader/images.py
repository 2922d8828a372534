"""Read image files: any depth, with alpha; missing, empty, damaged, truncated or absurdly
large files are refused with a clear :class:`ImageError` naming the file.

Images are NumPy arrays: ``(h, w)`` grayscale or ``(h, w, 3|4)`` BGR(A), ``uint8``, ``uint16``
or float.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

__all__ = ["ImageError", "load_image", "MAX_PIXELS"]

#: Images with more pixels than this are refused as absurd (a 100-megapixel limit).
MAX_PIXELS = 100_000_000
_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pbm", ".pgm",
               ".ppm", ".pnm", ".jp2", ".sr", ".ras", ".gif"}


class ImageError(ValueError):
    """An image cannot be read or holds nothing to read."""


def _check_shape(image: np.ndarray, source: str) -> None:
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ImageError(f"{source}: unsupported image shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ImageError(f"{source}: empty image {image.shape}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ImageError(f"{source}: absurd dimensions {image.shape[1]}x{image.shape[0]}")


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as it is stored (any depth, with alpha).

    Raises
    ------
    ImageError
        If the file is missing, empty, not an image, truncated or absurdly large.
    """
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror})") from exc
    if data.size == 0:
        raise ImageError(f"{path}: empty file")
    _check_header(path, data)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageError(f"{path}: not an image, or a damaged/truncated one")
    if path.suffix.lower() in (".jpg", ".jpeg") and not _jpeg_complete(data):
        raise ImageError(f"{path}: truncated JPEG (no end-of-image marker)")
    _check_shape(image, str(path))
    return image


def _check_header(path: Path, data: np.ndarray) -> None:
    """Refuse images whose header announces absurd dimensions before decoding them."""
    head = data[:32].tobytes()
    width = height = 0
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path}: absurd dimensions {width}x{height}")


def _jpeg_complete(data: np.ndarray) -> bool:
    tail = data[-64:].tobytes().rstrip(b"\x00")
    return tail.endswith(b"\xff\xd9")
