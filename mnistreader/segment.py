"""Split an ink mask into single digits, sorted left to right: recognition-driven segmentation.

The paper finds the contours of the number and cuts it there. Here the cutting is left to the
classifier: :mod:`mnistreader.candidates` over-segments every line of writing into pieces and
lists the candidate digits (single pieces, neighbours joined, parts of touching digits),
the classifier reads every candidate in one batch, :mod:`mnistreader.scores` scores them,
and :mod:`mnistreader.decode` chooses the best path through them, skipping what is not part
of a digit. The lines that hold a number
are kept, top to bottom.

Boxes are ``(x, y, w, h)`` in the mask's pixel coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .candidates import DOUBT_BELOW, RECUT_FROM, RECUT_TALL, Line, cut_along_paths, recut
from .lines import find_lines, level
from .decode import NumberFormat, Path, best_paths, choose, number_confidence
from .scores import DEFAULT, Decoder, edge_scores
from .normalize import add_border, to_mnist  # noqa: F401  (re-exported: the paper's steps)

__all__ = ["Digit", "LineReading", "Segmentation", "segment", "segment_many", "lattices",
           "decode_lattices", "read_line", "line_readings", "rows_of", "add_border", "to_mnist"]

Classifier = Callable[[np.ndarray], np.ndarray]

#: a line read leaving out a piece this many digit heights tall is read from its cuts along
#: paths instead when those leave out less ink, with no fewer digits (:func:`_surer`)
SKIPPED_TALL = 0.9


@dataclass
class Digit:
    """One segmented digit."""

    box: tuple[int, int, int, int]
    mask: np.ndarray = field(repr=False)  # the ink inside ``box``
    line: int = 0
    image: np.ndarray | None = field(default=None, repr=False)  # 28x28 float32, MNIST-style
    probs: np.ndarray | None = field(default=None, repr=False)  # digit probabilities, if known


@dataclass
class LineReading:
    """A line of writing, its candidates and how it was read.

    Attributes
    ----------
    line : Line
        The pieces and candidate digits.
    best : Path or None
        The chosen reading (None if nothing in the line fits the expected format).
    others : list of Path
        The best reading of every other digit string found, best first.
    probs : numpy.ndarray
        ``(k, 10)`` digit probabilities of every candidate of ``line.spans``.
    images : numpy.ndarray
        ``(k, 28, 28)`` the candidates as the classifier saw them.
    confidence : float
        Probability that ``best`` is the line's number (0 if there is none).
    keep : bool
        Whether the line holds (part of) the number.
    """

    line: Line
    best: Path | None
    others: list[Path]
    probs: np.ndarray = field(repr=False)
    images: np.ndarray = field(repr=False)
    confidence: float = 0.0
    keep: bool = False

    def digits(self, number: int) -> list[Digit]:
        """The digits of the chosen reading, with boxes in the mask's coordinates."""
        if self.best is None:
            return []
        index = {tuple(s): k for k, s in enumerate(self.line.spans.tolist())}
        x0, y0 = self.line.box[:2]
        out = []
        for i, j in self.best.spans:
            k = index[(i, j)]
            x, y, w, h = self.line.span_box(i, j)
            out.append(Digit((x0 + x, y0 + y, w, h), self.line.span_ink(i, j), number,
                             self.images[k], self.probs[k]))
        return out


@dataclass
class Segmentation:
    """The digits found in an image, line by line.

    Attributes
    ----------
    lines : list of list of Digit
        The lines that hold a number, top to bottom, digits left to right.
    readings : list of LineReading
        Every line of writing found (with or without a number), top to bottom.
    fits : bool
        False when an expected format was given and no reading fitted it: the lines are then
        the best readings regardless of the format.
    """

    lines: list[list[Digit]]
    readings: list[LineReading] = field(default_factory=list, repr=False)
    fits: bool = True

    @property
    def digits(self) -> list[Digit]:
        """All digits, line after line, left to right."""
        return [d for line in self.lines for d in line]

    @property
    def boxes(self) -> list[tuple[int, int, int, int]]:
        """The digits' boxes in reading order."""
        return [d.box for d in self.digits]

    @property
    def chosen(self) -> list[LineReading]:
        """The readings of the lines in :attr:`lines`, in reading order."""
        return [r for row in self.rows for r in row]

    @property
    def rows(self) -> list[list[LineReading]]:
        """The chosen lines by rows of writing: groups of digits side by side on one row (a
        number written with gaps, ``0506 1990``) form one row, left to right."""
        return rows_of([r for r in self.readings if r.keep])


def _side_by_side(a: LineReading, b: LineReading) -> bool:
    """Whether two lines are groups of one row: level with each other, side by side (their
    boxes may overlap a little where slanted writing leans over the gap)."""
    ax, ay, aw, ah = a.line.box
    bx, by, bw, bh = b.line.box
    overlap = min(ax + aw, bx + bw) - max(ax, bx)
    return level(ay, ay + ah, by, by + bh) and overlap <= 0.25 * min(aw, bw)


def rows_of(readings: list[LineReading]) -> list[list[LineReading]]:
    """Group lines (top to bottom) into rows of writing, each left to right."""
    rows: list[list[LineReading]] = []
    for r in readings:
        row = next((row for row in rows if all(_side_by_side(r, o) for o in row)), None)
        if row is None:
            rows.append([r])
        else:
            row.append(r)
            row.sort(key=lambda o: o.line.box[0])
    return rows


def _uniform(images: np.ndarray) -> np.ndarray:
    """Without a classifier, every candidate is any digit with the same probability."""
    return np.full((len(images), 10), 0.1, np.float32)


def _classified(lines: list[Line], classify: Classifier,
                seen: dict | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(images, probs)`` of every line's candidates, classified in one batch.

    A candidate whose ink is already in ``seen`` (ink bytes and shape -> image, probs) is not
    normalised and classified again: a line's uncut components are the same candidates in
    both of its lattices, and in its second look after recutting. New ones are added to it.
    """
    seen = {} if seen is None else seen
    inks = [ink for line in lines for ink in line.inks()]
    keys = [(ink.shape, ink.tobytes()) for ink in inks]
    new = {}
    for key, ink in zip(keys, inks):
        if key not in seen:
            new.setdefault(key, ink)
    if new:
        images = np.stack([to_mnist(ink) for ink in new.values()])
        for key, image, probs in zip(new, images, classify(images)):
            seen[key] = (image, probs)
    images = np.stack([seen[k][0] for k in keys]) if keys else np.zeros((0, 28, 28), np.float32)
    probs = np.stack([seen[k][1] for k in keys]) if keys else np.zeros((0, 10), np.float32)
    out, start = [], 0
    for line in lines:
        stop = start + len(line.spans)
        out.append((images[start:stop], probs[start:stop]))
        start = stop
    return out


def _keep_lines(readings: list[LineReading]) -> None:
    """Mark the lines that hold the number: the likeliest line of digits (sure and tall), and
    any other line of two or more digits about as tall and as sure (a number written on two
    lines)."""
    def weight(r: LineReading) -> float:
        return r.line.height * r.confidence * min(len(r.best.digits), 3)

    numbered = [r for r in readings if r.best is not None and r.best.digits]
    for r in readings:
        r.keep = False
    if not numbered:
        return
    main = max(numbered, key=weight)
    for r in numbered:
        r.keep = r is main or (len(r.best.digits) >= 2 and r.line.height >= 0.7 * main.line.height
                               and r.confidence >= max(0.5, 0.8 * main.confidence))


def lattices(masks, classify: Classifier | None = None) -> list[list[tuple]]:
    """Every line's candidates in every mask, classified: ``[(line, images, probs), ...]`` per
    mask.

    All candidates are classified in one batch; components at least
    :data:`~mnistreader.candidates.RECUT_TALL` digit heights tall that the classifier doubts
    are one digit (no digit above :data:`~mnistreader.candidates.DOUBT_BELOW`), or reads as a
    1 that is as wide as two, are then cut too and their lines classified again, in a second
    batch. A line with cut
    components follows it a second time, cut along paths of least ink
    (:func:`~mnistreader.candidates.cut_along_paths`), with the same box: the decoder keeps
    the second reading when it is surer and reads no fewer digits.
    """
    classify = classify or _uniform
    found = [find_lines(m) for m in masks]
    lines = [line for lines in found for line in lines]
    seen: dict = {}  # every candidate's image and probabilities, by its ink
    read = _classified(lines, classify, seen)
    redo = {}
    for n, (line, (_, probs)) in enumerate(zip(lines, read) if classify is not _uniform else ()):
        i, j = line.spans[:, 0], line.spans[:, 1]
        uncut = (j - i == 1) & ~line.cut[i]
        extent = line.extents[i, 1] - line.extents[i, 0]
        # a doubtful reading, or a 1 as wide as two 1s side by side
        doubt = (probs.max(axis=1, initial=0) < DOUBT_BELOW) | (probs.argmax(axis=1) == 1)
        doubt &= uncut & (extent >= RECUT_FROM * line.height) \
            & (line.boxes[i, 3] >= RECUT_TALL * line.height)
        if doubt.any():
            redo[n] = recut(line, line.component[i[doubt]])
    if redo:
        for n, (images, probs) in zip(redo, _classified(list(redo.values()), classify, seen)):
            lines[n], read[n] = redo[n], (images, probs)
    # touching digits are also cut along paths of least ink: the decoder chooses
    alts = {n: cut_along_paths(line) for n, line in enumerate(lines)
            if line.cut.any() and classify is not _uniform}
    alt_read = dict(zip(alts, _classified(list(alts.values()), classify, seen))) if alts else {}
    out, start = [], 0
    for count in map(len, found):
        group = []
        for n in range(start, start + count):
            group.append((lines[n], *read[n]))
            if n in alts:
                group.append((alts[n], *alt_read[n]))
        out.append(group)
        start += count
    return out


def decode_lattices(found: list[list[tuple]], decoder: Decoder = DEFAULT,
                    number_format: NumberFormat | None = None) -> list[Segmentation]:
    """Read every line of classified lattices (:func:`lattices`) and keep the number's lines."""
    results = []
    for lines in found:
        readings = _read_lines(lines, decoder, number_format)
        fits = number_format is None or any(r.keep for r in readings)
        if not fits:  # nothing fits: the best readings regardless, to be reviewed
            readings = _read_lines(lines, decoder, None)
        kept = [r for row in rows_of([r for r in readings if r.keep]) for r in row]
        results.append(Segmentation([r.digits(n) for n, r in enumerate(kept)], readings, fits))
    return results


def read_line(line: Line, images: np.ndarray, probs: np.ndarray, decoder: Decoder = DEFAULT,
              number_format: NumberFormat | None = None) -> LineReading:
    """Read one classified line (an item of :func:`lattices`): the best paths through its
    candidates, the one chosen (fitting ``number_format``, if given) and its confidence."""
    counts = number_format.count_range if number_format else None
    digit, skip = edge_scores(line, probs, decoder)
    paths = best_paths(line, digit, skip, k=16 if number_format else 8, counts=counts)
    best, others = choose(paths, number_format)
    return LineReading(line, best, others, probs, images, number_confidence(best, others, decoder))


def line_readings(mask: np.ndarray, classify: Classifier, *,
                  decoder: Decoder = DEFAULT) -> list[LineReading]:
    """Every line of an ink mask read every way it was cut (straight along the slant, and
    along paths of least ink where components were cut), none left out: to compare them."""
    (found,) = lattices([mask], classify)
    return [read_line(line, images, probs, decoder) for line, images, probs in found]


def _digit_count(reading: LineReading) -> int:
    return len(reading.best.digits) if reading.best else 0


def _skipped(reading: LineReading) -> tuple[float, float]:
    """The ink a reading leaves out: the tallest skipped piece (in digit heights) and all the
    skipped pieces' ink (in square digit heights)."""
    line, skipped = reading.line, list(reading.best.skipped if reading.best else ())
    if not skipped:
        return 0.0, 0.0
    return (float(line.boxes[skipped, 3].max()) / line.height,
            float(line.areas[skipped].sum()) / line.height ** 2)


def _surer(other: LineReading, first: LineReading) -> bool:
    """Whether a line cut along paths (``other``) reads better than cut straight (``first``),
    with no fewer digits (cutting another way is for parting digits, not losing them): surer,
    or, when cut straight a piece as tall as a digit (:data:`SKIPPED_TALL`) is left out (a
    badly cut 1, the part of an 8 the straight cut took off), leaving less ink out."""
    if _digit_count(other) < _digit_count(first):
        return False
    if other.confidence > first.confidence:
        return True
    tall, ink = _skipped(first)
    return tall >= SKIPPED_TALL and _skipped(other)[1] < ink


def _read_lines(lines, decoder: Decoder, number_format: NumberFormat | None) -> list[LineReading]:
    readings = []
    for line, images, probs in lines:
        reading = read_line(line, images, probs, decoder, number_format)
        if line.paths and readings and readings[-1].line.box == line.box:  # cut another way
            if _surer(reading, readings[-1]):
                readings[-1] = reading
            continue
        readings.append(reading)
    _keep_lines(readings)
    return readings


def segment_many(masks, classify: Classifier | None = None, *, decoder: Decoder = DEFAULT,
                 number_format: NumberFormat | None = None) -> list[Segmentation]:
    """Segment many ink masks, classifying all their candidate digits in one batch.

    A network's forward pass costs about as much for one image as for a few hundred, so
    batching makes reading many images several times faster.

    Parameters
    ----------
    masks : sequence of numpy.ndarray
        Ink masks (ink > 0).
    classify : callable, optional
        Maps ``(n, 28, 28)`` digit images to ``(n, 10)`` digit probabilities (rows sum to the
        probability of a digit at all if the network can say "not a digit"). Without it,
        every component is one digit unless its shape says otherwise.
    decoder : Decoder
        The decoder's weights (those calibrated for the classifier, see
        :mod:`mnistreader.calibrate`).
    number_format : NumberFormat, optional
        What the number must look like (digit count, value range).
    """
    return decode_lattices(lattices(masks, classify), decoder, number_format)


def segment(mask: np.ndarray, classify: Classifier | None = None, *, decoder: Decoder = DEFAULT,
            number_format: NumberFormat | None = None) -> Segmentation:
    """Find the digits in an ink mask.

    Parameters
    ----------
    mask : numpy.ndarray
        Ink mask (ink > 0), e.g. ``preprocess(image).mask``.
    classify : callable, optional
        Maps ``(n, 28, 28)`` digit images to ``(n, 10)`` digit probabilities; it decides which
        pieces make a digit and where touching digits are cut.
    number_format : NumberFormat, optional
        What the number must look like.

    Returns
    -------
    Segmentation
        Lines top to bottom, digits left to right, each with its box, 28x28 image and
        probabilities.
    """
    return segment_many([mask], classify, decoder=decoder, number_format=number_format)[0]
