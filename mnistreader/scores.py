"""Score the candidate digits of a line: the classifier's probabilities and their geometry.

Reading a run of pieces ``s`` as digit ``d`` scores ``log P(d | s)`` (the classifier, whose
"not a digit" output takes its share of the probability) plus ``weight * log P(one whole
digit | geometry of s) + bonus``; skipping a piece (a dot, a dash, a tick, a stain) scores
``log P(not a digit | piece) + weight * log P(clutter | geometry of the piece)``. The geometry
(:func:`span_features`: size, place in the line, gaps, whether a run is one whole component)
is judged by two small networks (:class:`Verifier`) learned from synthetic numbers; they,
the weight, the bonus and the confidence weights make a :class:`Decoder`, stored with the
classifier in its model file (:mod:`mnistreader.calibrate`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .candidates import Line

__all__ = ["FEATURES", "CONFIDENCE", "span_features", "Verifier", "Decoder", "DEFAULT",
           "edge_scores"]

#: features of a run of pieces, in the order of :func:`span_features`
FEATURES = ("height", "width", "centre", "top", "bottom", "gap", "pieces", "cut", "whole",
            "density", "ink", "before", "after")
#: features of a reading, in the order of :func:`mnistreader.decode.confidence_features`
CONFIDENCE = ("bias", "mean_step", "worst_step", "margin", "digits", "skipped", "worst_skip")
_EPS = 1e-6
#: weight of a piece's "not a digit" log-probability in the score of skipping it. Above 1, a piece
#: the classifier only half rejects (the stroke of a 5 written in three, a hooked 1) costs more
#: to skip, while clutter it rejects outright stays cheap. 1.25-2 read one more phone photo
#: whole and the synthetic broken numbers 1-2 points better; the register cells moved by -4 to
#: +1 cells (fewer lost digits, more added ones). 1.5, the middle, was chosen on those sets.
REJECT_WEIGHT = 1.5


def span_features(line: Line, spans: np.ndarray | None = None) -> np.ndarray:
    """Geometry features (:data:`FEATURES`) of runs of pieces of ``line`` (all its spans by
    default).

    Sizes are in digit heights of the line, positions relative to the band between the median
    top and bottom of the line's full-height pieces.
    """
    if spans is not None:
        line = replace(line, spans=np.asarray(spans, np.int64).reshape(-1, 2))
    spans = line.spans
    H = line.height
    b = line.boxes.astype(np.float64)
    ext = line.extents
    m = len(b)
    tall = b[:, 3] >= 0.5 * H
    ref = b[tall] if tall.any() else b
    band_top = float(np.median(ref[:, 1]))
    band_bottom = float(np.median(ref[:, 1] + ref[:, 3]))
    i, j = spans[:, 0], spans[:, 1]
    idx, valid = line.span_pieces()  # padded, padding masked out
    inf = np.inf

    def low(v):
        return np.where(valid, v[idx], inf).min(axis=1)

    def high(v):
        return np.where(valid, v[idx], -inf).max(axis=1)

    top, bottom = low(b[:, 1]), high(b[:, 1] + b[:, 3])
    left, right = low(ext[:, 0]), high(ext[:, 1])
    reach = np.maximum.accumulate(np.where(valid, ext[idx, 1], -inf), axis=1)
    inner = np.where(valid[:, 1:], ext[idx[:, 1:], 0] - reach[:, :-1], 0.0)
    inner = np.maximum(inner.max(axis=1, initial=0.0), 0.0)
    box_w = high(b[:, 0] + b[:, 2]) - low(b[:, 0])
    prior = np.concatenate([[-inf], np.maximum.accumulate(ext[:, 1])])  # right end before i
    later = np.concatenate([np.minimum.accumulate(ext[::-1, 0])[::-1], [inf]])  # left from j
    before = np.where(i > 0, left - prior[i], 2 * H)
    after = np.where(j < m, later[np.minimum(j, m)] - right, 2 * H)
    area = np.concatenate([[0], np.cumsum(line.areas)])
    area = area[j] - area[i]
    cut = np.concatenate([[0], np.cumsum(line.cut)])
    whole = line.whole_components() >= 0
    height = bottom - top
    return np.stack([height / H, (right - left + 1) / H,
                     ((top + bottom) / 2 - (band_top + band_bottom) / 2) / H,
                     (top - band_top) / H, (bottom - band_bottom) / H, inner / H, j - i,
                     (cut[j] - cut[i]) / (j - i), whole,
                     area / np.maximum(1.0, box_w * height), area / (H * H),
                     np.minimum(before / H, 2.0), np.minimum(after / H, 2.0)],
                    axis=1).astype(np.float64)


class Verifier:
    """A small network scoring feature rows: the log-odds of a yes/no question.

    Parameters
    ----------
    mean, scale : numpy.ndarray
        Features are standardised as ``(x - mean) / scale`` first.
    weights, biases : list of numpy.ndarray
        The layers of a ReLU network with two outputs (no, yes).
    """

    def __init__(self, mean, scale, weights, biases) -> None:
        self.mean = np.asarray(mean, np.float64)
        self.scale = np.asarray(scale, np.float64)
        self.weights = [np.asarray(w, np.float64) for w in weights]
        self.biases = [np.asarray(v, np.float64) for v in biases]

    def logodds(self, features: np.ndarray) -> np.ndarray:
        """Log-odds of "yes" for each row of ``features``."""
        a = (features - self.mean) / self.scale
        for w, v in zip(self.weights[:-1], self.biases[:-1]):
            a = np.maximum(a @ w + v, 0.0)
        z = a @ self.weights[-1] + self.biases[-1]
        return z[:, 1] - z[:, 0]

    def to_meta(self) -> dict:
        """JSON-ready parameters."""
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": [w.tolist() for w in self.weights],
                "biases": [v.tolist() for v in self.biases]}

    @classmethod
    def from_meta(cls, meta: dict) -> "Verifier":
        """Rebuild from :meth:`to_meta`."""
        return cls(meta["mean"], meta["scale"], meta["weights"], meta["biases"])

    @classmethod
    def linear(cls, weights) -> "Verifier":
        """A linear scorer: ``weights[0]`` the bias, the rest one weight per feature."""
        w = np.asarray(weights, np.float64)
        out = np.zeros((len(w) - 1, 2))
        out[:, 1] = w[1:]
        return cls(np.zeros(len(w) - 1), np.ones(len(w) - 1), [out], [np.array([0.0, w[0]])])


@dataclass(frozen=True, eq=False)
class Decoder:
    """The decoder's learned parts.

    Attributes
    ----------
    digit : Verifier
        Log-odds, from its geometry alone (:data:`FEATURES`), that a run of pieces is exactly
        one whole digit.
    clutter : Verifier
        Log-odds, from its geometry alone, that a single piece is not part of any digit.
    weight : float
        How much the geometry counts beside the classifier.
    bonus : float
        Added to the score of every digit read (balances paths of more and fewer digits).
    confidence : tuple of float
        Logistic weights over :data:`CONFIDENCE`: the probability that a reading is right.
    review_below : float
        Readings less sure than this are flagged for review.
    """

    digit: Verifier
    clutter: Verifier
    weight: float = 1.0
    bonus: float = 0.0
    confidence: tuple[float, ...] = ()
    review_below: float = 0.5

    def to_meta(self) -> dict:
        """The decoder as JSON-ready metadata (stored in the model file)."""
        return {"features": list(FEATURES), "confidence_features": list(CONFIDENCE),
                "digit": self.digit.to_meta(), "clutter": self.clutter.to_meta(),
                "weight": self.weight, "bonus": self.bonus, "confidence": list(self.confidence),
                "review_below": self.review_below}

    @classmethod
    def from_meta(cls, meta: dict | None) -> "Decoder":
        """The decoder stored in a model's metadata, or the hand-set :data:`DEFAULT`."""
        if not meta or tuple(meta.get("features", ())) != FEATURES \
                or tuple(meta.get("confidence_features", ())) != CONFIDENCE:
            return DEFAULT
        return cls(Verifier.from_meta(meta["digit"]), Verifier.from_meta(meta["clutter"]),
                   float(meta["weight"]), float(meta["bonus"]), tuple(meta["confidence"]),
                   float(meta["review_below"]))


#: hand-set weights, for segmenting without a classifier (every digit then has a probability
#: of one in ten, which the bonus makes up for): a run of pieces is a digit when it is as tall
#: as the line, not wider, and has no gap inside; small pieces are clutter
DEFAULT = Decoder(
    digit=Verifier.linear([-2.0, 4.0, -3.0, 0, 0, 0, -6.0, -0.5, -0.5, 1.0, 0, 0, 0, 0]),
    clutter=Verifier.linear([2.0, -6.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    weight=1.0, bonus=2.3, confidence=(0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0), review_below=0.5)


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


def edge_scores(line: Line, probs: np.ndarray, decoder: Decoder = DEFAULT):
    """Scores of every step a path through ``line`` can take.

    Reading run ``s`` as digit ``d`` scores ``log P(d | s)``, the classifier's probability,
    plus ``weight * log P(one whole digit | geometry of s) + bonus``; skipping a piece scores
    ``REJECT_WEIGHT * log P(not a digit | piece) + weight * log P(clutter | geometry of the
    piece)``.

    Parameters
    ----------
    probs : numpy.ndarray
        ``(k, 10)`` digit probabilities of each of ``line.spans`` (rows sum to the
        probability of being a digit at all, when the network has a "not a digit" output).

    Returns
    -------
    digit : numpy.ndarray
        ``(k, 10)`` score of reading each span as each digit.
    skip : numpy.ndarray
        ``(m,)`` score of skipping each piece.
    """
    features = span_features(line)
    whole = decoder.weight * _log_sigmoid(decoder.digit.logodds(features)) + decoder.bonus
    digit = np.log(probs + _EPS) + whole[:, None]
    singles = np.flatnonzero(line.spans[:, 1] - line.spans[:, 0] == 1)
    reject = np.clip(1.0 - probs[singles].sum(axis=1), 0.0, 1.0)
    skip = np.full(len(line.boxes), -50.0)
    skip[line.spans[singles, 0]] = REJECT_WEIGHT * np.log(reject + _EPS) + \
        decoder.weight * _log_sigmoid(decoder.clutter.logodds(features[singles]))
    return digit, skip
