"""Split an ink mask into single digits, sorted left to right and line by line.

:func:`segment` finds the connected components of the mask (the paper's contours), drops
specks and dots, groups the components into lines (top to bottom), merges the pieces of a
broken digit (a 5 whose bar is detached, a 4 or 7 written in two strokes), splits touching
digits (guided by a classifier when one is given, else by the vertical ink profile) and
normalises every digit the way MNIST was built: :func:`to_mnist`.

Boxes are ``(x, y, w, h)`` in the mask's pixel coordinates.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from .preprocess import stroke_width, typical_height

__all__ = ["Digit", "Segmentation", "segment", "segment_many", "components", "group_components",
           "group_lines", "merge_pieces", "add_border", "to_mnist", "digit_height",
           "grouping_kernel", "MNIST_BOX", "MNIST_SIZE"]

MNIST_SIZE = 28
MNIST_BOX = 20
#: stroke width (pixels) of a typical MNIST digit inside its 28x28 image
MNIST_STROKE = 2.4

Classifier = Callable[[np.ndarray], np.ndarray]


@dataclass
class Digit:
    """One segmented digit."""

    box: tuple[int, int, int, int]
    mask: np.ndarray = field(repr=False)  # the ink inside ``box``
    line: int = 0
    image: np.ndarray | None = field(default=None, repr=False)  # 28x28 float32, MNIST-style
    probs: np.ndarray | None = field(default=None, repr=False)  # digit probabilities, if known


@dataclass
class Segmentation:
    """The digits found in an image, line by line."""

    lines: list[list[Digit]]

    @property
    def digits(self) -> list[Digit]:
        """All digits, line after line, left to right."""
        return [d for line in self.lines for d in line]

    @property
    def boxes(self) -> list[tuple[int, int, int, int]]:
        """The digits' boxes in reading order."""
        return [d.box for d in self.digits]


def components(mask: np.ndarray, min_area: int = 4):
    """Connected components of ``mask``.

    Returns
    -------
    boxes : list of tuple
        ``(x, y, w, h, area, labels)`` per component of at least ``min_area`` pixels, where
        ``labels`` is the frozenset of its label in ``label_image``.
    label_image : numpy.ndarray
        ``int32`` image of the components of ``mask`` (0 is background).
    """
    n, label_image, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), 8)
    boxes = [tuple(int(v) for v in stats[i]) + (frozenset((i,)),)
             for i in range(1, n) if stats[i, 4] >= min_area]
    return boxes, label_image


def group_components(boxes: list, label_image: np.ndarray, group: np.ndarray) -> list:
    """Merge the boxes of components that fall in one component of ``group``.

    ``group`` is a dilated copy of the mask: strokes of a broken digit touch in it.
    """
    if len(boxes) < 2:
        return boxes
    n, group_image = cv2.connectedComponents((group > 0).astype(np.uint8), connectivity=8)
    owner = np.zeros(int(label_image.max()) + 1, np.int32)
    owner[label_image] = group_image  # every pixel of a component lies in one group
    grouped: dict[int, tuple] = {}
    for box in boxes:
        g = int(owner[next(iter(box[5]))])
        grouped[g] = _union(grouped[g], box) if g in grouped else box
    return list(grouped.values())


def _union(a, b):
    x, y = min(a[0], b[0]), min(a[1], b[1])
    x2, y2 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x, y, x2 - x, y2 - y, a[4] + b[4], a[5] | b[5])


def _overlap(a0, a1, b0, b1) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def digit_height(boxes: list) -> float:
    """Typical digit height of component boxes (:func:`mnistreader.preprocess.typical_height`)."""
    return typical_height([b[:5] for b in boxes])


def group_lines(boxes: list) -> list[list]:
    """Chain boxes into text lines, left to right, each overlapping its neighbour vertically.

    Chaining follows a slanted or wavy baseline. Lines are returned top to bottom.
    """
    lines: list[list] = []
    for box in sorted(boxes, key=lambda b: b[0]):
        x, y, w, h = box[:4]
        best, best_overlap = None, 0.0
        for line in lines:
            last = line[-1]
            overlap = _overlap(y, y + h, last[1], last[1] + last[3]) / max(1, min(h, last[3]))
            if overlap > best_overlap:
                best, best_overlap = line, overlap
        if best is not None and best_overlap >= 0.4:
            best.append(box)
        else:
            lines.append([box])
    lines.sort(key=lambda line: np.mean([b[1] + b[3] / 2 for b in line]))
    return lines


def merge_pieces(boxes: list, height: float) -> list:
    """Merge boxes stacked above one another into one digit (broken strokes, detached bars).

    Two boxes merge when they share at least half of the narrower one's width, are close
    vertically, and together are not larger than a digit (``height`` is the typical height).
    """
    boxes = sorted(boxes, key=lambda b: b[0])
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if b[0] >= a[0] + a[2]:
                    break
                shared = _overlap(a[0], a[0] + a[2], b[0], b[0] + b[2])
                gap = max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3])
                union = _union(a, b)
                if (shared >= 0.5 * min(a[2], b[2]) and gap <= 0.35 * height
                        and union[3] <= 1.5 * height and union[2] <= 1.1 * height):
                    boxes[i] = union
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def _is_noise(box, height: float) -> bool:
    """Long flat strokes (rule leftovers, underlines) and dust, never part of a digit."""
    w, h = box[2], box[3]
    return (h < 0.35 * height and w >= 0.8 * height and w > 2 * h) or max(w, h) < 0.2 * height


def _is_speck(box, height: float) -> bool:
    """Dots, dashes, specks and leftovers of ruled lines, relative to the digit height."""
    x, y, w, h = box[:4]
    if h < 0.4 * height and w < 0.6 * height:
        return True
    return h < 0.35 * height and w > 2 * h  # a flat stroke: dash, underline, rule left over


def add_border(digit: np.ndarray, fraction: float = 0.25) -> np.ndarray:
    """The paper's step: pad a tight digit crop with background on every side, making it square."""
    h, w = digit.shape
    side = int(round(max(h, w) * (1 + 2 * fraction)))
    out = np.zeros((side, side), dtype=digit.dtype)
    y, x = (side - h) // 2, (side - w) // 2
    out[y:y + h, x:x + w] = digit
    return out


def to_mnist(digit: np.ndarray, *, stroke: bool = True) -> np.ndarray:
    """Normalise a digit's ink mask the way MNIST was built.

    The tight crop is scaled (keeping its aspect ratio, anti-aliased) to fit a 20x20 box and
    placed in a 28x28 image with its centre of mass at the centre. With ``stroke``, pen lines
    much thinner or bolder than MNIST's are first thickened or thinned to MNIST's width.

    Returns
    -------
    numpy.ndarray
        ``(28, 28)`` float32 in [0, 1], ink bright.
    """
    ys, xs = np.nonzero(digit)
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    if len(ys) == 0:
        return out
    crop = (digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1] > 0).astype(np.uint8) * 255
    h, w = crop.shape
    scale = MNIST_BOX / max(h, w)
    if stroke and max(h, w) > MNIST_BOX:
        wanted = MNIST_STROKE / scale  # stroke width in crop pixels that becomes MNIST's
        have = stroke_width(crop)
        if have < 0.75 * wanted:
            grow = int(round((wanted - have) / 2))
            if grow > 0:
                crop = cv2.copyMakeBorder(crop, grow, grow, grow, grow, cv2.BORDER_CONSTANT)
                kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2)
                crop = cv2.dilate(crop, kernel)
                h, w = crop.shape
                scale = MNIST_BOX / max(h, w)
        elif have > 1.8 * wanted:
            shrink = int(round((have - 1.3 * wanted) / 2))
            if shrink > 0:
                kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * shrink + 1,) * 2)
                thinner = cv2.erode(crop, kernel)
                if thinner.any():
                    crop = thinner
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    total = small.sum()
    if total <= 0:
        return out
    cy = (small.sum(axis=1) @ np.arange(nh)) / total
    cx = (small.sum(axis=0) @ np.arange(nw)) / total
    top = int(round(MNIST_SIZE / 2 - 0.5 - cy))
    left = int(round(MNIST_SIZE / 2 - 0.5 - cx))
    top = min(max(top, 0), MNIST_SIZE - nh)
    left = min(max(left, 0), MNIST_SIZE - nw)
    out[top:top + nh, left:left + nw] = small
    return out


def _ink(labels: np.ndarray, members: frozenset, x: int, y: int, w: int, h: int) -> np.ndarray:
    """The ink of components ``members`` inside the box, as a 0/255 uint8 mask."""
    window = labels[y:y + h, x:x + w]
    if len(members) == 1:
        return (window == next(iter(members))).astype(np.uint8) * 255
    return np.isin(window, list(members)).astype(np.uint8) * 255


def _tight(ink: np.ndarray, x: int, y: int, w: int, h: int):
    """The tight box of the ink in ``ink[y:y+h, x:x+w]``, or None if empty."""
    ys, xs = np.nonzero(ink[y:y + h, x:x + w])
    if len(ys) == 0:
        return None
    return (x + int(xs.min()), y + int(ys.min()), int(xs.max() - xs.min() + 1),
            int(ys.max() - ys.min() + 1))


def _tail(ink: np.ndarray, box) -> bool:
    """A wide piece with little ink: the tail or flourish of a digit, not a digit."""
    x, y, w, h = box
    return w > 1.2 * h and np.count_nonzero(ink[y:y + h, x:x + w]) < 0.15 * w * h


#: a component this many line heights wide is always cut, even without a classifier
ALWAYS_SPLIT = 1.45
#: how many candidate cuts (those through the least ink) the classifier scores
MAX_CUTS = 8
#: log-score cost of cutting, so that one wide digit is not cut into two
SPLIT_COST = 0.5


def _width_prior(ratio: np.ndarray | float) -> np.ndarray | float:
    """Log-prior of a single digit being ``ratio`` line heights wide (0.3-1.1 is usual)."""
    return -4.0 * (np.maximum(0.0, ratio - 1.1) + np.maximum(0.0, 0.3 - ratio))


def _split(ink: np.ndarray, height: float, classify: Classifier | None, depth: int = 0,
           whole: float | None = None):
    """Cut the tight ink crop ``ink`` into digits if it holds touching digits.

    Candidate vertical cuts are scored by how confidently ``classify`` reads both halves, how
    little ink the cut crosses and how digit-like the halves' widths are; the best cut is
    taken only if it scores better than reading the crop as one digit. Without a classifier,
    crops wider than ``ALWAYS_SPLIT`` heights are cut where the ink is thinnest.

    A crop 0.4 to 1.2 heights wide is only tried when the classifier doubts it is a
    digit (``whole``, its best digit probability, below one half), as for "18" written as one.

    Returns the pieces' boxes ``(x, y, w, h)`` in ``ink``'s coordinates.
    """
    h, w = ink.shape
    if depth > 8 or w < 8 or w <= 0.4 * height:
        return [(0, 0, w, h)]
    if classify is None:
        if w <= ALWAYS_SPLIT * height:
            return [(0, 0, w, h)]
    else:
        if whole is None:
            whole = float(classify(to_mnist(ink)[None]).max())
        if w <= 1.2 * height and whole >= 0.5:
            return [(0, 0, w, h)]
    profile = (ink > 0).sum(axis=0).astype(np.float64)
    lo, hi = int(0.2 * w), int(0.8 * w)
    candidates = np.arange(lo, hi + 1, max(1, (hi - lo) // 16))
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    candidates = np.sort(candidates[np.argsort(smooth[candidates], kind="stable")[:MAX_CUTS]])
    halves, valid = [], []
    for c in candidates.tolist():
        left, right = _tight(ink, 0, 0, c, h), _tight(ink, c, 0, w - c, h)
        if left is None or right is None or min(left[3], right[3]) < 0.5 * height \
                or _tail(ink, left) or _tail(ink, right):
            continue  # every digit is at least half as tall as its line, and not a tail
        valid.append((c, left[2], right[2]))
        if classify is not None:
            halves.extend(to_mnist(ink[by:by + bh, bx:bx + bw]) for bx, by, bw, bh in (left, right))
    if not valid:
        return [(0, 0, w, h)]
    cuts = np.array([v[0] for v in valid])
    ink_cut = profile[cuts] / max(1.0, profile.max())
    widths = np.array([v[1:] for v in valid], dtype=np.float64) / height
    scores = -ink_cut + _width_prior(widths).sum(axis=1) - SPLIT_COST
    if classify is not None:
        probs = classify(np.stack(halves)).max(axis=1)
        scores = scores + np.log(probs + 1e-6).reshape(-1, 2).sum(axis=1)
        if scores.max() <= np.log(whole + 1e-6) + _width_prior(w / height):
            return [(0, 0, w, h)]
    best = int(np.argmax(scores))
    cut = int(cuts[best])
    # the halves were classified already: pass their probabilities down
    known = probs[2 * best:2 * best + 2].tolist() if classify is not None else [None, None]
    parts = []
    for part, p in zip((_tight(ink, 0, 0, cut, h), _tight(ink, cut, 0, w - cut, h)), known):
        px, py, pw, ph = part
        piece = ink[py:py + ph, px:px + pw]
        parts.extend((px + sx, py + sy, sw, sh)
                     for sx, sy, sw, sh in _split(piece, height, classify, depth + 1, whole=p))
    return parts


def grouping_kernel(height: float) -> np.ndarray:
    """The dilation that joins the strokes of one digit ``height`` tall (the paper's dilate).

    It reaches further vertically than horizontally: a digit's detached bar sits above it,
    while neighbouring digits sit beside it.
    """
    tall = max(3, int(0.22 * height) | 1)
    wide = max(3, int(0.06 * height) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (wide, tall))


def _assign(lines: list[list], box) -> list | None:
    """The line whose nearest digit overlaps ``box`` vertically the most, or None."""
    best, best_overlap = None, 0.0
    cx = box[0] + box[2] / 2
    for line in lines:
        near = min(line, key=lambda b: abs(b[0] + b[2] / 2 - cx))
        overlap = _overlap(box[1], box[1] + box[3], near[1], near[1] + near[3]) / max(1, box[3])
        if overlap > best_overlap:
            best, best_overlap = line, overlap
    return best if best_overlap >= 0.3 else None


def _join_fragments(line, inks, images, probs, labels, height: float,
                    classify: Classifier) -> None:
    """Join side-by-side neighbours that are fragments of one digit (a stroke broken across).

    Neighbours close together, not too wide together, at least one of which the classifier
    doubts is a digit, are joined when the join reads as a digit more surely than the two
    pieces do (probability of the join above the product of the pieces'). Updates the lists
    (boxes, inks, images, digit probabilities) in place.
    """
    i = 0
    while i < len(line) - 1:
        a, b = line[i], line[i + 1]
        union = _union(a, b)
        pa, pb = float(probs[i].max()), float(probs[i + 1].max())
        gap = b[0] - (a[0] + a[2])
        if min(pa, pb) < 0.5 and gap <= 0.25 * height and union[2] <= 1.1 * height:
            ink = _ink(labels, union[5], *union[:4])
            image = to_mnist(ink)
            p = classify(image[None])[0]
            if p.max() >= 0.5 and p.max() > pa * pb:
                line[i:i + 2], inks[i:i + 2] = [union], [ink]
                images[i:i + 2], probs[i:i + 2] = [image], [p]
                continue
        i += 1


def _attach(line: list, piece, reach: float) -> None:
    """Merge ``piece`` into the digit of ``line`` nearest to it, if within ``reach`` pixels."""
    def gap(box):
        return max(box[0] - (piece[0] + piece[2]), piece[0] - (box[0] + box[2]), 0)

    i = min(range(len(line)), key=lambda k: gap(line[k]))
    if gap(line[i]) <= reach:
        line[i] = _union(line[i], piece)


def _line_candidates(mask: np.ndarray, dilated: np.ndarray | None):
    """The classifier-free part of :func:`segment`: digit candidates grouped in lines.

    Returns ``(lines, labels, height)``, lines of boxes sorted left to right, or None.
    """
    mask = np.asarray(mask)
    min_area = max(4, mask.size // 20000)
    found, labels = components(mask, min_area=min_area)
    if not found:
        return None
    height = digit_height(found)
    noise = [b for b in found if _is_noise(b, height)]
    if noise:  # dashes, rule leftovers and dust must not be joined to the digits
        mask = mask.copy()
        for x, y, w, h, _, members in noise:
            mask[y:y + h, x:x + w][_ink(labels, members, x, y, w, h) > 0] = 0
        found, labels = components(mask, min_area=min_area)
    if dilated is None:
        dilated = cv2.dilate(mask, grouping_kernel(height))
    found = group_components(found, labels, dilated)
    height = digit_height(found)
    found = merge_pieces(found, height)
    height = digit_height(found)
    anchors = [b for b in found if b[3] >= 0.6 * height and not _is_speck(b, height)]
    lines = group_lines(anchors)
    for box in found:
        if box[3] < 0.6 * height or _is_speck(box, height):
            # a piece shorter than a digit belongs to the digit beside or below it
            line = _assign(lines, box)
            if line is not None:
                _attach(line, box, 0.35 * height)
    return [sorted(line, key=lambda b: b[0]) for line in lines], labels, height


def _resolve(candidates, inks, images, probs, classify: Classifier | None) -> Segmentation:
    """The classifier-guided part of :func:`segment`: join fragments, cut touching digits."""
    lines, labels, height = candidates
    result, k = [], 0
    for line in lines:
        n = len(line)
        line_inks, line_images = inks[k:k + n], images[k:k + n]
        line_probs = list(probs[k:k + n]) if probs is not None else [None] * n
        k += n
        line_height = max(float(statistics.median([b[3] for b in line])), 0.8 * height)
        if classify is not None:
            _join_fragments(line, line_inks, line_images, line_probs, labels, line_height,
                            classify)
        digits = []
        for (x, y, *_), ink, image, p in zip(line, line_inks, line_images, line_probs):
            whole = None if p is None else float(p.max())
            pieces = _split(ink, line_height, classify, whole=whole)
            for px, py, pw, ph in pieces:
                crop = ink[py:py + ph, px:px + pw]
                if len(pieces) == 1:
                    digits.append(Digit((x + px, y + py, pw, ph), crop, len(result), image, p))
                else:
                    digits.append(Digit((x + px, y + py, pw, ph), crop, len(result),
                                        to_mnist(crop)))
        if digits:
            result.append(digits)
    return Segmentation(result)


def segment_many(masks, classify: Classifier | None = None,
                 dilated=None) -> list[Segmentation]:
    """Segment many ink masks, classifying all their digit candidates in one batch.

    The same as ``[segment(m, classify) for m in masks]``, but a network's forward pass costs
    about as much for one image as for a few hundred, so batching makes reading many images
    several times faster. ``dilated``, if given, lists one dilated mask (or None) per mask.
    """
    dilated = dilated if dilated is not None else [None] * len(masks)
    candidates = [_line_candidates(m, d) for m, d in zip(masks, dilated)]
    inks, counts = [], []
    for cand in candidates:
        found = [] if cand is None else [_ink(cand[1], members, x, y, w, h)
                                         for line in cand[0] for x, y, w, h, _, members in line]
        inks.extend(found)
        counts.append(len(found))
    images = [to_mnist(ink) for ink in inks]
    probs = classify(np.stack(images)) if classify is not None and images else None
    results, start = [], 0
    for cand, count in zip(candidates, counts):
        stop = start + count
        results.append(Segmentation([]) if cand is None else _resolve(
            cand, inks[start:stop], images[start:stop],
            None if probs is None else probs[start:stop], classify))
        start = stop
    return results


def segment(mask: np.ndarray, classify: Classifier | None = None, *,
            dilated: np.ndarray | None = None) -> Segmentation:
    """Find the digits in an ink mask.

    Parameters
    ----------
    mask : numpy.ndarray
        Ink mask (ink > 0), e.g. ``preprocess(image).mask``.
    classify : callable, optional
        Maps ``(n, 28, 28)`` digit images to ``(n, 10)`` digit probabilities; used to join the
        fragments of a broken digit and to choose where to cut touching digits. Without it
        the cut follows the vertical ink profile.
    dilated : numpy.ndarray, optional
        The mask with thickened strokes (the paper's dilation) whose components decide which
        strokes belong together; by default the mask dilated by :func:`grouping_kernel`.

    Returns
    -------
    Segmentation
        Lines top to bottom, digits left to right, each with its box and 28x28 image (and its
        probabilities, when the classifier read it as it stands).
    """
    return segment_many([mask], classify, [dilated])[0]
