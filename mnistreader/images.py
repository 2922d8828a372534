"""Read image files: any depth, with alpha; missing, empty, damaged, truncated or absurdly
large files are refused with a clear :class:`ImageError` naming the file. A photo is turned
the way its camera says it was held (its EXIF orientation), as a photo viewer shows it. Besides
what OpenCV decodes, HEIC/HEIF photos (an iPhone's default) are decoded with ``pillow-heif``.

Images are NumPy arrays: ``(h, w)`` grayscale or ``(h, w, 3|4)`` BGR(A), ``uint8``, ``uint16``
or float.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

__all__ = ["ImageError", "load_image", "decode_image", "exif_orientation", "upright",
           "MAX_PIXELS"]

#: Images with more pixels than this are refused as absurd (a 100-megapixel limit).
MAX_PIXELS = 100_000_000
_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pbm", ".pgm",
               ".ppm", ".pnm", ".jp2", ".sr", ".ras", ".gif", ".heic", ".heif"}
#: the brands of an ISO media file (after ``ftyp``) that say it holds a HEIF still image
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


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
    """Read an image file as it is stored (any depth, with alpha), turned upright by its EXIF
    orientation (:func:`decode_image`).

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
    image = decode_image(data, str(path))
    if path.suffix.lower() in (".jpg", ".jpeg") and not _jpeg_complete(data):
        raise ImageError(f"{path}: truncated JPEG (no end-of-image marker)")
    _check_shape(image, str(path))
    return image


#: the EXIF tag of a photo's orientation
_ORIENTATION = 0x0112
#: how to turn the stored pixels of each EXIF orientation (2-8) upright, as OpenCV and photo
#: viewers do (checked against OpenCV's own handling in the tests)
_UPRIGHT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
            5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
            7: lambda a: a.swapaxes(0, 1)[::-1, ::-1], 8: lambda a: np.rot90(a, 1)}


def exif_orientation(data) -> int:
    """The EXIF orientation (1-8) of an encoded JPEG (``bytes`` or a ``uint8`` array); 1 (as
    stored) when it has none, or is no JPEG. A phone held upright stores its photo on its side
    and says so here (6 or 8)."""
    if bytes(data[:2]) != b"\xff\xd8":
        return 1
    try:
        with warnings.catch_warnings(), Image.open(io.BytesIO(bytes(data))) as image:
            warnings.simplefilter("ignore")
            value = int(image.getexif().get(_ORIENTATION, 1))
    except Exception:  # noqa: BLE001 - unreadable EXIF: the pixels as stored
        return 1
    return value if value in _UPRIGHT else 1


def upright(image: np.ndarray, orientation: int) -> np.ndarray:
    """``image`` turned (or mirrored) as its EXIF ``orientation`` says it is meant to be seen."""
    turn = _UPRIGHT.get(orientation)
    return image if turn is None else np.ascontiguousarray(turn(image))


def decode_image(data, source: str = "image") -> np.ndarray:
    """Decode an encoded image (``bytes`` or a ``uint8`` array: a file's contents, an upload) as
    it is stored (any depth, with alpha), turned upright by its EXIF orientation.

    Raises
    ------
    ImageError
        If it is no image, or a damaged one (the message names ``source``).
    """
    data = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) \
        else np.asarray(data, np.uint8)
    if bytes(data[4:8]) == b"ftyp" and bytes(data[8:12]) in _HEIF_BRANDS:
        return _decode_heif(data, source)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise ImageError(f"{source}: not an image, or a damaged/truncated one")
    return upright(image, exif_orientation(data))


def _decode_heif(data: np.ndarray, source: str) -> np.ndarray:
    """A HEIC/HEIF photo as BGR(A) ``uint8``, turned as its container says (libheif applies
    the rotation and mirroring stored with the image)."""
    try:
        import pillow_heif
    except ImportError as exc:  # an install without the dependency
        raise ImageError(f"{source}: a HEIC/HEIF photo, and pillow-heif (pip install "
                         f"pillow-heif) is not installed to decode it") from exc
    try:
        heif = pillow_heif.open_heif(io.BytesIO(data.tobytes()), convert_hdr_to_8bit=True)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ImageError(f"{source}: a damaged HEIC/HEIF photo ({exc})") from exc
    width, height = heif.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"{source}: absurd dimensions {width}x{height}")
    try:
        rgb = np.asarray(heif)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ImageError(f"{source}: a damaged HEIC/HEIF photo ({exc})") from exc
    code = cv2.COLOR_RGBA2BGRA if rgb.ndim == 3 and rgb.shape[2] == 4 else cv2.COLOR_RGB2BGR
    return cv2.cvtColor(np.ascontiguousarray(rgb), code) if rgb.ndim == 3 else rgb


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
