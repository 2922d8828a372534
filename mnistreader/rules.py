"""Remove ruled lines, box edges and page borders from an ink mask, keeping what is written on them.

A ruled line is a straight run of ink much longer than any stroke of a digit. It is found with
a morphological opening along its direction (tolerating a slight tilt), only inside the
components long enough to hold one; a horizontal rule bent by a curved page is found as a
chain of level pieces each longer than a digit's strokes. Ink on a rule that is clearly
thicker or darker than the line and joined to a stroke off it is a pen stroke written on the
line and stays, and strokes that crossed a removed line are joined again across it.

A printed box written in (a form's row of boxes, one digit in each) is found by its shape: a
component whose four sides are straight, thin lines along nearly its whole width and height
(looked at turned level, when the form was photographed askew); its lines go, the dividers
between neighbouring boxes too, and the digits stay (:func:`remove_boxes`).

Scan-edge bands are :mod:`mnistreader.bands`' (:func:`remove_bands` is re-exported here).
"""

from __future__ import annotations

import cv2
import numpy as np

from .bands import remove_bands
from .writing import mask_height

__all__ = ["remove_rules", "remove_boxes", "remove_bands", "turning"]

#: Lines as long as the image is tall (wide), too long to be told from a digit by the digit
#: height, are rules only when there are at least this many side by side (a grid, a table's
#: columns); one may be a 1.
FULL_RULES = 3
#: ... or when thinner than this share of their length and joined to other ink: a notebook's
#: margin line, which joined the stubs of the rules crossing it (and the digits on them) into
#: one component as tall as the page, so that the first look took the digits for several times
#: their height and read them shrunk to a few pixels (a pen's 1 filling a tight crop is several
#: times thicker; a line alone, a register cell's side, is no digit's height anyway)
FULL_THIN = 0.03
#: A bent rule is found as level pieces at least this many digit heights long, longer than a
#: digit's level strokes (a 2's base, a 7's top), chained across the page. 0.5-0.7 read the
#: dev sets alike; 1.0 found too few pieces. The longest of those is kept: the safest.
LINK = 0.7
#: ... and it is thin: its mean thickness at most this share of a piece's length.
LINK_THIN = 0.15


def _long_runs(mask: np.ndarray, length: int, vertical: bool, tolerance: int) -> np.ndarray:
    """Ink on straight runs at least ``length`` long, allowing a tilt of ``tolerance`` pixels."""
    if vertical:
        return _long_runs(np.ascontiguousarray(mask.T), length, False, tolerance).T
    runs = np.zeros_like(mask)
    # only bands of rows near a row with much ink can hold a run (the opening is row by row)
    for lo, hi in _bands(np.count_nonzero(mask, axis=1) >= length // 2, tolerance + 1):
        band = mask[lo:hi]
        tolerant = cv2.dilate(band, np.ones((tolerance, 1), np.uint8)) if tolerance > 1 else band
        if np.count_nonzero(tolerant, axis=1).max(initial=0) < length:
            continue
        # outside the image counts as paper: a stroke cut off by the edge is not a long run
        found = cv2.morphologyEx(tolerant, cv2.MORPH_OPEN, np.ones((1, length), np.uint8),
                                 borderType=cv2.BORDER_CONSTANT, borderValue=0)
        runs[lo:hi] |= cv2.dilate(found, np.ones((3, 3), np.uint8)) & band
    return runs


def _linked_runs(mask: np.ndarray, length: int, short: int) -> np.ndarray:
    """Ink on a bent rule (the page curves, or the photo bends it): level pieces at least
    ``short`` long, chained across at least ``length``, and thin all along it."""
    tolerant = cv2.dilate(mask, np.ones((3, 1), np.uint8))
    found = cv2.morphologyEx(tolerant, cv2.MORPH_OPEN, np.ones((1, short), np.uint8),
                             borderType=cv2.BORDER_CONSTANT, borderValue=0)
    found = cv2.dilate(found, np.ones((3, 3), np.uint8)) & mask
    _, labels, stats, _ = cv2.connectedComponentsWithStats(found, connectivity=8)
    chained = (stats[:, 2] >= length) & (stats[:, 4] <= LINK_THIN * short * stats[:, 2])
    chained[0] = False
    return np.where(chained[labels], mask, 0).astype(mask.dtype)


def _bands(rows: np.ndarray, margin: int) -> list[tuple[int, int]]:
    """Ranges ``(lo, hi)`` covering the True entries of ``rows`` with ``margin`` around them,
    overlapping ranges joined."""
    where = np.flatnonzero(rows)
    if len(where) == 0:
        return []
    breaks = np.flatnonzero(np.diff(where) > 2 * margin + 1)
    starts = np.concatenate([where[:1], where[breaks + 1]])
    ends = np.concatenate([where[breaks], where[-1:]])
    return [(max(0, int(a) - margin), min(len(rows), int(b) + margin + 1))
            for a, b in zip(starts, ends)]


def _each_rule(runs: np.ndarray, vertical: bool):
    """Each rule in ``runs`` apart (a grid's rules lie one above the other: counted across all
    of them at once they look thick): its band ``(lo, hi)`` of rows (columns, ``vertical``) and
    its own thickness, the median across it (strokes on it only make the mean larger)."""
    for lo, hi in _bands(runs.any(axis=0 if vertical else 1), 1):
        where = (slice(None), slice(lo, hi)) if vertical else (slice(lo, hi), slice(None))
        across = np.count_nonzero(runs[where], axis=1 if vertical else 0)
        yield lo, hi, float(np.median(across[across > 0]))


def _thin(runs: np.ndarray, vertical: bool, length: float) -> bool:
    """Whether the lines in ``runs`` (the :func:`_long_runs` of one component) are each less
    than :data:`FULL_THIN` of their ``length`` thick."""
    thickness = [t for _, _, t in _each_rule(runs, vertical)]
    return bool(thickness) and max(thickness) <= FULL_THIN * length


def _strokes_on(mask: np.ndarray, runs: np.ndarray, vertical: bool) -> np.ndarray:
    """Ink along a rule that is clearly thicker than the rule: a digit's stroke written on it."""
    out = np.zeros(mask.shape, bool)
    for lo, hi, thickness in _each_rule(runs, vertical):
        k = int(thickness) + 3  # a stroke on the rule makes the ink a few pixels thicker
        kernel = np.ones((1, k) if vertical else (k, 1), np.uint8)
        lo, hi = max(0, lo - k), min(mask.shape[1 if vertical else 0], hi + k)
        where = (slice(None), slice(lo, hi)) if vertical else (slice(lo, hi), slice(None))
        out[where] |= cv2.morphologyEx(mask[where], cv2.MORPH_OPEN, kernel,
                                       borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    return out


def _touching_strokes(kept: np.ndarray, strokes: np.ndarray) -> np.ndarray:
    """The parts of ``kept`` (ink on a rule that looked like pen) joined to a stroke off the
    rule: a digit crossing or standing on it. Dark patches of a rule alone are the rule's."""
    if not kept.any():
        return kept
    n, labels = cv2.connectedComponents((kept | strokes).view(np.uint8), connectivity=8)
    joined = np.zeros(n, bool)
    joined[labels[strokes]] = True
    return kept & joined[labels]


def _darker_than_rule(gray: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Pixels of a rule clearly darker than the rule itself: pen ink written over it."""
    on = runs > 0
    values = gray[on].astype(np.float32)
    level = float(np.median(values))
    spread = float(np.median(np.abs(values - level)))
    out = np.zeros(gray.shape, bool)
    out[on] = values < level - max(3.0 * spread, 20.0)
    return out


def remove_rules(mask: np.ndarray, height: float | None = None,
                 gray: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Remove long straight lines (ruled paper, underlines, table borders, margins).

    In an image of a line of writing (at least 2.5 times wider than tall) a horizontal run
    longer than a quarter of the width and 1.5 times the height is a rule; elsewhere it must
    span half the width and 1.5 digit heights. A vertical run must be longer than 85% of the
    image height and 1.3 digit heights (with the digit height unknown, as tall as the image and
    either one of three or more side by side or thin and joined to other ink: a margin line,
    not a 1 filling its crop, :data:`FULL_THIN`). Runs may tilt or bend slightly, and a
    horizontal rule bent further (a curved page) is found as level pieces chained across that
    length. Ink on a rule that is clearly thicker or darker than the rule is a pen stroke
    written on it and is kept, and digit strokes that crossed a removed rule are joined again
    across it. (Shorter
    lines, such as box edges and underlines, are left to the segmenter: see
    :func:`mnistreader.lines.find_lines`.)

    Parameters
    ----------
    mask : numpy.ndarray
        Ink mask (ink 255).
    height : float, optional
        Typical digit height in pixels; estimated from the components when omitted.
    gray : numpy.ndarray, optional
        The grayscale image, ink dark: ink darker than a line is kept.

    Returns
    -------
    cleaned, rules : numpy.ndarray
        The mask without the rules, and the ink that was removed.
    """
    h, w = mask.shape
    rules = np.zeros_like(mask)
    if min(h, w) < 16:
        return mask, rules
    across = {False: np.zeros_like(mask), True: np.zeros_like(mask)}  # level, upright rules
    if height is None:
        height = mask_height(mask)
    bent = max(5, min(h // 8, int(height) // 2 if height else h)) | 1
    page_h = max(w / 4, 1.5 * h) if w >= 2.5 * h else max(w / 2, 1.5 * height)
    page_v = max(0.85 * h, 1.3 * height) if height else h
    _, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0).view(np.uint8), 8)
    for upright, length in ((False, page_h), (True, page_v)):
        if length > (h if upright else w):
            continue
        # a line as long as the image is tall (wide) may be a 1 filling a tight crop (the digit
        # height unknown, or too large to tell), unless there are several (squared paper)
        full = length >= (h if upright else w)
        # only a component that long can hold a rule: look inside its box alone; a solid
        # block (a scan-edge band, a dark margin) is no rule, it is left to the segmenter
        for k in np.flatnonzero(stats[1:, 3 if upright else 2] >= length) + 1:
            x, y, cw, ch, area = stats[k]
            if area > 0.6 * cw * ch and min(cw, ch) > 0.5 * height:
                continue
            box = (slice(y, y + ch), slice(x, x + cw))
            ink = np.where(labels[box] == k, mask[box], 0).astype(np.uint8)
            runs = _long_runs(ink, int(length), upright, bent)
            if not upright and height:  # a bent rule: level pieces chained
                runs |= _linked_runs(ink, int(length), int(LINK * height))
            if full and len(_bands(runs.any(axis=0 if upright else 1), 1)) < FULL_RULES \
                    and not (_thin(runs, upright, length) and area > 1.5 * np.count_nonzero(runs)):
                continue
            if runs.any():
                keep = _strokes_on(ink, runs, upright)
                if gray is not None:
                    keep |= _darker_than_rule(gray[box], runs)
                keep = _touching_strokes(keep & (runs > 0), (ink > 0) & (runs == 0))
                across[upright][box] |= np.where(keep, 0, runs).astype(np.uint8)
    rules = across[False] | across[True]
    if not rules.any():
        return mask, rules
    size = max(3, int(0.3 * (height or h)) | 1)
    columns = _bands(across[True].any(axis=0), 0)  # the upright rules, side by side
    along = min([size] + [max(1, b[0] - a[1] - 1) for a, b in zip(columns, columns[1:])])
    cleaned = _joined_across(cv2.subtract(mask, rules), across[False], across[True], size, along)
    return cleaned, cv2.subtract(mask, cleaned)


def _joined_across(cleaned: np.ndarray, level: np.ndarray, upright: np.ndarray,
                   size: int, along: int | None = None) -> np.ndarray:
    """Join the strokes that crossed removed lines (their ink, ``level`` and ``upright``):
    close up and down across the level lines and sideways across the upright ones (``size``
    pixels), and along the level lines (a stroke written along one: a 2's base, a 4's bar on
    the line), each filling only its lines' own pixels. (Closed along the upright lines too, a
    grid's upright lines came back between the level lines that cross them; along a level line,
    the closing, ``along`` pixels (``size`` by default), is shorter than the gap between the
    upright lines crossing it, for the same reason.)"""
    along = size if along is None else along
    steps = [(1, level, np.ones((size, 1), np.uint8)), (0, level, np.ones((1, along), np.uint8))]
    if upright is not level or along != size:  # (a box's sides, given as both: done already)
        steps.append((0, upright, np.ones((1, size), np.uint8)))
    for axis, lines, kernel in steps:
        for lo, hi in _bands(lines.any(axis=axis), size):  # near the lines only
            where = (slice(lo, hi), slice(None)) if axis else (slice(None), slice(lo, hi))
            closed = cv2.morphologyEx(cleaned[where], cv2.MORPH_CLOSE, kernel)
            cleaned[where] |= closed & lines[where]
    return cleaned


#: a box's sides run along at least this share of its width (top, bottom) or height (the
#: sides and the dividers between neighbouring boxes) ...
BOX_SIDE = 0.85
#: ... and lie along its edges: within this share of the side from them
BOX_EDGE = 0.12
#: a box photographed askew, by at most this many degrees, is looked at turned level
BOX_TILT = 5.0
#: a box crossed by a stroke (:func:`_level_box_lines`) is at least this share of its
#: component's height (width): a digit's loop between two straight strokes is no box
BOX_FRAME = 0.7
#: ... and at least this many digit heights wide and tall (the loops of 8s and 0s were taken
#: for boxes crossed by their other strokes)
BOX_LEAST = 0.7
#: digit strokes that crossed a box's line are joined across it, over at most this many digit
#: heights (0.3 joined more strokes, and also neighbours across a divider: rows of boxes turned
#: 4 degrees read 0.7 points worse than at 0.2)
BOX_JOIN = 0.2


def _printed_lines(ink: np.ndarray, vertical: bool, thickest: float,
                   off: float = 2.0) -> tuple[np.ndarray, list]:
    """The printed lines along at least :data:`BOX_SIDE` of a component's box (``ink``, its
    ``uint8`` crop), as a mask, and where each lies across (its middle row or column).

    A printed line is a straight run (tilted by at most a tenth), thin and straight along most
    of its length: across four fifths of it, at most ``thickest`` pixels thick and its middle
    within ``off`` pixels of the straight line fitted to it (a digit's stroke lying on part of
    it makes it thicker there; a pen stroke curves).
    """
    span = ink.shape[0 if vertical else 1]
    runs = _long_runs(ink, int(BOX_SIDE * span), vertical, 3)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    keep, where = np.zeros(n, bool), []
    for k in range(1, n):
        x, y, w, h, _ = stats[k]
        run = labels[y:y + h, x:x + w] == k
        across, along = np.nonzero(run.T if vertical else run)
        count = np.bincount(along)
        filled = count > 0
        middle = np.bincount(along, across)[filled] / count[filled]
        at = np.flatnonzero(filled)
        slope, offset = np.polyfit(at, middle, 1) if len(at) > 1 else (0.0, float(middle[0]))
        off_line = np.abs(middle - (offset + slope * at))
        good = (count[filled] <= thickest) & (off_line <= off)
        if good.mean() >= 0.8 and abs(slope) <= 0.1:
            keep[k] = True
            where.append(offset + slope * (len(count) - 1) / 2 + (x if vertical else y))
    return keep[labels], where


def _boxed(rows: list, cols: list, h: int, w: int) -> bool:
    """Whether printed lines at ``rows`` (level) and ``cols`` (upright) of a component ``h`` by
    ``w`` make a box: a line along its top and its bottom edge (within :data:`BOX_EDGE` of the
    side, or 4 pixels), and along its left and right edge or three upright lines in all (a row
    of boxes whose outer side a digit written over it hides). (Three of the four sides, or two
    and a divider, found digits too: two of 300 synthetic numbers read otherwise; lines within
    a fifth of the side found the loops of 3 of 2,000 bold digits.)"""
    near_y, near_x = max(4.0, BOX_EDGE * h), max(4.0, BOX_EDGE * w)
    level = any(r <= near_y for r in rows) and any(r >= h - 1 - near_y for r in rows)
    sides = any(c <= near_x for c in cols) and any(c >= w - 1 - near_x for c in cols)
    return level and (sides or len(cols) >= 3)


def _level_box_lines(ink: np.ndarray, thickest: float, least: float = 0.0) -> np.ndarray | None:
    """The lines of the box that a component's crop ``ink`` is, held level; None if it is
    none (:func:`_boxed`).

    A digit written across the box's top or bottom (or a tick across its side) makes the
    component taller (wider) than the box, and the box's sides too short a share of it and
    its edges too far in: the box is then looked for again between its outermost level lines
    (upright lines), as wide as the component the other way, when that box is at least
    ``least`` pixels wide and tall and :data:`BOX_FRAME` of the component."""
    level, rows = _printed_lines(ink, False, thickest)
    upright, cols = _printed_lines(ink, True, thickest)
    if _boxed(rows, cols, *ink.shape):
        return level | upright
    for vertical, lines, found in ((False, level, rows), (True, upright, cols)):
        if len(found) < 2:
            continue
        across = np.flatnonzero(lines.any(axis=0 if vertical else 1))
        lo, hi = across[0], across[-1] + 1
        side = ink.shape[1 if vertical else 0]
        frame = (slice(None), slice(lo, hi)) if vertical else (slice(lo, hi), slice(None))
        inner = ink[frame]
        if not BOX_FRAME * side <= hi - lo < side or min(inner.shape) < least:
            continue
        inner_level, inner_rows = _printed_lines(inner, False, thickest)
        inner_upright, inner_cols = _printed_lines(inner, True, thickest)
        if _boxed(inner_rows, inner_cols, *inner.shape):
            box = np.zeros(ink.shape, bool)
            box[frame] = inner_level | inner_upright
            return box
    return None


def _tilt(ink: np.ndarray) -> float:
    """How far (degrees) the outline of a component's ink is turned from level: the angle of
    the most level side of the smallest rectangle around it, within 45 degrees."""
    corners = cv2.boxPoints(cv2.minAreaRect(cv2.findNonZero(ink)))
    sides = np.roll(corners, -1, axis=0) - corners
    dx, dy = sides[int(np.argmax(np.abs(sides[:, 0])))]
    return float((np.degrees(np.arctan2(dy, dx)) + 45) % 90 - 45)


def turning(shape: tuple[int, ...], degrees: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The affine matrix that turns an image of ``shape`` by ``degrees`` about its centre onto
    a canvas that holds all of it, and that canvas's ``(width, height)``."""
    h, w = shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    size = (int(w * cos + h * sin) + 2, int(w * sin + h * cos) + 2)
    turn[:, 2] += (size[0] - w) / 2, (size[1] - h) / 2
    return turn, size


def _box_lines(ink: np.ndarray, thickest: float, least: float = 0.0) -> np.ndarray | None:
    """The lines of the box that a component's crop ``ink`` is (a mask of its pixels), or None.
    A box photographed askew (its outline turned by 0.5 to :data:`BOX_TILT` degrees) is
    looked at turned level, and its lines turned back."""
    tilt = _tilt(ink)
    if abs(tilt) < 0.5:
        return _level_box_lines(ink, thickest, least)
    if abs(tilt) > BOX_TILT:
        return None
    h, w = ink.shape
    turn, size = turning(ink.shape, tilt)
    level = cv2.warpAffine(ink, turn, size, flags=cv2.INTER_NEAREST)
    x, y, bw, bh = cv2.boundingRect(level)
    found = _level_box_lines(level[y:y + bh, x:x + bw], thickest, least)
    if found is None:
        return None
    lines = np.zeros(level.shape, np.uint8)
    lines[y:y + bh, x:x + bw] = found
    back = cv2.warpAffine(lines, turn, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    return (cv2.dilate(back, np.ones((3, 3), np.uint8)) > 0) & (ink > 0)


def remove_boxes(mask: np.ndarray, height: float) -> tuple[np.ndarray, np.ndarray]:
    """Remove printed boxes written in: a form's row of boxes, one digit in each (with shared
    sides or apart), or a box around a number.

    A box is a component inside the image (a cell cut out along its borders is
    :func:`mnistreader.normalize.without_box`'s), at least about a digit tall and at most
    three, and not solid, whose sides are printed lines (straight and thin where no digit lies
    on them) along :data:`BOX_SIDE` of its width (top and bottom) and of its height (left,
    right and the dividers between boxes), along each of its four edges, or along its top and
    bottom with three upright lines (:func:`_boxed`);
    a box photographed askew is looked at turned level (:func:`_box_lines`), a box that
    writing crosses between its own lines (:func:`_level_box_lines`). Those lines go;
    the digits inside stay, but for what of them lay on a line, and their strokes that
    crossed a line are joined across it again (over at most :data:`BOX_JOIN` digit heights).

    Parameters
    ----------
    mask : numpy.ndarray
        Ink mask (ink 255).
    height : float
        Typical digit height in pixels.

    Returns
    -------
    cleaned, boxes : numpy.ndarray
        The mask without the boxes, and the ink that was removed.
    """
    boxes = np.zeros_like(mask)
    if not height:
        return mask, boxes
    _, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0).view(np.uint8), 8)
    x, y, w, h, area = stats.T
    inside = (x > 0) & (y > 0) & (x + w < mask.shape[1]) & (y + h < mask.shape[0])
    shaped = (h >= 0.6 * height) & (h <= 3 * height) & (w >= 0.5 * height)
    thickest = max(5.0, 0.2 * height)
    for k in np.flatnonzero(inside & shaped & (area <= 0.75 * w * h)):  # not the background
        box = (slice(y[k], y[k] + h[k]), slice(x[k], x[k] + w[k]))
        ink = np.where(labels[box] == k, 255, 0).astype(np.uint8)
        lines = _box_lines(ink, thickest, BOX_LEAST * height)
        if lines is not None:
            boxes[box] |= np.where(lines, mask[box], 0).astype(mask.dtype)
    if not boxes.any():
        return mask, boxes
    size = max(3, int(BOX_JOIN * height) | 1)
    cleaned = _joined_across(cv2.subtract(mask, boxes), boxes, boxes, size)
    return cleaned, cv2.subtract(mask, cleaned)
