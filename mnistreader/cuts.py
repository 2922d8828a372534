"""Where to cut touching digits: the slant of the writing and valleys of the ink profile.

A component wider than one digit is cut at candidate cut points, never once and for all: the
valleys of its ink profile counted along the slant of the writing (:func:`cut_points`), tried
along a few slants (:data:`CUT_SLANTS`) and kept along the one whose cuts cross the least ink
(:func:`cuts_through`). :mod:`mnistreader.candidates` turns the cuts into pieces; the decoder
decides which cuts were real.
"""

from __future__ import annotations

import numpy as np

__all__ = ["writing_slant", "cut_points", "cuts_through", "CUT_SLANTS"]

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
    chosen: list[int] = []
    for c in candidates.tolist():
        if all(abs(c - o) >= spacing for o in chosen):
            chosen.append(c)
            if len(chosen) == wanted:
                break
    return np.sort(np.array(chosen, np.float64)) + 0.5


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
    best = None
    for s in (slant,) + tuple(slant + d for d in CUT_SLANTS if d):
        along = xs - s * (ys - middle)
        start = along.min()
        cuts = cut_points(along - start, height)
        if len(cuts) == 0:
            continue
        profile = np.bincount((along - start).astype(np.int64))
        crossed = profile[(cuts - 0.5).astype(np.int64)].mean()
        if best is None or crossed < best[0]:
            best = (crossed, cuts + start, s)
    return (np.empty(0), slant) if best is None else best[1:]
