"""Choose the best reading of a line: the best paths through its candidates, and how sure.

A reading is a path through the pieces of a :class:`~mnistreader.candidates.Line` from left
to right in which every piece is either part of a digit (a run of neighbouring pieces read as
one digit) or skipped as "not part of a digit"; its score is the sum of the scores of its
steps (:func:`mnistreader.scores.edge_scores`). :func:`best_paths` finds the best ones by
dynamic programming (k best, optionally with a digit count), :func:`choose` applies an
expected format (:class:`NumberFormat`), and :func:`number_confidence` turns a path and its
best rival into the calibrated probability that the reading is right.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

import numpy as np

from .candidates import Line
from .scores import DEFAULT, Decoder

__all__ = ["Path", "NumberFormat", "best_paths", "choose", "confidence_features",
           "number_confidence"]

#: how many labels of a candidate the decoder considers (the most probable ones)
TOP_LABELS = 3


@dataclass(frozen=True)
class Path:
    """One reading of a line.

    Attributes
    ----------
    score : float
        Sum of the scores of its steps (log scale).
    spans : tuple of (int, int)
        The pieces ``i..j-1`` of each digit, left to right.
    digits : tuple of int
        The digit read from each span.
    skipped : tuple of int
        The pieces read as "not part of a digit".
    steps : tuple of float
        The score of each digit.
    skips : tuple of float
        The score of each skipped piece.
    """

    score: float
    spans: tuple[tuple[int, int], ...]
    digits: tuple[int, ...]
    skipped: tuple[int, ...] = ()
    steps: tuple[float, ...] = ()
    skips: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        """The digits as a string."""
        return "".join(map(str, self.digits))


@dataclass(frozen=True)
class NumberFormat:
    """What the number is expected to look like; a reading that does not fit is not chosen.

    Attributes
    ----------
    digits : (int, int) or None
        Fewest and most digits (``(8, 8)`` for exactly eight).
    value : (int, int) or None
        Smallest and largest value.
    """

    digits: tuple[int, int] | None = None
    value: tuple[int, int] | None = None

    @classmethod
    def parse(cls, digits: str | int | None = None, value: str | None = None) -> "NumberFormat":
        """Build from the command line's ``--digits 8`` / ``--digits 2-3`` and ``--range 0-100``.

        Raises
        ------
        ValueError
            If a bound is not a whole number or a range is empty.
        """
        return cls(digits=_bounds(digits, "--digits", low=1), value=_bounds(value, "--range"))

    def fits(self, text: str) -> bool:
        """Whether a digit string fits the format."""
        if self.digits and not self.digits[0] <= len(text) <= self.digits[1]:
            return False
        if self.value and text and not self.value[0] <= int(text) <= self.value[1]:
            return False
        return bool(text) or not (self.digits or self.value)

    @property
    def count_range(self) -> tuple[int, int] | None:
        """Digit counts the format allows (from ``digits`` and from ``value``)."""
        lo, hi = self.digits or (1, 10 ** 6)
        if self.value:
            hi = min(hi, len(str(self.value[1])))
            lo = max(lo, 1)
        return None if (lo, hi) == (1, 10 ** 6) else (lo, hi)


def _bounds(text, name: str, low: int = 0) -> tuple[int, int] | None:
    if text is None or text == "":
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(text))
    if not match:
        raise ValueError(f"{name} must be a whole number or a range like 2-3, not {text!r}")
    lo = int(match.group(1))
    hi = int(match.group(2)) if match.group(2) is not None else lo
    if lo > hi or lo < low:
        raise ValueError(f"{name} {text}: not a valid range")
    return lo, hi


def best_paths(line: Line, digit: np.ndarray, skip: np.ndarray, k: int = 8,
               counts: tuple[int, int] | None = None) -> list[Path]:
    """The ``k`` best paths through ``line``, best first.

    Parameters
    ----------
    digit, skip : numpy.ndarray
        From :func:`edge_scores`.
    counts : (int, int), optional
        Only paths with this many digits (fewest, most).
    """
    m = len(line.boxes)
    top = np.argsort(-digit, axis=1)[:, :TOP_LABELS]
    into: list[list] = [[] for _ in range(m + 1)]  # steps ending at each node
    for s, (i, j) in enumerate(line.spans.tolist()):
        for d in top[s].tolist():
            into[j].append((i, float(digit[s, d]), (i, j), d))
    for i in range(m):
        into[i + 1].append((i, float(skip[i]), (i, i + 1), None))
    limit = counts[1] if counts else None
    # states[node] = list of (score, digits so far, back-pointer) kept k best per digit count
    states: list[dict] = [dict() for _ in range(m + 1)]
    states[0][0] = [(0.0, None)]
    for j in range(1, m + 1):
        for i, score, span, d in into[j]:
            for count, entries in states[i].items():
                new_count = count + (d is not None)
                if limit is not None and new_count > limit:
                    continue
                bucket = states[j].setdefault(new_count if counts else 0, [])
                for total, back in entries:
                    bucket.append((total + score, (i, count, total, span, d, back)))
        for key, bucket in states[j].items():
            states[j][key] = heapq.nlargest(k, bucket, key=lambda e: e[0])
    finals = []
    for count, entries in states[m].items():
        if counts and not counts[0] <= count <= counts[1]:
            continue
        finals.extend(entries)
    paths = []
    for total, back in heapq.nlargest(k, finals, key=lambda e: e[0]):
        spans, digits, skipped, steps, skips = [], [], [], [], []
        while back is not None:
            _, _, before, span, d, back = back
            if d is None:
                skipped.append(span[0])
                skips.append(total - before)
            else:
                spans.append(span)
                digits.append(d)
                steps.append(total - before)
            total = before
        paths.append(Path(sum(steps) + sum(skips), tuple(reversed(spans)), tuple(reversed(digits)),
                          tuple(reversed(skipped)), tuple(reversed(steps)), tuple(reversed(skips))))
    return paths


def choose(paths: list[Path], number_format: NumberFormat | None = None) -> tuple[Path | None, list[Path]]:
    """The best path whose digits fit ``number_format``, and the best path of every other string.

    Returns
    -------
    best : Path or None
        None when no path fits.
    others : list of Path
        For every other digit string among ``paths``, its best path, best first.
    """
    seen, unique = set(), []
    for path in paths:
        if path.text not in seen:
            seen.add(path.text)
            unique.append(path)
    fitting = [p for p in unique if number_format is None or number_format.fits(p.text)]
    if not fitting:
        return None, unique
    best = fitting[0]
    return best, [p for p in unique if p is not best]


def confidence_features(best: Path, others: list[Path]) -> np.ndarray:
    """Features (:data:`~mnistreader.scores.CONFIDENCE`) of a reading, from its path and the
    best other reading."""
    steps = np.asarray(best.steps) if best.steps else np.zeros(1)
    margin = best.score - others[0].score if others else 10.0
    skips = np.asarray(best.skips) if best.skips else np.zeros(1)
    return np.array([1.0, steps.mean(), steps.min(), min(margin, 10.0), len(best.digits) / 10,
                     len(best.skips) / 10, skips.min()])


def number_confidence(best: Path | None, others: list[Path], decoder: Decoder = DEFAULT) -> float:
    """The probability that a reading is right (0 when there is none)."""
    if best is None or not best.digits:
        return 0.0
    z = float(confidence_features(best, others) @ np.asarray(decoder.confidence))
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))
