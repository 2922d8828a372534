"""Turn a photo or scan of a handwritten number into a clean ink mask.

The paper's steps, each available on its own: :func:`to_grayscale`, :func:`binarize`,
:func:`invert` and :func:`dilate`, and :func:`preprocess` running them all and returning every
intermediate image. Beyond the paper, :func:`binarize` copes with phone photos: it flattens
uneven lighting and shadows by dividing by an estimate of the paper's brightness, finds the
ink's polarity (dark on light or light on dark) and thresholds with Otsu's method;
:func:`~mnistreader.rules.remove_rules` takes out ruled lines and
:func:`~mnistreader.rules.remove_boxes` the printed boxes of a form written in;
:mod:`mnistreader.writing` measures the writing, to read it at a fixed digit size.

Images are NumPy arrays: ``(h, w)`` grayscale or ``(h, w, 3|4)`` BGR(A), ``uint8``, ``uint16``
or float. Ink masks are ``uint8`` with ink 255 and background 0 (MNIST's polarity).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .images import MAX_PIXELS, ImageError, _check_shape, load_image  # noqa: F401 (re-exported)
from .bands import band_region, remove_bands
from .rules import remove_boxes, remove_rules
from .writing import _clear_of_edge, component_stats, typical_height, writing_box
from .writing import mask_height, writing_components  # noqa: F401 (re-exported)

__all__ = ["ImageError", "load_image", "to_grayscale", "binarize", "invert", "dilate",
           "remove_rules", "typical_height", "mask_height", "component_stats",
           "writing_components", "writing_box", "writing_scale", "preprocess", "Preprocessed",
           "MAX_SIDE", "MAX_PIXELS"]

#: The image the reader works on is at most this long.
MAX_SIDE = 1600
#: Writing is read at digits this many pixels tall ...
TARGET_HEIGHT = 56
#: ... when the digits are not already between these heights.
DIGIT_HEIGHT = (48, 96)
#: An image is first looked at (to measure its writing) at most this long.
QUICK_SIDE = 480


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
    # a square closes as well as a disc here, and in time independent of its size
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * small + 1, 2 * small + 1))
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
    sigma = max(2.0, min(small.shape) / 4)
    # a blur that wide is as good, and far cheaper, on a copy eight times smaller
    tiny = cv2.resize(small, (max(1, small.shape[1] // 8), max(1, small.shape[0] // 8)),
                      interpolation=cv2.INTER_AREA)
    light = cv2.resize(cv2.GaussianBlur(tiny, (0, 0), max(0.5, sigma / 8)),
                       (small.shape[1], small.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = cv2.normalize(small / np.maximum(light, 1.0), None, 0, 255, cv2.NORM_MINMAX)
    level, _ = cv2.threshold(flat.astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.count_nonzero(flat > level) >= flat.size / 2


def _level_beside_bands(gray: np.ndarray, strong: np.ndarray, cap: float) -> float:
    """Otsu's threshold of ``gray`` without its scan-edge bands and dark margins (found in the
    clear ink ``strong``, at half its size: a band is large), at most ``cap``; 0
    where there is no band or little else."""
    h, w = strong.shape
    ink = strong.view(np.uint8) * np.uint8(255)
    if min(h, w) >= 64:
        ink = cv2.resize(ink, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    band, _ = band_region(ink > 127)
    if not band.any():
        return 0.0
    if band.shape != (h, w):
        band = cv2.resize(band.view(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).view(bool)
    rest = gray[~band]
    if rest.size < 0.2 * gray.size:
        return 0.0
    level, _ = cv2.threshold(rest.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return min(level, cap)


def binarize(gray: np.ndarray, *, flatten: bool = True, ink_dark: bool | None = None,
             beside_bands: bool = False) -> np.ndarray:
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
    beside_bands : bool
        Let faint strokes touching clear ink reach the threshold of the image without its
        scan-edge bands: a band's many dark pixels pull the whole image's threshold toward
        it, and a thin pale stroke (a register's hairline 1) falls outside.
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
    faint = _level_beside_bands(gray, strong, 0.85 * 255 if flatten else level) \
        if beside_bands and min(gray.shape) >= 32 else 0.0
    # hysteresis: faint parts of a stroke count as ink when they touch clear ink
    paper = float(np.median(gray[~strong][::7])) if (~strong).any() else 255.0
    weak = (gray <= max(faint, level + 0.25 * max(0.0, paper - level))).astype(np.uint8)
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


@dataclass
class Preprocessed:
    """Every intermediate image of :func:`preprocess` (for figures and debugging).

    The working images (``gray`` to ``cleaned``) show the part of the original from ``offset``
    (``(x, y)``, original pixels) on, scaled by ``scale``.
    """

    original: np.ndarray
    gray: np.ndarray
    binary: np.ndarray
    inverted: np.ndarray
    cleaned: np.ndarray
    scale: float
    offset: tuple[int, int] = (0, 0)

    @property
    def mask(self) -> np.ndarray:
        """The final ink mask that the segmenter uses."""
        return self.cleaned

    @property
    def dilated(self) -> np.ndarray:
        """The paper's dilation of the mask (for figures: the segmenter dilates by digit size)."""
        return dilate(self.cleaned, 3) if min(self.cleaned.shape) >= 40 else self.cleaned


def _resized(gray: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return gray
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _strokes(stats: np.ndarray, shape: tuple[int, int]) -> int:
    """How many components (statistics ``stats`` of an ink mask of ``shape``) could be strokes
    of writing: clear of the image's edge (paper, bands and borders reach it), not specks, not
    solid blocks."""
    _, _, w, h, area = stats.T
    big = np.maximum(w, h) >= max(3, 0.04 * max(shape))
    return int(np.count_nonzero(_clear_of_edge(stats, shape) & big & (area <= 0.65 * w * h)))


def _light_paper(stats: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether the light parts of an image (``stats``: the components of its light mask, of
    ``shape``) hold paper: a region reaching the image's edge over a tenth of it. Beside a
    scan-edge band there is; around light strokes on dark paper (chalk on a board, a photo's
    negative) there is not, and the dark paper taken for ink, around the strokes and inside
    their loops, makes strokes too."""
    return bool(np.any(~_clear_of_edge(stats, shape) & (stats[:, 4] >= 0.1 * shape[0] * shape[1])))


def writing_scale(gray: np.ndarray, *, max_side: int = MAX_SIDE):
    """The scale at which to read an image: its digits about :data:`DIGIT_HEIGHT` pixels tall.

    A first look at the image (at most :data:`QUICK_SIDE` pixels) measures the writing; small
    writing is enlarged (thin strokes survive thresholding, touching digits can be cut), large
    writing reduced (the same reading from fewer pixels).

    Returns
    -------
    scale : float
        Factor from the image's pixels to the working pixels.
    height : float
        The digits' height at that scale (0 if no ink was seen).
    look : tuple
        ``(scale, gray, ink_dark, binary, cleaned, stats)`` of the first look (``cleaned``: the
        ink without page-long ruled lines; ``stats``: its components), to reuse.
    """
    scale = min(1.0, QUICK_SIDE / max(gray.shape))
    small = _resized(gray, scale)
    ink_dark = _ink_is_dark(small)
    binary = binarize(small, ink_dark=ink_dark)
    if not ink_dark:  # mostly dark: light ink, or dark ink beside a wide scan-edge band
        dark = binarize(small, ink_dark=True)
        light = component_stats(invert(binary))
        if _light_paper(light, small.shape) and \
                _strokes(component_stats(invert(dark)), small.shape) > _strokes(light, small.shape):
            ink_dark, binary = True, dark
    # digits joined by a ruled line are one long component: measure them without it, and
    # without a scan-edge band's specks, which are not writing either (nor is the band: the
    # enlarged crop leaves it out, and the ink is thresholded apart from the paper alone)
    cleaned = remove_bands(invert(binary))[0]
    cleaned = remove_rules(cleaned, 0.0, gray=small if ink_dark else 255 - small)[0]
    stats = component_stats(cleaned)
    height = typical_height(stats, cleaned.shape)
    wanted = scale
    if height and not DIGIT_HEIGHT[0] <= height <= DIGIT_HEIGHT[1]:
        wanted = scale * float(np.clip(TARGET_HEIGHT / height, 0.1, 3.0))
    wanted = min(wanted, max_side / max(gray.shape))
    if abs(wanted / scale - 1.0) < 0.2:
        wanted = scale
    return wanted, height * wanted / scale, (scale, small, ink_dark, binary, cleaned, stats)


def preprocess(image: np.ndarray, *, max_side: int = MAX_SIDE, rules: bool = True,
               gray: np.ndarray | None = None) -> Preprocessed:
    """Run the whole preprocessing: grayscale, binarize, invert, remove boxes and rules.

    Parameters
    ----------
    image : numpy.ndarray
        The photo or scan (any dtype, gray or colour, with or without alpha).
    max_side : int
        The working image is at most this long (see :func:`writing_scale`).
    rules : bool
        Remove ruled lines and printed boxes.
    gray : numpy.ndarray, optional
        ``to_grayscale(image)``, if already made (a large photo's conversion takes time).
    """
    image = np.asarray(image)
    _check_shape(image, "image")
    original = to_grayscale(image) if gray is None else gray
    scale, height, look = writing_scale(original, max_side=max_side)
    quick, gray, ink_dark, binary, seen, stats = look
    offset = (0, 0)
    if scale != quick:
        region = original
        if scale > quick:  # small writing is enlarged: only where it is
            x, y, w, h = (int(round(v / quick)) for v in
                          writing_box(stats, seen.shape, height * quick / scale))
            region, offset = original[y:y + h, x:x + w], (x, y)
        gray = _resized(region, scale)
        binary = binarize(gray, ink_dark=ink_dark, beside_bands=True)
    inverted = invert(binary)
    cleaned = inverted
    if rules:  # boxes first: a row of boxes' top and bottom are long enough to be rules
        cleaned = remove_boxes(inverted, height)[0]
        cleaned = remove_rules(cleaned, height, gray=gray if ink_dark else 255 - gray)[0]
    return Preprocessed(original=image, gray=gray, binary=binary, inverted=inverted,
                        cleaned=cleaned, scale=scale, offset=offset)
