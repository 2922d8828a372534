"""Remove scan-edge bands and dark margins from an ink mask.

A scan-edge band (where the scanner saw past the page) is dense ink along a whole side of the
image; scanned grainy, it falls apart into specks and holes that no test of a solid block
finds, so it is found by its density instead (:func:`remove_bands`). The reader's first look
at an image leaves bands out before it measures and crops the writing.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["remove_bands", "band_region", "BAND_DENSITY", "BAND_ALONG", "BAND_ACROSS", "BAND_FRINGE"]

#: a band's ink covers at least this share of every window a sixth of the image's side wide
#: (a digit's strokes cover half that at most) ...
BAND_DENSITY = 0.5
#: ... along at least this share of the side of the image it lies on
BAND_ALONG = 0.6
#: ... and across at most this share of the image
BAND_ACROSS = 0.7
#: a band's ink beyond its dense region (its ragged edge) reaches this share of a window
BAND_FRINGE = 0.25


def band_region(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Where an ink mask has scan-edge bands or dark margins (see :func:`remove_bands`).

    Returns
    -------
    band : numpy.ndarray
        ``bool``, True inside a band (its ink and the gaps between its specks).
    side : int
        The window the ink's density is measured over, pixels.
    """
    h, w = mask.shape
    side = max(9, min(h, w) // 6) | 1
    ink = (mask > 0).view(np.uint8)
    density = cv2.boxFilter(ink.astype(np.float32), -1, (side, side),
                            borderType=cv2.BORDER_REPLICATE)
    _, labels, stats, _ = cv2.connectedComponentsWithStats((density > BAND_DENSITY).view(np.uint8),
                                                           connectivity=8)
    x, y, bw, bh, area = stats.T
    # along one side (a bold digit filling a small crop reaches across it), at least a window
    # thick (a printed line along the edge is not) and leaving room for the paper
    upright = ((x == 0) != (x + bw == w)) & (bh >= BAND_ALONG * h) & (side <= bw) \
        & (bw <= BAND_ACROSS * w)
    level = ((y == 0) != (y + bh == h)) & (bw >= BAND_ALONG * w) & (side <= bh) \
        & (bh <= BAND_ACROSS * h)
    is_band = (upright | level) & (area >= 4 * side * side)
    is_band[0] = False
    return is_band[labels], side


def remove_bands(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove scan-edge bands and dark margins, grainy or solid, from an ink mask.

    A band is where the ink covers at least :data:`BAND_DENSITY` of a window a sixth of the
    image's shorter side wide, over a region at least a window thick that lies along one side
    of the image for at least :data:`BAND_ALONG` of its length and reaches at most
    :data:`BAND_ACROSS` of the way across. Components mostly (half their ink or more) inside
    it go: the band's specks whole, and a large component (the band itself, with the rules
    and the digits that touch it) only where it lies in the band or within
    :data:`BAND_FRINGE` of a window of it.

    Returns
    -------
    cleaned, bands : numpy.ndarray
        The mask without the bands, and what was removed.
    """
    mask = np.asarray(mask)
    band, side = band_region(mask)
    if not band.any():
        return mask, np.zeros_like(mask)
    ink = (mask > 0).view(np.uint8)
    count, parts, part_stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    sizes = part_stats[:, 4]
    inside = np.bincount(parts[band], minlength=count)
    drop = inside >= 0.5 * sizes
    drop[0] = False
    # a speck goes whole; a large component (the band itself, with the rules and digits that
    # touch it) only where it lies in the band or its fringe
    whole = drop & (sizes <= side * side)
    grow = 2 * int(BAND_FRINGE * side) + 1
    fringe = cv2.dilate(band.view(np.uint8), np.ones((grow, grow), np.uint8)).view(bool)
    removed = np.where(whole[parts] | (drop[parts] & fringe), mask, 0).astype(mask.dtype)
    return cv2.subtract(mask, removed), removed
