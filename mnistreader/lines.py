"""The lines of writing in an ink mask: which components are writing, chained into lines.

:func:`find_lines` takes the connected components of the mask (the paper's contours), drops
what cannot be part of a digit of the writing's size (ruled lines, page borders and scan-edge
bands much taller or longer than the digits, specks, the hairlines left of ruled columns and
the dashes of a column line the scan broke up), and
chains the rest into lines of writing: left to right, each component overlapping its
neighbour vertically (:func:`group_lines`); lines chained apart are joined again when they are
level with each other or are the upper and lower strokes of digits broken across; small
pieces (dots, loose strokes) join the line they lie in. Each line is then cut into pieces and
its candidate digits listed (:func:`mnistreader.candidates.line_pieces`).

Coordinates are pixels of the mask; boxes are ``(x, y, w, h)``.
"""

from __future__ import annotations

import cv2
import numpy as np

from .candidates import Line, line_pieces
from .writing import typical_height, writing_components

__all__ = ["find_lines", "group_lines", "level", "column_height", "STACK_GAP", "ACROSS_FROM"]


def _overlap(a0, a1, b0, b1) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def group_lines(boxes: np.ndarray) -> list[list[int]]:
    """Chain boxes into lines of writing, left to right, each overlapping its neighbour vertically.

    Chaining follows a slanted or wavy baseline. Returns lists of row indices of ``boxes``
    (``(n, 4+)`` array of ``x, y, w, h``), lines top to bottom.
    """
    lines: list[list[int]] = []
    for k in np.argsort(boxes[:, 0], kind="stable").tolist():
        x, y, w, h = boxes[k, :4]
        best, best_overlap = None, 0.0
        for line in lines:
            last = boxes[line[-1]]
            overlap = _overlap(y, y + h, last[1], last[1] + last[3]) / max(1, min(h, last[3]))
            if overlap > best_overlap:
                best, best_overlap = line, overlap
        if best is not None and best_overlap >= 0.4:
            best.append(k)
        else:
            lines.append([k])
    lines.sort(key=lambda line: np.mean([boxes[k, 1] + boxes[k, 3] / 2 for k in line]))
    return lines


def _nearest_line(lines: list[list[int]], bands: list[tuple[float, float]], boxes: np.ndarray,
                  k: int, height: float) -> int | None:
    """The line that box ``k`` (a piece smaller than a digit) belongs to, or None.

    It belongs to a line when its middle lies in the line's band (``bands``: the median top and
    bottom of its digits, widened by half a digit height, where a broken digit's loose stroke
    or a dot lies) and it is within half a digit height of one of its digits; the nearest such
    line wins.
    """
    x, y, w, h = boxes[k, :4]
    middle = y + h / 2
    best, best_gap = None, 0.5 * height
    for n, (line, (top, bottom)) in enumerate(zip(lines, bands)):
        if not top - 0.5 * height <= middle <= bottom + 0.5 * height:
            continue
        near = boxes[line]
        gaps = np.maximum(0, np.maximum(near[:, 0] - (x + w), x - (near[:, 0] + near[:, 2])))
        if gaps.min() <= best_gap:
            best, best_gap = n, gaps.min()
    return best


#: a piece left out of every line joins one when it stands this close (in digit heights)
#: above or below a small piece that joined it: the other half of a broken digit
HALF_GAP = 0.3


def _join_stacked_halves(lines: list[list[int]], loose: list[int], joined: list[int],
                         boxes: np.ndarray, height: float) -> None:
    """Add to ``lines`` the pieces of ``loose`` (smaller than a digit, in no line) that stand
    above or below a piece of ``joined`` (small pieces that joined a line), over half the
    narrower one's width and less than :data:`HALF_GAP` digit heights apart: of a digit
    broken across and standing apart from the line's other digits (the first of a number),
    only the half nearer them joins by itself. Repeated while pieces join."""
    members = {k: n for n, line in enumerate(lines) for k in line}
    members = {k: members[k] for k in joined}
    loose = np.asarray(loose, np.int64)
    while len(loose) and members:
        near = np.fromiter(members, np.int64)
        x, y, w, h = (boxes[loose, i][:, None] for i in range(4))
        nx, ny, nw, nh = (boxes[near, i][None] for i in range(4))
        across = np.minimum(x + w, nx + nw) - np.maximum(x, nx)
        apart = np.maximum(ny - (y + h), y - (ny + nh))
        hits = (across >= 0.5 * np.minimum(w, nw)) & (apart < HALF_GAP * height)
        found = hits.any(axis=1)
        if not found.any():
            return
        for k, j in zip(loose[found].tolist(), near[hits[found].argmax(axis=1)].tolist()):
            lines[members[j]].append(k)
            members[k] = members[j]
        loose = loose[~found]


def _hairlines(stats: np.ndarray, height: float) -> np.ndarray:
    """Upright strokes far thinner than the pen that wrote the digits: what is left of a ruled
    column line after rule removal, never a 1 (whose stroke is as wide as the others')."""
    x, y, w, h, area = stats.T
    pen = area / np.maximum(np.maximum(w, h), 1)  # mean width across the longer side
    tall = h >= 0.5 * height
    if tall.sum() < 2:
        return np.zeros(len(stats), bool)
    return tall & (h >= 4 * w) & (pen < 0.3 * float(np.median(pen[tall])))


#: upright strokes one above another in one column (:func:`_broken_rule`) are a ruled column
#: line broken into dashes when they reach over this share of the image's height and this
#: many digit heights, from near its top or bottom edge
RULE_SPAN = 0.5
RULE_HEIGHTS = 2.0


def _broken_rule(stats: np.ndarray, shape: tuple[int, int], height: float) -> np.ndarray:
    """Which components (statistics rows ``(x, y, w, h, area)``) are dashes of a ruled column
    line the scan broke up: thin upright strokes, two or more, standing one above another in
    one column, which reach from near the image's top or bottom edge over :data:`RULE_SPAN`
    of its height and :data:`RULE_HEIGHTS` digit heights, and are ink over 40% of it. No
    number holds digits stacked so; :func:`_hairlines` finds such a line when it is thinner
    than the pen, this when it is as thick."""
    x, y, w, h = stats[:, :4].T.astype(np.float64)
    thin = (w <= 0.35 * height) & (h >= 2 * w)
    centre = x + w / 2
    out = np.zeros(len(stats), bool)
    for k in np.flatnonzero(thin):
        if out[k]:
            continue
        column = thin & (np.abs(centre - centre[k]) <= max(2.0, 0.12 * height))
        if column.sum() < 2:
            continue
        top, bottom = y[column].min(), (y + h)[column].max()
        edge = min(top, shape[0] - bottom) <= 0.1 * shape[0]
        if edge and bottom - top >= max(RULE_SPAN * shape[0], RULE_HEIGHTS * height) \
                and h[column].sum() >= 0.4 * shape[0]:
            out |= column
    return out


def level(top0: float, bottom0: float, top1: float, bottom1: float, share: float = 0.5) -> bool:
    """Whether two bands of writing (top and bottom rows) are level with each other: they
    overlap by at least ``share`` of the lower one."""
    return min(bottom0, bottom1) - max(top0, top1) >= share * min(bottom0 - top0, bottom1 - top1)


def _band(line: list[int], stats: np.ndarray) -> tuple[float, float, int, int]:
    """Median top and bottom, left and right end of a line of components."""
    s = stats[line]
    return (float(np.median(s[:, 1])), float(np.median(s[:, 1] + s[:, 3])),
            int(s[:, 0].min()), int((s[:, 0] + s[:, 2]).max()))


#: lines side by side whose bands overlap by this share of the lower one are one line of
#: broken digits whose pieces stand at different heights; their digits are as tall as both
JOIN_LEVEL = 0.3


def _one_line(a: list[int], b: list[int], stats: np.ndarray) -> str | None:
    """Whether lines ``a`` and ``b`` are one line of writing chained apart: overlapping side to
    side or less than half a digit apart, and "level" with each other, or overlapping by at
    least :data:`JOIN_LEVEL` of the lower band ("offset": the pieces of broken digits at
    different heights); None when not."""
    (t0, b0, l0, r0), (t1, b1, l1, r1) = _band(a, stats), _band(b, stats)
    if max(l0, l1) - min(r0, r1) >= 0.5 * max(b0 - t0, b1 - t1):
        return None
    if level(t0, b0, t1, b1):
        return "level"
    return "offset" if level(t0, b0, t1, b1, JOIN_LEVEL) else None


#: two lines this close (a fraction of the taller band) one above the other are one line of
#: broken digits when their strokes stand in the same columns (:func:`_stacked`)
STACK_GAP = 0.2
#: ... unless both together are more than this many times as tall as their tallest stroke
#: (two lines of whole digits) and the strokes are not wider than tall
STACK_TALL = 1.5


def _stacked(a: list[int], b: list[int], stats: np.ndarray) -> bool:
    """Whether lines ``a`` and ``b`` are the upper and lower strokes of one line of broken
    digits: one just above the other (less than :data:`STACK_GAP` of the taller band apart),
    side by side over most of the narrower one, most of the shorter line's components standing
    above or below one of the other's, neither flat like an underline, and either both within
    :data:`STACK_TALL` times their tallest stroke or both made of pieces wider than tall
    (halves of digits)."""
    (t0, b0, l0, r0), (t1, b1, l1, r1) = _band(a, stats), _band(b, stats)
    if max(t0, t1) - min(b0, b1) >= STACK_GAP * max(b0 - t0, b1 - t1):
        return False
    if min(r0, r1) - max(l0, l1) < 0.5 * min(r0 - l0, r1 - l1):
        return False
    aspect = [float(np.median(stats[line, 2] / stats[line, 3])) for line in (a, b)]
    if max(aspect) > 2.5:  # flat like an underline or a rule's leftover
        return False
    # no digit of either is nearly as tall as both: two lines of whole digits, unless both
    # are lines of halves, wider than tall
    if max(b0, b1) - min(t0, t1) > STACK_TALL * stats[a + b, 3].max() and min(aspect) < 1.0:
        return False
    few, many = (a, b) if len(a) <= len(b) else (b, a)
    x0, x1 = stats[many, 0], stats[many, 0] + stats[many, 2]
    over = [bool(((x0 < stats[k, 0] + stats[k, 2]) & (x1 > stats[k, 0])).any()) for k in few]
    return sum(over) >= 0.5 * len(few)


def _merge_interleaved(lines: list[list[int]], stats: np.ndarray):
    """Join lines that are one line of writing chained apart: level with each other (or
    offset, by less than :data:`JOIN_LEVEL`) and overlapping side to side or less than half a
    digit apart, as the pieces of broken digits at different heights can be, or the upper and
    lower strokes of digits broken across (:func:`_stacked`).

    Returns the lines top to bottom and, per line, the band ``(top, bottom)`` of its digits
    when it was joined from stacked or offset strokes (else None: measured from its
    components).
    """
    lines = [list(line) for line in lines]
    joined: list[tuple[float, float] | None] = [None] * len(lines)

    def mergeable():
        for a in range(len(lines)):
            for b in range(a + 1, len(lines)):
                kind = _one_line(lines[a], lines[b], stats)
                if kind:
                    return a, b, kind == "offset"
                if _stacked(lines[a], lines[b], stats):
                    return a, b, True
        return None

    while (pair := mergeable()) is not None:
        a, b, stacked = pair  # stacked or offset: the digits are as tall as both bands
        bands = [band or _band(line, stats)[:2] for band, line in
                 ((joined[a], lines[a]), (joined[b], lines[b]))]
        if stacked or joined[a] or joined[b]:
            joined[a] = (min(bands[0][0], bands[1][0]), max(bands[0][1], bands[1][1]))
        lines[a] = sorted(lines[a] + lines.pop(b), key=lambda k: stats[k, 0])
        joined.pop(b)
    order = np.argsort([np.mean(stats[line, 1] + stats[line, 3] / 2) for line in lines],
                       kind="stable")
    return [lines[k] for k in order], [joined[k] for k in order]


#: a line's digits are taller than its pieces when its ink, measured across its columns
#: (:func:`column_height`), reaches this many times the pieces' height top to bottom: broken
#: digits, their upper and lower strokes apart ...
ACROSS_FROM = 1.2
#: ... and are then this share of that height
ACROSS_SHARE = 0.95


def column_height(ink: np.ndarray, height: float, quantile: float = 75) -> float:
    """How tall writing is measured across its columns: the ``quantile`` (percent) of the
    ink's extent top to bottom in windows half a digit height (``height``) wide, a quarter
    apart; windows without ink are left out. The upper and lower strokes of a broken digit
    count as one digit here, whatever the pieces' own heights. 0 for no ink."""
    ink = np.asarray(ink) > 0
    inked = ink.any(axis=0)
    if not inked.any():
        return 0.0
    rows = ink.shape[0]
    top = np.where(inked, ink.argmax(axis=0), rows)
    bottom = np.where(inked, rows - 1 - ink[::-1].argmax(axis=0), -1)
    win, step = min(len(top), max(2, int(0.5 * height))), max(1, int(0.25 * height))
    tops = np.lib.stride_tricks.sliding_window_view(top, win)[::step].min(axis=1)
    bottoms = np.lib.stride_tricks.sliding_window_view(bottom, win)[::step].max(axis=1)
    extent = (bottoms - tops + 1)[bottoms >= tops]
    if extent.size == 0:  # the ink only in the last columns, which no window reaches
        extent = (bottom - top + 1)[inked]
    return float(np.percentile(extent, quantile))


def find_lines(mask: np.ndarray) -> list[Line]:
    """Find the lines of writing in an ink mask and cut each into pieces.

    Components that cannot belong to a digit of the writing's size are left out
    (:func:`mnistreader.writing.writing_components`: rules, borders, bands, underlines,
    blots, specks).

    Parameters
    ----------
    mask : numpy.ndarray
        Ink mask (ink > 0).

    Returns
    -------
    list of Line
        Top to bottom.
    """
    mask = np.asarray(mask)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0).view(np.uint8), 8)
    stats = stats[1:].astype(np.int64)
    ids = np.arange(1, n)
    keep = stats[:, 4] >= max(4, mask.size // 20000)
    if not keep.any():
        return []
    height = typical_height(stats[keep], mask.shape, print_apart=True)
    keep &= writing_components(stats, mask.shape, height)
    if not keep.any():
        return []
    stats, ids = stats[keep], ids[keep]
    height = typical_height(stats, mask.shape, print_apart=True)
    hairline = _hairlines(stats, height) | _broken_rule(stats, mask.shape, height)
    if hairline.all():
        return []
    stats, ids = stats[~hairline], ids[~hairline]
    w, h = stats[:, 2], stats[:, 3]
    anchor = (h >= 0.5 * height) & ~((h < 0.35 * height) & (w > 2 * h))
    anchors = np.flatnonzero(anchor)
    lines, joined = _merge_interleaved([[int(anchors[k]) for k in line]
                                        for line in group_lines(stats[anchors])], stats)
    bands = [band or _band(line, stats)[:2] for line, band in zip(lines, joined)]
    small = [(k, _nearest_line(lines, bands, stats, k, height))
             for k in np.flatnonzero(~anchor).tolist()]
    for k, n_line in small:  # small pieces join the line they lie in
        if n_line is not None:
            lines[n_line].append(k)
    _join_stacked_halves(lines, [k for k, n_line in small if n_line is None],
                         [k for k, n_line in small if n_line is not None], stats, height)
    # a lone stroke far taller than the writing (a rule's leftover) is no line of digits
    out = []
    lut = np.zeros(n, np.int32)
    for line, band in zip(lines, joined):
        if len(line) == 1 and stats[line[0], 3] > 1.5 * height:
            continue  # a lone stroke far taller than the writing (a rule's leftover)
        s = stats[line]
        tall = s[:, 3] >= 0.5 * height
        # a line of a few pieces is measured against the writing around it (a lone stroke
        # twice as tall as every digit is no digit)
        line_height = height if tall.sum() < 3 else max(float(np.median(s[tall, 3])),
                                                        0.8 * height)
        if band:  # stacked strokes: the digits are as tall as both bands
            line_height = max(line_height, band[1] - band[0])
        x, y = int(s[:, 0].min()), int(s[:, 1].min())
        box = (x, y, int((s[:, 0] + s[:, 2]).max()) - x, int((s[:, 1] + s[:, 3]).max()) - y)
        lut[:] = 0
        lut[ids[line]] = np.arange(1, len(line) + 1)
        components = lut[labels[y:y + box[3], x:x + box[2]]]
        # broken digits: measured across the columns of the pieces that are not flat
        # (an underline or a flourish under the number reaches below its digits)
        upright = np.flatnonzero(s[:, 2] <= 2.5 * s[:, 3]) + 1
        across = column_height(np.isin(components, upright), line_height)
        if across > ACROSS_FROM * line_height:
            line_height = ACROSS_SHARE * across
        out.append(line_pieces(components, box, line_height))
    return out
