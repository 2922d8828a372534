"""Measure the writing in an ink mask: its components, how tall its digits are, which
components are writing (not rules, borders, bands, print or specks) and the box around it.

:mod:`mnistreader.preprocess` uses these on its first look at an image, to choose the scale
and the part of the image to read; :mod:`mnistreader.lines` to find the lines of digits.
Component statistics are OpenCV's ``(x, y, w, h, area)`` rows, the background left out.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["component_stats", "mask_height", "typical_height", "small_print",
           "writing_components", "writing_box", "CROP_TALL", "PRINT_COUNT", "PRINT_SMALL"]

#: Small writing is enlarged only where it is; the crop takes in a component it would cut
#: through (digits joined by an underline) unless it is more than this many digit heights tall.
CROP_TALL = 6.0


def _clear_of_edge(stats: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which components (statistics rows ``(x, y, w, h, ...)``) touch no edge of an image of
    ``shape``."""
    x, y, w, h = np.asarray(stats)[:, :4].T
    return (x > 0) & (y > 0) & (x + w < shape[1]) & (y + h < shape[0])


#: a row of at least this many components ...
PRINT_COUNT = 3
#: ... each less than this share of the tallest component's height is printed small print
PRINT_SMALL = 0.6


def small_print(stats: np.ndarray) -> np.ndarray:
    """Which components (statistics rows ``(x, y, w, h, area)``) are a row of printed small
    print beside taller writing (a form's "Trykt for Kirkeministeriet" under a register's
    handwritten number): :data:`PRINT_COUNT` or more components (printed words), all under
    :data:`PRINT_SMALL` of the tallest one's height, their middles in one row (within 0.6 of
    their median height of each other's median), on a line of their own: no taller component
    reaches into the row."""
    stats = np.asarray(stats, np.float64).reshape(-1, 5)
    out = np.zeros(len(stats), bool)
    if len(stats) < PRINT_COUNT + 1:
        return out
    _, y, _, h, _ = stats.T
    small = h < PRINT_SMALL * h.max()
    if small.sum() < PRINT_COUNT:
        return out
    middle = y + h / 2
    size = float(np.median(h[small]))
    row = small & (np.abs(middle - np.median(middle[small])) <= 0.6 * size)
    if row.sum() < PRINT_COUNT:
        return out
    # on a line of its own: no taller component reaches into the row (a broken digit's pieces
    # lie beside whole digits)
    top, bottom = y[row].min(), (y + h)[row].max()
    tall = ~small
    if ((y[tall] < bottom) & (y[tall] + h[tall] > top)).any():
        return out
    return row


def typical_height(stats: np.ndarray, shape: tuple[int, int] | None = None, *,
                   print_apart: bool = False) -> float:
    """Typical digit height from component statistics rows ``(x, y, w, h, area)``.

    The area-weighted median height of the components shaped like a digit or a few touching
    digits (not flat like a rule or a dash, not a hairline taller than 12 times its width, not
    a solid blob like a scan-edge band), of at least a tenth of the largest such component's
    ink: specks, printed small print and punctuation weigh little, long rules, page borders and
    bands nothing; with ``print_apart``, a row of printed small print on a line of its own
    beside taller writing (:func:`small_print`) nothing either (measured in the working
    image, where the print's words outweigh two handwritten digits; not in the first look,
    where faint digits break into pieces as small as the print). Given the image's ``shape``,
    components touching its edge (cut off, bands, borders, neighbouring cells) count only when
    all do. 0 when there are no components.
    """
    stats = np.asarray(stats, dtype=np.float64).reshape(-1, 5)
    if len(stats) == 0:
        return 0.0
    _, _, w, h, area = stats.T
    shaped = (w <= 4 * h) & (h <= 12 * w) & (h >= 3)
    for better in (area <= 0.65 * w * h, True if shape is None else _clear_of_edge(stats, shape)):
        if (shaped & better).any():
            shaped &= better
    if not shaped.any():
        return float(np.median(h))
    h, area, stats = h[shaped], area[shaped], stats[shaped]
    big = area >= 0.1 * area.max()
    h, area, stats = h[big], area[big], stats[big]
    if print_apart:
        writing = ~small_print(stats)
        h, area = h[writing], area[writing]
    order = np.argsort(h, kind="stable")
    cumulative = np.cumsum(area[order])
    return float(h[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def writing_components(stats: np.ndarray, shape: tuple[int, int], height: float) -> np.ndarray:
    """Which components (statistics rows ``(x, y, w, h, area)``) may be part of the writing.

    Left out: anything more than 2.2 digit heights tall (ruled lines, page borders, scan-edge
    bands, frames), long flat strokes more than 1.6 digit heights long (underlines, rules),
    dust, specks and textures cut off by the image's edge, and solid blocks of ink (blots,
    dark margins) larger than a digit or cut off by the edge.
    """
    stats = np.asarray(stats, np.int64).reshape(-1, 5)
    _, _, w, h, area = stats.T
    keep = h <= 2.2 * height
    keep &= ~((h < 0.35 * height) & (w > 1.6 * height))
    keep &= np.maximum(w, h) >= 0.15 * height
    edge = ~_clear_of_edge(stats, shape)
    keep &= ~(edge & (h < 0.5 * height))
    solid = (area > 0.75 * w * h) & (np.minimum(w, h) > 0.45 * height)
    keep &= ~(solid & (edge | (np.minimum(w, h) > height)))
    return keep


def _cut_through(stats: np.ndarray, keep: np.ndarray, shape: tuple[int, int],
                 height: float) -> np.ndarray:
    """Which components the box of the writing components (``keep``) would cut through and
    that may hold writing: digits joined by an underline, a row of boxes or a rule's remnant
    into one component too wide or too tall to be writing. Not a line across the whole image,
    not a solid block, not more than :data:`CROP_TALL` digit heights tall."""
    x, y, w, h, area = np.asarray(stats, np.int64).reshape(-1, 5).T
    x0, y0 = x[keep].min(), y[keep].min()
    x1, y1 = (x + w)[keep].max(), (y + h)[keep].max()
    over = (x < x1) & (x + w > x0) & (y < y1) & (y + h > y0)
    across = ((y <= 0) & (y + h >= shape[0])) | ((x <= 0) & (x + w >= shape[1]))
    return over & ~keep & ~across & (area <= 0.5 * w * h) & (h <= CROP_TALL * height)


def writing_box(stats: np.ndarray, shape: tuple[int, int],
                height: float) -> tuple[int, int, int, int]:
    """The box ``(x, y, w, h)`` of the writing, from the components' statistics ``(x, y, w, h,
    area)`` in an image of ``shape``, with a digit height of margin (the whole image when no
    component looks like writing). Components the box would cut through that may hold
    writing are inside it too (:func:`_cut_through`)."""
    keep = writing_components(stats, shape, height)
    if keep.any() and height:
        keep |= _cut_through(stats, keep, shape, height)
    stats = stats[keep]
    if len(stats) == 0 or not height:
        return 0, 0, shape[1], shape[0]
    m = int(np.ceil(height))
    x0, y0 = max(0, int(stats[:, 0].min()) - m), max(0, int(stats[:, 1].min()) - m)
    x1 = min(shape[1], int((stats[:, 0] + stats[:, 2]).max()) + m)
    y1 = min(shape[0], int((stats[:, 1] + stats[:, 3]).max()) + m)
    return x0, y0, x1 - x0, y1 - y0


def component_stats(mask: np.ndarray) -> np.ndarray:
    """``(x, y, w, h, area)`` of the mask's components of at least 4 pixels."""
    _, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).view(np.uint8), 8)
    return stats[1:][stats[1:, 4] >= 4]


def mask_height(mask: np.ndarray) -> float:
    """Typical digit height (pixels) of the ink in a mask (:func:`typical_height`)."""
    return typical_height(component_stats(mask), mask.shape)
