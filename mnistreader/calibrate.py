"""Learn the decoder from synthetic documents: geometry, weights, confidence, review threshold.

The candidates of labelled synthetic documents (:mod:`mnistreader.truth`) fit the decoder's
parts (:class:`~mnistreader.scores.Decoder`), never real images:

* :func:`fit_decoder`: two small networks judging, from geometry alone, whether a run of
  pieces is one whole digit and whether a piece is clutter;
* :func:`tune`: how much the geometry counts beside the classifier, and a per-digit bonus;
* :func:`fit_confidence`: the probability that a whole reading is right, from its path;
* :func:`review_threshold`: where readings become sure enough not to be reviewed.

:func:`calibrate` does all of it for a network; ``mnistreader calibrate`` saves the result
in the model file.
"""

from __future__ import annotations

import numpy as np

from .scores import CONFIDENCE, FEATURES
from .truth import REJECT, Labelled, labelled_documents

__all__ = ["decoder_data", "fit_logistic", "fit_verifier", "fit_decoder", "tune",
           "fit_confidence", "review_threshold", "calibrate"]


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-3, weights=None,
                 iterations: int = 30) -> np.ndarray:
    """Logistic regression by Newton's method: ``w`` maximising the penalised likelihood.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n, f)`` features (include a column of ones for a bias).
    y : numpy.ndarray
        ``(n,)`` 0/1 targets.
    l2 : float
        Ridge penalty per example (not applied to the first column, the bias).
    weights : numpy.ndarray, optional
        Per-example weights.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    s = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    n, f = x.shape
    penalty = np.full(f, l2 * s.sum())
    penalty[0] = 0.0
    w = np.zeros(f)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (s * (p - y)) + penalty * w
        hess = (x * (s * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return w


def decoder_data(labelled: list[Labelled]) -> dict[str, np.ndarray]:
    """Decoder training data: every candidate's geometry and truth.

    Returns
    -------
    dict
        ``span_features``/``span_whole`` (is the run of pieces one whole digit) and
        ``piece_features``/``piece_clutter`` (is the piece clutter), as arrays.
    """
    from .scores import span_features

    spans, whole, pieces, is_clutter = [], [], [], []
    for item in labelled:
        for line, cls, clutter in zip(item.lines, item.classes, item.clutter):
            features = span_features(line)
            spans.append(features)
            whole.append(cls != REJECT)
            single = line.spans[:, 1] - line.spans[:, 0] == 1
            pieces.append(features[single])
            is_clutter.append(clutter[line.spans[single, 0]])
    join = lambda parts, width: np.concatenate(parts) if parts else np.zeros((0,) + width)  # noqa: E731
    return {"span_features": join(spans, (len(FEATURES),)), "span_whole": join(whole, ()),
            "piece_features": join(pieces, (len(FEATURES),)), "piece_clutter": join(is_clutter, ())}


def fit_verifier(x: np.ndarray, y: np.ndarray, *, hidden: int = 32, epochs: int = 12,
                 seed: int = 0):
    """Fit a :class:`~mnistreader.scores.Verifier`: a one-hidden-layer ReLU network answering
    a yes/no question (``y``) from feature rows ``x``, with cross-entropy and Adam.
    """
    from .scores import Verifier
    from .network import Network, one_hot
    from .train import Adam

    x = np.asarray(x, np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = ((x - mean) / scale).astype(np.float32)
    targets = one_hot(np.asarray(y, np.int64), 2)
    rng = np.random.default_rng(seed)
    net = Network.create((x.shape[1], hidden, 2), activation="relu", loss="cross_entropy",
                         init="he", rng=rng)
    adam = Adam(net.weights + net.biases)
    batches = max(1, len(z) // 256)
    for epoch in range(epochs):
        lr = 3e-3 * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        for take in np.array_split(rng.permutation(len(z)), batches):
            _, grad_w, grad_b = net.loss_and_gradients(z[take], targets[take])
            adam.step(grad_w + grad_b, lr)
    return Verifier(mean, scale, net.weights, net.biases)


def fit_decoder(labelled: list[Labelled]):
    """Fit the decoder's geometry of whole digits and of clutter on labelled documents.

    Returns
    -------
    Decoder
        With weight 1, no bonus and the default confidence; see :func:`calibrate`.
    """
    from .scores import DEFAULT, Decoder

    data = decoder_data(labelled)
    digit = fit_verifier(data["span_features"], data["span_whole"])
    clutter = fit_verifier(data["piece_features"], data["piece_clutter"])
    return Decoder(digit, clutter, 1.0, 0.0, DEFAULT.confidence, DEFAULT.review_below)


def reading_data(labelled: list[Labelled], found, decoder) -> tuple[np.ndarray, np.ndarray]:
    """Confidence features of the reading of every labelled document, and whether it is right.

    ``found`` are the documents' classified lattices (:func:`mnistreader.segment.lattices`).
    """
    from .decode import confidence_features
    from .segment import decode_lattices

    features, right = [], []
    for item, seg in zip(labelled, decode_lattices(found, decoder)):
        chosen = seg.chosen
        text = " ".join(r.best.text for r in chosen)
        if chosen:
            main = max(chosen, key=lambda r: r.confidence)
            features.append(confidence_features(main.best, main.others))
        else:
            features.append(np.full(len(CONFIDENCE), np.nan))
        right.append(text == item.document.text)
    return np.array(features).reshape(-1, len(CONFIDENCE)), np.array(right, bool)


def tune(labelled: list[Labelled], found, decoder, weights=(0.25, 0.5, 1.0, 2.0),
         bonuses=(-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)):
    """The geometry weight and per-digit bonus with which the most documents are read right."""
    from dataclasses import replace

    grid = [(w, b) for w in weights for b in bonuses]
    scores = [reading_data(labelled, found, replace(decoder, weight=w, bonus=b))[1].mean()
              for w, b in grid]
    w, b = grid[int(np.argmax(scores))]
    return replace(decoder, weight=float(w), bonus=float(b))


def fit_confidence(labelled: list[Labelled], found, decoder, *, l2: float = 1e-3):
    """Fit the whole-number confidence on labelled documents read with ``decoder``."""
    from dataclasses import replace

    features, right = reading_data(labelled, found, decoder)
    read = ~np.isnan(features).any(axis=1)
    weights = fit_logistic(features[read], right[read], l2=l2)
    return replace(decoder, confidence=tuple(map(float, weights)))


def review_threshold(confidence: np.ndarray, right: np.ndarray, precision: float = 0.99) -> float:
    """The lowest threshold at which the readings at or above it are ``precision`` right.

    Readings are sorted by confidence; the threshold is the confidence of the last reading of
    the largest sure-first prefix whose share of right readings is at least ``precision``.
    """
    confidence = np.asarray(confidence, np.float64)
    right = np.asarray(right, bool)
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    good = np.flatnonzero(hits >= precision)
    if len(good) == 0:
        return 1.0
    return float(confidence[order][good[-1]])


def calibrate(net, *, documents: int = 3000, seed: int = 1, jobs: int = 1,
              precision: float = 0.99, weight: float | None = None,
              bonus: float | None = None):
    """Fit a network's decoder on synthetic documents (never on real ones).

    Half of the documents fit the geometry of whole digits and of clutter; the other half is
    read to choose the geometry's weight and the per-digit bonus, to fit the whole-number
    confidence, and to set the review threshold where its readings are ``precision`` right.

    Parameters
    ----------
    weight, bonus : float, optional
        Keep the geometry's weight or the per-digit bonus at this value instead of choosing
        it from :func:`tune`'s grid.

    Returns
    -------
    Decoder
    """
    from dataclasses import replace

    from threadpoolctl import threadpool_limits

    from .segment import lattices

    classify = lambda x: net.digit_proba(np.asarray(x).reshape(len(x), -1))  # noqa: E731
    labelled = labelled_documents(documents, seed, jobs=jobs)
    half = len(labelled) // 2
    held = labelled[half:]
    with threadpool_limits(1):
        decoder = fit_decoder(labelled[:half])
        found = lattices([item.mask for item in held], classify)
        kept = {}  # the values given stay; tune chooses the others
        if weight is not None:
            kept["weights"] = (weight,)
        if bonus is not None:
            kept["bonuses"] = (bonus,)
        decoder = tune(held, found, decoder, **kept)
        decoder = fit_confidence(held, found, decoder)
        features, right = reading_data(held, found, decoder)
    read = ~np.isnan(features).any(axis=1)
    z = features[read] @ np.asarray(decoder.confidence)
    confidence = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return replace(decoder, review_below=review_threshold(confidence, right[read], precision))
