"""MNIST's normalisation, shared by reading and training.

MNIST digits were scaled to fit a 20x20 box (keeping their aspect ratio, anti-aliased) and
placed in a 28x28 image with their centre of mass at the centre. :func:`to_mnist` does the
same to a digit's ink mask, so that the network sees a segmented digit the way it saw its
training digits; :func:`crop_to_mnist` does it to a small image holding one digit (an MNIST,
USPS or exam-box crop), and :func:`add_border` is the paper's own, simpler step.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["to_mnist", "crop_to_mnist", "crop_views", "frame_ink_dark", "box_edges", "without_box",
           "add_border", "stroke_width", "deskew", "MNIST_SIZE", "MNIST_BOX", "MNIST_STROKE"]

MNIST_SIZE = 28
MNIST_BOX = 20
#: stroke width (pixels) of a typical MNIST digit inside its 28x28 image
MNIST_STROKE = 2.4
#: crops are first brought to at most this side: the result is 20 pixels anyway
_WORK_SIDE = 64
#: the edges of a printed box lie within this share of a crop's side from its border ...
BOX_BAND = 0.2
#: ... and are ink along at least this share of their length; a run of such rows (or columns)
#: thicker than this share of the side (and 2 pixels) is a stroke or a band, not a box's edge
BOX_ALONG = 0.85
BOX_THICK = 0.08


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the stroke width (pixels) of an ink mask as twice its area over its perimeter."""
    mask = (np.asarray(mask) > 0).astype(np.uint8)
    area = float(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return max(1.0, 2.0 * area / max(perimeter, 1.0))


def add_border(digit: np.ndarray, fraction: float = 0.25) -> np.ndarray:
    """The paper's step: pad a tight digit crop with background on every side, making it square."""
    h, w = digit.shape
    side = int(round(max(h, w) * (1 + 2 * fraction)))
    out = np.zeros((side, side), dtype=digit.dtype)
    y, x = (side - h) // 2, (side - w) // 2
    out[y:y + h, x:x + w] = digit
    return out


def _even_stroke(crop: np.ndarray) -> np.ndarray:
    """Thicken or thin the strokes of a 0/255 crop towards MNIST's width at 20 pixels."""
    h, w = crop.shape
    wanted = MNIST_STROKE * max(h, w) / MNIST_BOX  # stroke width in crop pixels that becomes MNIST's
    have = stroke_width(crop)
    if have < 0.75 * wanted:
        grow = int(round((wanted - have) / 2))
        if grow > 0:
            crop = cv2.copyMakeBorder(crop, grow, grow, grow, grow, cv2.BORDER_CONSTANT)
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2)
            crop = cv2.dilate(crop, kernel)
    elif have > 1.8 * wanted:
        shrink = int(round((have - 1.3 * wanted) / 2))
        if shrink > 0:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * shrink + 1,) * 2)
            thinner = cv2.erode(crop, kernel)
            if thinner.any():
                crop = thinner
    return crop


def to_mnist(digit: np.ndarray, *, stroke: bool = True) -> np.ndarray:
    """Normalise a digit's ink mask the way MNIST was built.

    The tight crop is scaled (keeping its aspect ratio, anti-aliased) to fit a 20x20 box and
    placed in a 28x28 image with its centre of mass at the centre. With ``stroke``, pen lines
    much thinner or bolder than MNIST's are first thickened or thinned to MNIST's width.

    Parameters
    ----------
    digit : numpy.ndarray
        Ink mask (ink > 0) holding one digit, any size.

    Returns
    -------
    numpy.ndarray
        ``(28, 28)`` float32 in [0, 1], ink bright.
    """
    ink = (np.asarray(digit) > 0).view(np.uint8)
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return out
    crop = ink[y:y + h, x:x + w] * np.uint8(255)
    if max(h, w) > _WORK_SIDE:  # large crops: the same result from fewer pixels
        f = _WORK_SIDE / max(h, w)
        crop = cv2.resize(crop, (max(1, round(w * f)), max(1, round(h * f))),
                          interpolation=cv2.INTER_AREA)
        crop = np.where(crop > 40, 255, 0).astype(np.uint8)  # thin strokes survive
    if stroke and max(h, w) > MNIST_BOX:
        crop = _even_stroke(crop)
    h, w = crop.shape
    scale = MNIST_BOX / max(h, w)
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    total = small.sum()
    if total <= 0:
        return out
    cy = (small.sum(axis=1) @ np.arange(nh)) / total
    cx = (small.sum(axis=0) @ np.arange(nw)) / total
    top = min(max(int(round(MNIST_SIZE / 2 - 0.5 - cy)), 0), MNIST_SIZE - nh)
    left = min(max(int(round(MNIST_SIZE / 2 - 0.5 - cx)), 0), MNIST_SIZE - nw)
    out[top:top + nh, left:left + nw] = small
    return out


def deskew(image: np.ndarray) -> np.ndarray:
    """Shear a normalised digit upright: its ink's second moments say how it leans.

    The classic deskewing of MNIST: the shear ``mu11 / mu02`` that makes the ink's main axis
    vertical, about the row of its centre of mass.

    Parameters
    ----------
    image : numpy.ndarray
        ``(28, 28)`` float32 digit, ink bright (from :func:`to_mnist`).

    Returns
    -------
    numpy.ndarray
        The upright digit, same shape and dtype; the input itself when it holds no ink.
    """
    image = np.asarray(image, np.float32)
    m = cv2.moments(image)
    if m["m00"] <= 0 or m["mu02"] <= 1e-2:
        return image
    shear = m["mu11"] / m["mu02"]
    centre = m["m01"] / m["m00"]
    warp = np.float32([[1, shear, -shear * centre], [0, 1, 0]])
    return cv2.warpAffine(image, warp, image.shape[::-1],
                          flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def frame_ink_dark(gray: np.ndarray) -> bool:
    """Whether the ink of a digit crop is darker than its paper.

    The image's frame is mostly paper even where the digit touches it: the side of Otsu's
    threshold that holds most of the frame's pixels is the paper.
    """
    frame = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    return _mostly_bright(gray, frame)


def _mostly_bright(gray: np.ndarray, pixels: np.ndarray) -> bool:
    """Whether most of ``pixels`` (of ``gray``) are on the bright side of its Otsu threshold."""
    level, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.count_nonzero(pixels > level) > pixels.size / 2


def _ink_bright(gray: np.ndarray, ink_dark: bool) -> np.ndarray:
    return 255 - gray if ink_dark else gray


def _thin_runs(flags: np.ndarray, thickest: int) -> np.ndarray:
    """``flags`` without its runs of more than ``thickest`` consecutive True values."""
    step = np.diff(np.r_[0, flags.astype(np.int8), 0])
    out = flags.copy()
    for start, stop in zip(np.flatnonzero(step == 1), np.flatnonzero(step == -1)):
        if stop - start > thickest:
            out[start:stop] = False
    return out


def _median_level(gray: np.ndarray) -> int:
    """The median grey level of a ``uint8`` image (of about 65,000 of its pixels, evenly
    spread, on a large photo)."""
    step = max(1, int(np.sqrt(gray.size / 65536)))
    sample = np.ascontiguousarray(gray[::step, ::step])
    counts = np.cumsum(cv2.calcHist([sample], [0], None, [256], [0, 256]).ravel())
    return int(np.searchsorted(counts, sample.size / 2))


def without_box(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The image with the edges of a box around it (:func:`box_edges`) painted out in the
    paper's colour, and the edges; None if it has none.

    Parameters
    ----------
    gray : numpy.ndarray
        ``uint8`` image, ink bright.
    """
    gray = np.asarray(gray, np.uint8)
    edges = box_edges(gray)
    if not edges.any():
        return None
    return np.where(edges, np.uint8(_median_level(gray)), gray), edges


def box_edges(gray: np.ndarray) -> np.ndarray:
    """The edges of a box printed around a digit or a number (an exam answer box, a form's
    field): along the image's border, where a crop of the box puts them.

    Parameters
    ----------
    gray : numpy.ndarray
        ``uint8`` image, ink bright.

    Returns
    -------
    numpy.ndarray
        ``bool`` mask of the ink of rows and columns within :data:`BOX_BAND` of the border
        that are ink along :data:`BOX_ALONG` of their length, in runs no thicker than
        :data:`BOX_THICK` (and of the half-inked rows and columns beside them: the blurred sides
        of a line); all False if there are none.
    """
    g = np.asarray(gray, np.uint8)
    paper, top = _median_level(g), int(g.max(initial=0))
    if top - paper < 24:
        return np.zeros(g.shape, bool)
    ink = g > paper + max(20.0, 0.3 * (top - paper))
    out = np.zeros(g.shape, bool)
    for axis in (0, 1):  # rows, then columns
        n = g.shape[axis]
        cover = cv2.reduce(ink.view(np.uint8), 1 - axis, cv2.REDUCE_SUM,
                           dtype=cv2.CV_32S).ravel() / g.shape[1 - axis]
        band = max(1, int(np.ceil(BOX_BAND * n)))
        edge = np.zeros(n, bool)
        edge[:band] = cover[:band] >= BOX_ALONG
        edge[n - band:] = cover[n - band:] >= BOX_ALONG
        edge = _thin_runs(edge, max(2, int(BOX_THICK * n)))
        beside = edge | np.r_[edge[1:], False] | np.r_[False, edge[:-1]]
        edge |= beside & (cover >= 0.5)
        if axis == 0:
            out[edge, :] = True
        else:
            out[:, edge] = True
    return out & ink


def crop_views(gray: np.ndarray) -> np.ndarray:
    """The ways a small crop of one digit may be read: usually one, :func:`crop_to_mnist`.

    A box printed around the digit (:func:`box_edges`) would be read with it, as a 0 or not
    a digit at all, so the crop is also given with the box's edges painted out in the paper's
    colour. A box's edges also fill the crop's frame, from which :func:`frame_ink_dark` tells
    ink from paper; where the whole crop's majority says otherwise, the crop is also given the
    other way round. The classifier chooses among the views (see
    :func:`mnistreader.reader.read_numbers`).

    Parameters
    ----------
    gray : numpy.ndarray
        ``uint8`` grayscale crop.

    Returns
    -------
    numpy.ndarray
        ``(k, 28, 28)`` float32 views, the plain :func:`crop_to_mnist` first.
    """
    gray = np.asarray(gray, np.uint8)
    first = frame_ink_dark(gray)
    polarities = [first] if _mostly_bright(gray, gray) == first else [first, not first]
    views = []
    for ink_dark in polarities:
        bright = _ink_bright(gray, ink_dark)
        views.append(crop_to_mnist(bright, False))
        unboxed = without_box(bright)
        if unboxed is not None:
            views.append(crop_to_mnist(unboxed[0], False))
    return np.stack(views)


def crop_to_mnist(gray: np.ndarray, ink_dark: bool | None = None) -> np.ndarray:
    """Normalise a small grayscale image of one digit (MNIST, USPS, an exam box) like MNIST.

    Such crops come in every size, position and contrast (faint pencil, digits filling the
    frame): the ink is separated from the paper with Otsu's threshold (after enlarging tiny
    crops, so that their strokes stay smooth), specks are dropped, and the ink goes through
    :func:`to_mnist`.

    Parameters
    ----------
    gray : numpy.ndarray
        ``uint8`` grayscale crop.
    ink_dark : bool, optional
        Whether the ink is darker than the paper; by default :func:`frame_ink_dark` decides.

    Returns
    -------
    numpy.ndarray
        ``(28, 28)`` float32 in [0, 1], ink bright; all zero if the crop holds no ink.
    """
    gray = np.asarray(gray, np.uint8)
    if ink_dark is None:
        ink_dark = frame_ink_dark(gray)
    gray = _ink_bright(gray, ink_dark)
    if max(gray.shape) < 56:
        f = 56 / max(gray.shape)
        gray = cv2.resize(gray, (round(gray.shape[1] * f), round(gray.shape[0] * f)),
                          interpolation=cv2.INTER_CUBIC)
    if int(gray.max()) - int(gray.min()) < 24:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n > 2:  # drop specks: keep components of at least 5% of the largest one's ink
        keep = stats[:, cv2.CC_STAT_AREA] >= 0.05 * stats[1:, cv2.CC_STAT_AREA].max()
        keep[0] = False
        ink = np.where(keep[labels], 255, 0).astype(np.uint8)
    return to_mnist(ink)
