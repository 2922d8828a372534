"""Where to cut touching digits: valleys of the ink profile, and paths of least ink.

A component wider than one digit is cut at candidate cut points, never once and for all: the
valleys of its ink profile counted along the slant of the writing (:func:`cut_points`), tried
along a few slants (:data:`CUT_SLANTS`) and kept along the one whose cuts cross the least ink
(:func:`cuts_through`). Digits that overlap side by side (a 1 leaning into a 3, the tail of a
2 under the next digit) have no straight cut between them, so a component is also cut along
paths of least ink from its top to its bottom, which bend around strokes (:func:`path_cuts`,
:func:`cut_sides`), and between notches of its outline from above and below (:func:`notch_cuts`:
where two 0s touch, their sides run together, so both the profile and the paths of least ink
would cut through the digits instead). :mod:`mnistreader.candidates` turns either kind of
cuts into pieces; the decoder decides which cuts were real, and which way of cutting reads
surer.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["writing_slant", "cut_points", "cuts_through", "path_cuts", "notch_cuts", "cut_sides",
           "CUT_SLANTS", "SIDE_STEP", "NOTCH_DEPTH"]

#: no cut nearer than this many digit heights to a component's end ...
CUT_MARGIN = 0.2
#: ... or to another cut
CUT_SPACING = 0.18
#: a component gets this many cuts per digit height of its width (at least two)
CUTS_PER_HEIGHT = 2.5


def writing_slant(xs: np.ndarray, ys: np.ndarray, owner: np.ndarray, count: int) -> float:
    """Slant ``dx/dy`` of strokes: each component's second moments, pooled over components."""
    n = np.bincount(owner, minlength=count).astype(np.float64)
    n[n == 0] = 1
    dx = xs - (np.bincount(owner, xs, count) / n)[owner]
    dy = ys - (np.bincount(owner, ys, count) / n)[owner]
    vyy = float(dy @ dy)
    return float(np.clip((dx @ dy) / vyy, -0.7, 0.7)) if vyy > 0 else 0.0


def cut_points(along: np.ndarray, height: float) -> np.ndarray:
    """Candidate cuts through one component: valleys of its ink profile along the slant.

    Parameters
    ----------
    along : numpy.ndarray
        Deslanted x of every ink pixel of the component, starting at 0.
    height : float
        Digit height of the line.

    Returns
    -------
    numpy.ndarray
        Positions (deslanted x) of the cuts, ascending; none nearer than :data:`CUT_SPACING`
        digit heights to each other or :data:`CUT_MARGIN` to the component's ends.
    """
    profile = np.bincount(along.astype(np.int64)).astype(np.float64)
    width = len(profile)
    margin, spacing = max(2, int(CUT_MARGIN * height)), max(2, int(CUT_SPACING * height))
    if width < 2 * margin + 1:
        return np.empty(0)
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    inner = np.arange(margin, width - margin)
    valley = (smooth[inner] <= smooth[inner - 1]) & (smooth[inner] <= smooth[inner + 1])
    candidates = inner[valley]
    if len(candidates) == 0:
        candidates = inner
    candidates = candidates[np.argsort(smooth[candidates], kind="stable")]
    wanted = max(2, int(round(CUTS_PER_HEIGHT * width / height)))
    chosen = candidates[_apart(candidates, spacing, wanted)]
    return np.sort(chosen.astype(np.float64)) + 0.5


def _apart(positions: np.ndarray, spacing: float, wanted: int | None = None) -> list[int]:
    """Which of ``positions`` (best first) to take, one by one: each at least ``spacing``
    from every one taken before it, until ``wanted`` are taken (all that fit by default)."""
    taken: list[int] = []
    for k, p in enumerate(positions.tolist()):
        if all(abs(p - positions[o]) >= spacing for o in taken):
            taken.append(k)
            if len(taken) == wanted:
                break
    return taken


#: cuts are tried along the writing's slant and these other slants (dx/dy); a component is cut
#: along the one whose cuts cross the least ink (digits leaning differently, touching 1s)
CUT_SLANTS = (0.0, -0.25, 0.25)


def cuts_through(xs: np.ndarray, ys: np.ndarray, middle: float, slant: float, height: float):
    """The cuts through one component, along the slant whose cuts cross the least ink.

    Parameters
    ----------
    xs, ys : numpy.ndarray
        Coordinates of the component's ink pixels in its line's box.
    middle : float
        Row the slant turns around (the middle of the line).
    slant, height : float
        Slant (``dx/dy``) and digit height of the line.

    Returns
    -------
    cuts : numpy.ndarray
        Cut positions along the chosen slant (``x - s * (y - middle)``), ascending; empty
        when the component has room for none.
    s : float
        The chosen slant.
    """
    def cut(s):
        along = xs - s * (ys - middle)
        start = along.min()
        cuts = cut_points(along - start, height)
        if len(cuts) == 0:
            return None
        profile = np.bincount((along - start).astype(np.int64))
        return profile[(cuts - 0.5).astype(np.int64)].mean(), cuts + start, s

    best = _least_ink(cut(s) for s in _slants(slant))
    return (np.empty(0), slant) if best is None else best[1:]


def _slants(slant: float) -> tuple[float, ...]:
    """The slants a component is cut along: the writing's, then the other :data:`CUT_SLANTS`."""
    return (slant,) + tuple(slant + d for d in CUT_SLANTS if d)


def _least_ink(tries):
    """Of ``tries`` (each ``(ink crossed, ...)``, or None when the component has room for no
    cut there; taken one by one, in the order of :func:`_slants`), the first that crosses least
    ink; None when none has room."""
    best = None
    for tried in tries:
        if tried is not None and (best is None or tried[0] < best[0]):
            best = tried
            if best[0] == 0:  # no slant can do better
                break
    return best


#: a cut path's cost for each step sideways, against 1 for each ink pixel it crosses
SIDE_STEP = 0.4


def _paths(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every top-to-bottom path of least ink through ``ink`` (rows x columns, 1.0 per ink pixel,
    0.0 elsewhere), one per bottom column: a path moves at most one column per row, and pays
    the ink it crosses and :data:`SIDE_STEP` per step sideways. Returns ``(costs, paths)``,
    ``paths`` ``(rows, columns)`` the column of each path in each row.

    Columns of infinite ink are walls no path crosses: grids laid side by side with a wall
    between them get the paths each would get alone, in one pass (:func:`_paths_apart`).
    """
    rows, width = ink.shape
    back = np.zeros((rows, width), np.int64)  # the step each pixel's cheapest way came by
    steps = np.full((3, width), np.inf)  # from the left, from above, from the right
    cost = ink[0].copy()
    for y in range(1, rows):
        np.add(cost[:-1], SIDE_STEP, out=steps[0, 1:])
        steps[1] = cost
        np.add(cost[1:], SIDE_STEP, out=steps[2, :-1])
        way = steps.argmin(axis=0)  # the first of equals: left, then above, then right
        cost = steps[way, np.arange(width)] + ink[y]
        back[y] = way - 1
    paths = np.empty((rows, width), np.int64)
    paths[-1] = np.arange(width)
    for y in range(rows - 1, 0, -1):  # back up the way each path came
        paths[y - 1] = paths[y] + back[y, paths[y]]
    return cost, paths


def _paths_apart(grids: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`_paths` of each of ``grids`` (all as tall), in one pass: side by side, a wall
    of infinite ink between neighbours."""
    rows = grids[0].shape[0]
    widths = [g.shape[1] for g in grids]
    joined = np.full((rows, sum(widths) + len(grids) - 1), np.inf)
    starts = np.cumsum([0] + [w + 1 for w in widths[:-1]])
    for start, grid in zip(starts, grids):
        joined[:, start:start + grid.shape[1]] = grid > 0  # 1.0 per ink pixel
    cost, paths = _paths(joined)
    return [(cost[a:a + w], paths[:, a:a + w] - a) for a, w in zip(starts.tolist(), widths)]


def _grid(col: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Ink pixels per cell of a component's pixels at ``col`` and ``rows`` (from 0)."""
    width, depth = int(col.max()) + 1, int(rows.max()) + 1
    return np.bincount(rows * width + col, minlength=depth * width).reshape(depth, width)


def _room(width: int, height: float) -> bool:
    """Whether a component ``width`` wide has room for a cut (:data:`CUT_MARGIN`)."""
    return width >= 2 * max(2, int(CUT_MARGIN * height)) + 1


def _chosen_paths(cost: np.ndarray, paths: np.ndarray, height: float) -> np.ndarray:
    """Of every path of least ink (:func:`_paths`), the cheapest ones apart (``(cuts,
    rows)``, left to right): see :func:`path_cuts`."""
    depth, width = paths.shape
    margin, spacing = max(2, int(CUT_MARGIN * height)), max(2, int(CUT_SPACING * height))
    middle = paths.mean(axis=0)
    inside = np.flatnonzero((middle >= margin) & (middle <= width - margin))
    wanted = max(2, int(round(CUTS_PER_HEIGHT * width / height)))
    order = inside[np.argsort(cost[inside], kind="stable")]
    chosen = sorted(order[_apart(middle[order], spacing, wanted)].tolist(), key=lambda c: middle[c])
    out = paths[:, chosen].T
    return np.maximum.accumulate(out, axis=0) if len(out) else out.reshape(0, depth)


def path_cuts(along: np.ndarray, rows: np.ndarray, height: float) -> np.ndarray:
    """Candidate cuts through one component as paths of least ink, which bend around strokes.

    Parameters
    ----------
    along : numpy.ndarray
        Deslanted x of every ink pixel of the component, starting at 0.
    rows : numpy.ndarray
        Row of every ink pixel, starting at 0.
    height : float
        Digit height of the line.

    Returns
    -------
    numpy.ndarray
        ``(cuts, rows)`` column of each cut in each row, cuts left to right; none nearer than
        :data:`CUT_SPACING` digit heights to each other or :data:`CUT_MARGIN` to the
        component's ends (by their mean column).
    """
    col = along.astype(np.int64)
    if not _room(int(col.max()) + 1, height):
        return np.empty((0, int(rows.max()) + 1), np.int64)
    return _chosen_paths(*_paths((_grid(col, rows) > 0).astype(np.float64)), height)


def cut_sides(xs: np.ndarray, ys: np.ndarray, middle: float, slant: float, height: float):
    """Cut one component along paths of least ink (:func:`path_cuts`), tried along the
    writing's slant and :data:`CUT_SLANTS`, kept along the one whose paths cross least ink,
    and between the notches of its outline along that slant (:func:`notch_cuts`).

    Returns
    -------
    count : int
        The number of cuts (0 when the component has room for none).
    side : numpy.ndarray
        Per ink pixel, how many cuts lie to its left (its piece within the component).
    """
    row = (ys - int(ys.min())).astype(np.int64)
    cols = []
    for s in _slants(slant):
        along = xs - s * (ys - middle)
        cols.append((along - along.min()).astype(np.int64))
    cols = [c for c in cols if _room(int(c.max()) + 1, height)]  # slants without room: none
    found = _paths_apart([_grid(c, row) for c in cols]) if cols else []

    def cut(col, least):
        paths = _chosen_paths(*least, height)
        return (_crossed(col, row, paths), col, row, paths) if len(paths) else None

    best = _least_ink(cut(col, least) for col, least in zip(cols, found))
    if best is None:
        return 0, np.zeros(len(xs), np.int64)
    _, col, row, paths = best
    paths = _with_notch_cuts(paths, col, row, height)
    return len(paths), (col[None, :] >= paths[:, row]).sum(axis=0)


#: a notch of the outline from above and one from below, together at least twice this deep
#: (digit heights), make a cut between them
NOTCH_DEPTH = 0.12
#: a notch cut is kept unless a path of least ink lies within this share of
#: :data:`CUT_SPACING` of it (the two kinds of cuts see different things)
NOTCH_SPACING = 0.25


def _notches(edge: np.ndarray, reach: int, margin: int, spacing: int) -> list[tuple[int, float]]:
    """Notches of one side of an outline (``edge``: per column, how far in the outline is
    from that side; inf where the column is empty): columns further in than the furthest-out
    point within ``reach`` on both sides, as ``(column, depth)``, deepest first, ``margin``
    from the ends and ``spacing`` apart."""
    width = len(edge)
    wall = np.full(reach, np.inf)
    out = sliding_window_view(np.concatenate([wall, edge, wall]), reach).min(axis=1)
    left, right = out[:width], out[reach + 1:reach + 1 + width]  # the reach before, after
    with np.errstate(invalid="ignore"):  # empty columns (inf - inf) are no notches
        depth = np.minimum(edge - left, edge - right)
    depth[np.isinf(edge) | np.isinf(left) | np.isinf(right)] = 0.0
    depth[:margin] = depth[width - margin:] = 0.0
    order = np.argsort(-depth, kind="stable")
    order = order[depth[order] > 0]
    return [(int(order[k]), float(depth[order[k]])) for k in _apart(order, spacing)]


def notch_cuts(col: np.ndarray, row: np.ndarray, height: float) -> np.ndarray:
    """Cuts joining a notch of a component's outline from above to one from below, as where
    two touching 0s meet: there the two digits' sides run together, so the ink profile peaks
    and the paths of least ink cross the digits instead.

    Parameters
    ----------
    col, row : numpy.ndarray
        Column and row of every ink pixel, from 0.
    height : float
        Digit height of the line.

    Returns
    -------
    numpy.ndarray
        ``(cuts, rows)`` column of each cut in each row (straight from the upper notch to the
        lower, upright above and below them), left to right: pairs of notches together twice
        :data:`NOTCH_DEPTH` digit heights deep or more, at most half a digit height apart.
    """
    width, depth = int(col.max()) + 1, int(row.max()) + 1
    if not _room(width, height):
        return np.empty((0, depth), np.int64)
    margin, spacing = max(2, int(CUT_MARGIN * height)), max(2, int(CUT_SPACING * height))
    top = np.full(width, np.inf)  # an empty column's top is inf, its bottom -inf: no notch
    bottom = np.full(width, -np.inf)
    np.minimum.at(top, col, row)
    np.maximum.at(bottom, col, row)
    # a notch as deep for the component's own size: small raised digits have small notches
    reach, least = max(2, int(0.5 * height)), 2 * NOTCH_DEPTH * min(height, float(depth))
    dips = _notches(top, reach, margin, spacing)
    rises = _notches(-bottom, reach, margin, spacing)
    rows = np.arange(depth)
    cuts = []
    for c_top, d_top in dips:  # each notch from above, with the nearest deep enough below
        near = [c for c, d in rises if abs(c - c_top) <= reach and d_top + d >= least]
        if not near:
            continue
        c_low = min(near, key=lambda c: abs(c - c_top))
        if top[c_top] >= bottom[c_low]:
            continue
        t = np.clip((rows - top[c_top]) / (bottom[c_low] - top[c_top]), 0.0, 1.0)
        cuts.append(np.round(c_top + t * (c_low - c_top)).astype(np.int64))
    cuts.sort(key=lambda p: p.mean())
    return np.array(cuts, np.int64).reshape(-1, depth)


def _with_notch_cuts(paths: np.ndarray, col: np.ndarray, row: np.ndarray,
                     height: float) -> np.ndarray:
    """``paths`` and the :func:`notch_cuts` of the component not within
    :data:`NOTCH_SPACING` of :data:`CUT_SPACING` digit heights of one of them, left to right
    and not crossing."""
    spacing = max(2, int(NOTCH_SPACING * CUT_SPACING * height))
    extra = [p for p in notch_cuts(col, row, height)
             if not len(paths) or np.abs(paths.mean(axis=1) - p.mean()).min() >= spacing]
    if not extra:
        return paths
    every = np.concatenate([paths, np.array(extra)]) if len(paths) else np.array(extra)
    every = every[np.argsort(every.mean(axis=1), kind="stable")]
    return np.maximum.accumulate(every, axis=0)


def _crossed(col: np.ndarray, row: np.ndarray, paths: np.ndarray) -> float:
    """Mean ink pixels each path crosses."""
    width = int(col.max()) + 1
    ink = np.zeros((paths.shape[1], width), bool)
    ink[row, col] = True
    return float(ink[np.arange(paths.shape[1])[None, :], paths].sum(axis=1).mean())
