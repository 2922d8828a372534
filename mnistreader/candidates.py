"""Candidate digits: a line of writing cut into pieces, and the lattice of their runs.

A number is over-segmented, never cut once and for all. Each line of writing
(:func:`mnistreader.lines.find_lines`) is cut into *pieces*: every component, and wide
components cut further at candidate cut points (valleys of the ink profile along the slant of
the writing, or paths of least ink that bend around strokes and cuts between notches of the
outline: :mod:`mnistreader.cuts`). A
*candidate digit* is a run of one to :data:`MAX_PIECES` neighbouring pieces (a whole digit, a
broken digit's strokes together, or a part of touching digits); :mod:`mnistreader.scores`
scores every candidate with the classifier's outputs and its geometry, and
:mod:`mnistreader.decode` chooses the best path through them.

Coordinates are pixels of the line's box; boxes are ``(x, y, w, h)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cuts import cut_sides, cuts_through, writing_slant

__all__ = ["Line", "line_pieces", "recut", "cut_all", "cut_along_paths", "MAX_PIECES"]

#: a candidate digit joins at most this many pieces
MAX_PIECES = 6
#: components at least this many digit heights wide (along the slant) get candidate cuts
CUT_FROM = 1.1
#: ... and at least this many digit heights tall, or above the writing's middle: a flatter
#: stroke lower down is an underline (:func:`_underlines`), never cut and never part of a
#: digit (cut, its pieces joined pieces of the digits above them into candidates: "39."
#: underlined read "31")
CUT_TALL = 0.45
#: narrower components are cut too when the classifier doubts they are one digit (two 1s
#: written into each other are about a third of a digit height wide) ...
RECUT_FROM = 0.3
#: ... that is, when it gives no digit this probability ...
DOUBT_BELOW = 0.6
#: ... and they are at least this many digit heights tall (an amount's small raised 00, its 0s
#: touching, is one component about half as tall as the digits, rejected whole)
RECUT_TALL = 0.45
#: the widest candidate digit, in digit heights
MAX_WIDTH = 1.35
#: ... and of a run of pieces all cut from one component (a wide 0, a digit touching its
#: neighbour): a component is cut to find the digits in it, never to lose its whole, or a part
#: as wide as a wide digit, as a candidate
ONE_INK_WIDTH = 2.0
#: the widest gap inside a candidate digit (between its pieces), in digit heights
MAX_GAP = 0.3


@dataclass
class Line:
    """One line of writing, cut into pieces, with its candidate digits.

    Attributes
    ----------
    box : tuple
        ``(x, y, w, h)`` of the line in the mask.
    height : float
        Typical digit height of the line, pixels.
    slant : float
        Slant of the writing, ``dx/dy`` (negative leans right); cuts follow it.
    pieces : numpy.ndarray
        ``int32`` map of the line's box: piece number + 1 per ink pixel, 0 elsewhere. Pieces
        are numbered left to right along the slant.
    boxes : numpy.ndarray
        ``(m, 4)`` box of every piece, in the line's coordinates.
    extents : numpy.ndarray
        ``(m, 2)`` left and right end of every piece along the slant (deslanted x).
    areas : numpy.ndarray
        ``(m,)`` ink pixels of every piece.
    cut : numpy.ndarray
        ``(m,)`` True for pieces made by cutting a component.
    spans : numpy.ndarray
        ``(k, 2)`` candidate digits: pieces ``i`` to ``j - 1``.
    components : numpy.ndarray
        ``int32`` map of the line's box: component number + 1 per ink pixel.
    component : numpy.ndarray
        ``(m,)`` the component each piece is part of.
    paths : bool
        Whether components were cut along paths of least ink (else straight, along a slant).
    """

    box: tuple[int, int, int, int]
    height: float
    slant: float
    pieces: np.ndarray = field(repr=False)
    boxes: np.ndarray = field(repr=False)
    extents: np.ndarray = field(repr=False)
    areas: np.ndarray = field(repr=False)
    cut: np.ndarray = field(repr=False)
    spans: np.ndarray = field(repr=False)
    components: np.ndarray = field(repr=False)
    component: np.ndarray = field(repr=False)
    paths: bool = False

    def span_pieces(self) -> tuple[np.ndarray, np.ndarray]:
        """The pieces of every span, padded to :data:`MAX_PIECES`: ``(k, MAX_PIECES)`` piece
        numbers, and which of them are the span's (the others are padding)."""
        i, j = self.spans[:, 0], self.spans[:, 1]
        index = i[:, None] + np.arange(MAX_PIECES)[None]
        return np.minimum(index, len(self.boxes) - 1), index < j[:, None]

    def whole_components(self) -> np.ndarray:
        """Per span: the component it is, when it is all of one component's pieces, else -1."""
        i, j = self.spans[:, 0], self.spans[:, 1]
        index, valid = self.span_pieces()
        first = self.component[i]
        same = np.where(valid, self.component[index] == first[:, None], True).all(axis=1)
        whole = same & (np.bincount(self.component)[first] == j - i)
        return np.where(whole, first, -1)

    def span_box(self, i: int, j: int) -> tuple[int, int, int, int]:
        """Box of pieces ``i..j-1`` in the line's coordinates."""
        b = self.boxes[i:j]
        x, y = int(b[:, 0].min()), int(b[:, 1].min())
        return (x, y, int((b[:, 0] + b[:, 2]).max()) - x, int((b[:, 1] + b[:, 3]).max()) - y)

    def span_boxes(self) -> np.ndarray:
        """``(k, 4)`` boxes of all the line's spans, in the line's coordinates."""
        index, valid = self.span_pieces()
        b = self.boxes[index]
        big = np.iinfo(np.int64).max
        x = np.where(valid, b[..., 0], big).min(1)
        y = np.where(valid, b[..., 1], big).min(1)
        x2 = np.where(valid, b[..., 0] + b[..., 2], -1).max(1)
        y2 = np.where(valid, b[..., 1] + b[..., 3], -1).max(1)
        return np.stack([x, y, x2 - x, y2 - y], axis=1)

    def span_ink(self, i: int, j: int, box=None) -> np.ndarray:
        """The ink of pieces ``i..j-1``, tightly cropped, as a 0/255 ``uint8`` mask."""
        x, y, w, h = self.span_box(i, j) if box is None else box
        window = self.pieces[y:y + h, x:x + w]
        if j - i == 1:
            return (window == i + 1).view(np.uint8) * 255
        return ((window > i) & (window <= j)).view(np.uint8) * 255

    def inks(self) -> list[np.ndarray]:
        """The ink of every span (:meth:`span_ink`), in the order of ``spans``."""
        return [self.span_ink(i, j, box) for (i, j), box
                in zip(self.spans.tolist(), self.span_boxes().tolist())]


def _group_ranges(values: list[np.ndarray], group: np.ndarray, count: int) -> list[tuple]:
    """Per array of ``values`` (all grouped alike by ``group``), per group ``0..count-1``: the
    smallest and largest value (inf and -inf if empty), as ``(lo, hi)``. The grouping is sorted
    out once for all of them."""
    out = [(np.full(count, np.inf), np.full(count, -np.inf)) for _ in values]
    if len(group):
        order = np.argsort(group, kind="stable")
        sorted_group = group[order]
        starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
        present = sorted_group[starts]
        for v, (lo, hi) in zip(values, out):
            lo[present] = np.minimum.reduceat(v[order], starts)
            hi[present] = np.maximum.reduceat(v[order], starts)
    return out


def line_pieces(components: np.ndarray, box, height: float, slant: float | None = None,
                cut: set[int] | None = None, paths: bool = False) -> Line:
    """Cut one line of writing into pieces and list its candidate digits.

    Parameters
    ----------
    components : numpy.ndarray
        ``int32`` map of the line's box: component number + 1 per ink pixel of the line.
    box : tuple
        ``(x, y, w, h)`` of the line in the mask.
    height : float
        Typical digit height of the line.
    slant : float, optional
        Slant of the writing (``dx/dy``); measured from the components when not given.
    cut : set of int, optional
        Components to cut at their candidate cut points; by default those at least
        :data:`CUT_FROM` digit heights wide along the slant, but for underlines.
    paths : bool
        Cut along paths of least ink, which bend around strokes
        (:func:`mnistreader.cuts.cut_sides`), instead of straight along a slant.
    """
    h0 = components.shape[0]
    ys, xs = np.nonzero(components)
    owner = components[ys, xs] - 1
    count = int(components.max())
    if slant is None:
        slant = writing_slant(xs.astype(np.float64), ys.astype(np.float64), owner, count)
    along = xs - slant * (ys - h0 / 2.0)
    (lo, hi), (top, bottom) = _group_ranges([along, ys], owner, count)
    underline = _underlines(hi - lo, top, bottom, height)
    if cut is None:  # an underline holds no digits to part
        cut = {k for k in range(count)
               if hi[k] - lo[k] >= CUT_FROM * height and not underline[k]}
    # piece = the component's first piece + the cuts to the pixel's left
    first = np.zeros(count + 1, np.int64)
    cut_of = []
    for k in range(count):
        cuts, side = 0, None
        if k in cut:
            mine = owner == k
            if paths:
                cuts, side = cut_sides(xs[mine], ys[mine], h0 / 2.0, slant, height)
            else:
                c, s = cuts_through(xs[mine], ys[mine], h0 / 2.0, slant, height)
                cuts, side = len(c), np.searchsorted(c, xs[mine] - s * (ys[mine] - h0 / 2.0))
        cut_of.append((cuts, side))
        first[k + 1] = first[k] + cuts + 1
    piece = first[owner].copy()
    for k, (cuts, side) in enumerate(cut_of):
        if cuts:
            piece[owner == k] += side
    total = int(first[-1])
    # drop empty pieces and number the others left to right along the slant
    areas = np.bincount(piece, minlength=total)
    (left, right), (x_lo, x_hi), (y_lo, y_hi) = _group_ranges([along, xs, ys], piece, total)
    used = np.flatnonzero(areas)
    component = np.repeat(np.arange(count), np.diff(first))
    # an underline comes after the digits above it, which are then next to each other
    place = np.where(underline[component[used]], right[used], (left[used] + right[used]) / 2)
    order = used[np.argsort(place, kind="stable")]
    component = component[order]
    rank = np.zeros(total, np.int32)
    rank[order] = np.arange(1, len(order) + 1)
    pieces = np.zeros(components.shape, np.int32)
    pieces[ys, xs] = rank[piece]
    boxes = np.stack([x_lo[order], y_lo[order], x_hi[order] - x_lo[order] + 1,
                      y_hi[order] - y_lo[order] + 1], axis=1).astype(np.int64)
    was_cut = np.array([cut_of[c][0] > 0 for c in component], bool)
    extents = np.stack([left[order], right[order]], axis=1)
    spans = _spans(boxes, extents, height, component, underline[component])
    return Line(box=tuple(int(v) for v in box), height=float(height), slant=float(slant),
                pieces=pieces, boxes=boxes, extents=extents, areas=areas[order], cut=was_cut,
                spans=spans, components=components, component=component, paths=paths)


def cut_all(line: Line) -> Line:
    """The line with every component :data:`RECUT_FROM` digit heights wide or more cut: the
    largest lattice the reader can build (for training)."""
    count = int(line.component.max(initial=-1)) + 1
    (start, _), (_, end) = _group_ranges([line.extents[:, 0], line.extents[:, 1]],
                                         line.component, count)
    return recut(line, np.flatnonzero(end - start >= RECUT_FROM * line.height))


def _cut_components(line: Line) -> set[int]:
    """The components the line's pieces were cut from."""
    return set(int(c) for c in np.unique(line.component[line.cut]))


def cut_along_paths(line: Line) -> Line:
    """The line with the same components cut, along paths of least ink instead of straight."""
    return line_pieces(line.components, line.box, line.height, line.slant,
                       _cut_components(line), paths=True)


def recut(line: Line, components) -> Line:
    """The line with ``components`` (numbers, as in ``line.component``) cut too."""
    cut = _cut_components(line) | set(map(int, components))
    return line_pieces(line.components, line.box, line.height, line.slant, cut)


def _underlines(length: np.ndarray, top: np.ndarray, bottom: np.ndarray,
                height: float) -> np.ndarray:
    """Which components are underlines: flat strokes (less than :data:`CUT_TALL` digit
    heights tall, at least :data:`CUT_FROM` long) lying lower than the middle of the taller
    components. Their strokes join no digit's."""
    tall = bottom - top + 1 >= CUT_TALL * height
    if not tall.any():
        return np.zeros(len(length), bool)
    middle = float(np.median(top[tall] + bottom[tall])) / 2
    return ~tall & (length >= CUT_FROM * height) & ((top + bottom) / 2 > middle)


def _spans(boxes: np.ndarray, extents: np.ndarray, height: float, component: np.ndarray,
           underline: np.ndarray) -> np.ndarray:
    """Runs of neighbouring pieces that could together be one digit (a piece of an
    ``underline`` is a run of its own)."""
    spans = []
    m = len(boxes)
    for i in range(m):
        alone = True  # the run's pieces are all of one component
        left, right = extents[i]
        top, bottom = boxes[i, 1], boxes[i, 1] + boxes[i, 3]
        spans.append((i, i + 1))
        stop = i + 1 if underline[i] else min(m, i + MAX_PIECES)
        for j in range(i + 1, stop):
            if extents[j, 0] - right > MAX_GAP * height or underline[j]:
                break
            # pieces are in the order of their middles: a long one (an underline) can reach
            # further left than the run's first
            left, right = min(left, extents[j, 0]), max(right, extents[j, 1])
            top, bottom = min(top, boxes[j, 1]), max(bottom, boxes[j, 1] + boxes[j, 3])
            alone = alone and component[j] == component[i]
            widest = ONE_INK_WIDTH if alone else MAX_WIDTH
            if right - left > widest * height or bottom - top > 1.8 * height:
                break
            spans.append((i, j + 1))
    return np.array(spans, np.int64).reshape(-1, 2)


