"""Turn a photo or scan of a handwritten number into a clean ink mask.

The paper's steps, each available on its own: :func:`to_grayscale`, :func:`binarize`,
:func:`invert` and :func:`dilate`, and :func:`preprocess` running them all and returning every
intermediate image. Beyond the paper, :func:`binarize` copes with phone photos: it flattens
uneven lighting and shadows by dividing by an estimate of the paper's brightness, finds the
ink's polarity (dark on light or light on dark) and thresholds with Otsu's method;
:func:`remove_rules` takes out ruled lines.

Images are NumPy arrays: ``(h, w)`` grayscale or ``(h, w, 3|4)`` BGR(A), ``uint8``, ``uint16``
or float. Ink masks are ``uint8`` with ink 255 and background 0 (MNIST's polarity).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["ImageError", "load_image", "to_grayscale", "binarize", "invert", "dilate",
           "remove_rules", "stroke_width", "typical_height", "preprocess", "Preprocessed", "MAX_SIDE",
           "MAX_PIXELS"]

#: Larger images are scaled down to this longest side before processing.
MAX_SIDE = 1600
#: Smaller images are scaled up to this height before processing.
MIN_HEIGHT = 96
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


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Convert any image to ``uint8`` grayscale.

    16-bit and float images are rescaled, transparent pixels are laid on white paper, and
    colour images keep the darkest channel when the paper is neutral, so that coloured ink
    (orange, blue, red) stays well separated from white paper.
    """
    image = np.asarray(image)
    _check_shape(image, "image")
    if image.dtype == np.bool_:
        image = image.astype(np.uint8) * 255
    elif image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.nan_to_num(image.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(image.min()), float(image.max())
        if not (0.0 <= lo and hi <= 1.0):  # not in [0, 1]: stretch the range that is there
            with np.errstate(over="ignore", invalid="ignore"):
                image = np.nan_to_num((image - lo) / (hi - lo)) if hi > lo else image * 0.0
        image = np.clip(image * 255.0, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        alpha = image[:, :, 3:].astype(np.float32) / 255.0
        image = (image[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    step = max(1, int(np.sqrt(image.shape[0] * image.shape[1] / 4096)))  # ~4096 samples suffice
    sample = np.ascontiguousarray(image[::step, ::step])
    saturation = cv2.cvtColor(sample, cv2.COLOR_BGR2HSV)[:, :, 1]
    if np.median(saturation) < 60:  # neutral paper: coloured ink shows best in its darkest channel
        b, g, r = cv2.split(image)
        return cv2.min(cv2.min(b, g), r)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _background(gray: np.ndarray, size: int) -> np.ndarray:
    """Estimate the paper's brightness: the image with all strokes thinner than ``size`` closed."""
    small = max(1, size // 4)
    scale = 4 if min(gray.shape) >= 64 else 1
    reduced = cv2.resize(gray, (max(1, gray.shape[1] // scale), max(1, gray.shape[0] // scale)),
                         interpolation=cv2.INTER_AREA) if scale > 1 else gray
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * small + 1, 2 * small + 1))
    closed = cv2.morphologyEx(reduced, cv2.MORPH_CLOSE, kernel)
    closed = cv2.blur(closed, (2 * small + 1, 2 * small + 1))
    if scale > 1:
        closed = cv2.resize(closed, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return closed


def _ink_is_dark(gray: np.ndarray) -> bool:
    """True when the ink is darker than the paper.

    The paper is most of the image. Dividing by a heavily blurred copy first evens out
    shadows and uneven lighting, which would otherwise make a shaded half of the paper look
    like the majority of "dark" pixels.
    """
    scale = min(1.0, 160 / max(gray.shape))
    small = gray if scale == 1.0 else cv2.resize(
        gray, (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale))),
        interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    light = cv2.GaussianBlur(small, (0, 0), max(2.0, min(small.shape) / 4))
    flat = cv2.normalize(small / np.maximum(light, 1.0), None, 0, 255, cv2.NORM_MINMAX)
    level, _ = cv2.threshold(flat.astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.count_nonzero(flat > level) >= flat.size / 2


def binarize(gray: np.ndarray, *, flatten: bool = True,
             ink_dark: bool | None = None) -> np.ndarray:
    """Separate ink from paper: return a ``uint8`` image with ink 0 and paper 255.

    Parameters
    ----------
    gray : numpy.ndarray
        ``uint8`` grayscale image, ink either darker or lighter than the paper.
    flatten : bool
        Divide by an estimate of the paper's brightness first, to undo shadows and uneven
        lighting (skipped for tiny images).
    ink_dark : bool, optional
        Whether the ink is darker than the paper; detected when not given.
    """
    gray = np.asarray(gray, dtype=np.uint8)
    if not (_ink_is_dark(gray) if ink_dark is None else ink_dark):
        gray = 255 - gray
    if flatten and min(gray.shape) >= 16:
        background = _background(gray, max(8, min(gray.shape) // 3))
        gray = cv2.divide(gray, np.maximum(background, 1), scale=255)  # saturates at 255
    if int(gray.max()) - int(gray.min()) < 24:  # flat: paper only, no ink
        return np.full_like(gray, 255)
    level, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu on a mostly-white page can sit in the paper's noise: keep clearly dark pixels only
    level = min(level, 0.85 * 255 if flatten else level)
    strong = gray <= level
    # hysteresis: faint parts of a stroke count as ink when they touch clear ink
    paper = float(np.median(gray[~strong][::7])) if (~strong).any() else 255.0
    weak = (gray <= level + 0.25 * max(0.0, paper - level)).astype(np.uint8)
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    paper_value = np.full(n, 255, np.uint8)
    paper_value[labels[strong]] = 0  # components holding clear ink are ink
    paper_value[0] = 255
    return paper_value[labels]


def invert(binary: np.ndarray) -> np.ndarray:
    """Swap ink and paper: dark ink on white becomes white ink on black, as in MNIST."""
    return 255 - np.asarray(binary, dtype=np.uint8)


def dilate(mask: np.ndarray, size: int = 3, iterations: int = 1) -> np.ndarray:
    """Thicken the strokes of an ink mask: each pixel takes the maximum of its neighbourhood."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.dilate(mask, kernel, iterations=iterations)


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the stroke width (pixels) of an ink mask as twice its area over its perimeter."""
    mask = (np.asarray(mask) > 0).astype(np.uint8)
    area = float(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return max(1.0, 2.0 * area / max(perimeter, 1.0))


def typical_height(stats: np.ndarray) -> float:
    """Typical digit height from component statistics rows ``(x, y, w, h, area)``.

    The median height of the substantial components (area at least 15% of the largest) that
    are not flat like a ruled line; 0 when there are none.
    """
    stats = np.asarray(stats, dtype=np.float64).reshape(-1, 5)
    if len(stats) == 0:
        return 0.0
    big = stats[(stats[:, 4] >= 0.15 * stats[:, 4].max()) & (stats[:, 2] <= 3 * stats[:, 3])]
    return float(np.median((big if len(big) else stats)[:, 3]))


def _long_runs(mask: np.ndarray, length: int, vertical: bool, tolerance: int) -> np.ndarray:
    """Ink on straight runs at least ``length`` long, allowing a tilt of ``tolerance`` pixels."""
    if vertical:
        return _long_runs(mask.T, length, False, tolerance).T
    tolerant = cv2.dilate(mask, np.ones((tolerance, 1), np.uint8)) if tolerance > 1 else mask
    if np.count_nonzero(tolerant, axis=1).max(initial=0) < length:
        return np.zeros_like(mask)  # no row holds that much ink: no run that long (cheap test)
    # outside the image counts as paper: a stroke cut off by the edge is not a long run
    runs = cv2.morphologyEx(tolerant, cv2.MORPH_OPEN, np.ones((1, length), np.uint8),
                            borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.dilate(runs, np.ones((3, 3), np.uint8)) & mask


def _strokes_on(mask: np.ndarray, runs: np.ndarray, vertical: bool) -> np.ndarray:
    """Ink along a rule that is clearly thicker than the rule: a digit's stroke written on it."""
    lines = np.count_nonzero(runs.any(axis=1 if vertical else 0))
    thickness = np.count_nonzero(runs) / max(1, lines)
    k = int(thickness) + 3  # a stroke on the rule makes the ink a few pixels thicker
    kernel = np.ones((1, k) if vertical else (k, 1), np.uint8)
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel) > 0


def _darker_than_rule(gray: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Pixels of a rule clearly darker than the rule itself: pen ink written over it."""
    values = gray[runs > 0].astype(np.float32)
    level = float(np.median(values))
    spread = float(np.median(np.abs(values - level)))
    return gray < level - max(3.0 * spread, 20.0)


def remove_rules(mask: np.ndarray, height: float | None = None,
                 gray: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Remove long straight lines (ruled paper, underlines, table borders, margins).

    In an image of a line of writing (at least 2.5 times wider than tall) a horizontal run
    longer than a quarter of the width and 1.5 times the height is a rule; elsewhere it must
    span half the width and 1.5 digit heights. A vertical run must be longer than 85% of the
    image height and 1.3 digit heights. Runs may tilt or bend slightly. Digit strokes that
    crossed a removed rule are joined again across it.

    Parameters
    ----------
    mask : numpy.ndarray
        Ink mask (ink 255).
    height : float, optional
        Typical digit height in pixels; estimated from the components when omitted.

    Returns
    -------
    cleaned, rules : numpy.ndarray
        The mask without the rules, and the ink that was removed.
    """
    h, w = mask.shape
    rules = np.zeros_like(mask)
    if min(h, w) < 16:
        return mask, rules
    known = {"height": height}

    def digit_height() -> float:  # computed only when a candidate rule needs it
        if known["height"] is None:
            _, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), 8)
            known["height"] = typical_height(stats[1:])
        return known["height"]

    tolerance = max(5, h // 8) | 1
    if w >= 2.5 * h:
        horizontal = [max(w / 4, 1.5 * h)]
    else:
        horizontal = [w / 2, lambda: max(w / 2, 1.5 * digit_height())]
    vertical = [0.85 * h, lambda: max(0.85 * h, 1.3 * digit_height()) if digit_height() else h]
    for lengths, upright, limit in ((horizontal, False, w), (vertical, True, h)):
        runs = None
        for length in lengths:  # a cheap lower bound first; the exact length if anything is found
            length = length() if callable(length) else length
            if length >= limit:
                runs = None
                break
            runs = _long_runs(mask, int(length), upright, tolerance)
            if not runs.any():
                break
        if runs is not None and runs.any():
            keep = _strokes_on(mask, runs, upright)
            if gray is not None:
                keep |= _darker_than_rule(gray, runs)
            rules |= np.where(keep, 0, runs).astype(np.uint8)
    if not rules.any():
        return mask, rules
    cleaned = cv2.subtract(mask, rules)
    # join digit strokes that crossed a rule: close across it, but only inside the rule
    size = max(3, int(0.3 * (digit_height() or h)) | 1)
    for kernel in (np.ones((size, 1), np.uint8), np.ones((1, size), np.uint8)):
        closed = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, kernel)
        cleaned |= closed & rules
    return cleaned, cv2.subtract(mask, cleaned)


@dataclass
class Preprocessed:
    """Every intermediate image of :func:`preprocess` (for figures and debugging)."""

    original: np.ndarray
    gray: np.ndarray
    binary: np.ndarray
    inverted: np.ndarray
    cleaned: np.ndarray
    scale: float

    @property
    def mask(self) -> np.ndarray:
        """The final ink mask that the segmenter uses."""
        return self.cleaned

    @property
    def dilated(self) -> np.ndarray:
        """The paper's dilation of the mask (for figures: the segmenter dilates by digit size)."""
        return dilate(self.cleaned, 3) if min(self.cleaned.shape) >= 40 else self.cleaned


def preprocess(image: np.ndarray, *, max_side: int = MAX_SIDE, rules: bool = True) -> Preprocessed:
    """Run the whole preprocessing: grayscale, binarize, invert, remove rules, dilate.

    Parameters
    ----------
    image : numpy.ndarray
        The photo or scan (any dtype, gray or colour, with or without alpha).
    max_side : int
        Larger images are first scaled down to this longest side.
    rules : bool
        Remove ruled lines.
    """
    image = np.asarray(image)
    _check_shape(image, "image")
    gray = to_grayscale(image)
    scale = 1.0
    if max(gray.shape) > max_side:
        scale = max_side / max(gray.shape)
    elif gray.shape[0] < MIN_HEIGHT:  # small photos: thin strokes break when thresholded
        scale = min(MIN_HEIGHT / gray.shape[0], max_side / max(gray.shape))
    if scale != 1.0:
        gray = cv2.resize(gray, (max(1, round(gray.shape[1] * scale)),
                                 max(1, round(gray.shape[0] * scale))),
                          interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    ink_dark = _ink_is_dark(gray)
    binary = binarize(gray, ink_dark=ink_dark)
    inverted = invert(binary)
    cleaned = remove_rules(inverted, gray=gray if ink_dark else 255 - gray)[0] if rules \
        else inverted
    return Preprocessed(original=image, gray=gray, binary=binary, inverted=inverted,
                        cleaned=cleaned, scale=scale)
