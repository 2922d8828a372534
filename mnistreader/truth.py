"""The truth about candidate digits: label what the segmenter proposes in synthetic documents.

A synthetic document (:mod:`mnistreader.documents`) knows which digit or clutter owns every
pixel. :func:`label_candidates` runs the reader's own preprocessing and candidate search on
it and labels every candidate: the digit, when it holds one whole digit and nothing else,
else "not a digit" (:data:`REJECT`). :func:`candidate_pool` makes the labelled candidates of
many documents, in parallel and reproducibly, for training the classifier
(:func:`mnistreader.train.train`) on exactly the mistakes the segmenter can make.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .candidates import Line, cut_all, cut_along_paths
from .lines import find_lines
from .clutter import CLUTTER
from .documents import Document
from .normalize import to_mnist
from .preprocess import Preprocessed, preprocess

__all__ = ["Labelled", "label_candidates", "labelled_documents", "candidate_crops",
           "candidate_pool", "straight_stroke", "REJECT"]

#: class of "not a digit" in the classifier's outputs
REJECT = 10
#: a candidate is a digit when this share of its ink is that digit's ...
PURE = 0.85
#: ... and it holds this share of the digit's ink in the line
WHOLE = 0.8
#: a candidate holding a whole digit with only this share of its ink from it (below
#: :data:`PURE`) is a near miss: a digit cut from a touching neighbour with a bit of the
#: neighbour still attached. It is taught to the classifier neither as that digit nor as
#: "not a digit", so that the cut closest to right can still read as the digit.
NEAR = 0.7


@dataclass
class Labelled:
    """A document's lines and the truth about each of their candidates.

    Attributes
    ----------
    lines : list of Line
        The lines :func:`mnistreader.lines.find_lines` found.
    classes : list of numpy.ndarray
        Per line, per span: the digit it holds whole, or :data:`REJECT`.
    owners : list of numpy.ndarray
        Per line, per span: the index of the digit it holds whole in the document, or -1.
    clutter : list of numpy.ndarray
        Per line, per piece: True if it is (almost) all clutter or noise.
    found : numpy.ndarray
        Per digit of the document: True if some candidate holds it whole.
    near : list of numpy.ndarray
        Per line, per span: True if it is a near miss (:data:`NEAR`), not a digit for
        :attr:`classes` but not taught as "not a digit" either.
    mask : numpy.ndarray
        The document's ink mask, as the reader made it.
    """

    document: Document = field(repr=False)
    lines: list[Line] = field(repr=False)
    classes: list[np.ndarray] = field(repr=False)
    owners: list[np.ndarray] = field(repr=False)
    clutter: list[np.ndarray] = field(repr=False)
    found: np.ndarray = field(repr=False)
    near: list[np.ndarray] = field(repr=False)
    mask: np.ndarray | None = field(default=None, repr=False)


def _owner_map(document: Document, steps: Preprocessed) -> np.ndarray:
    """The document's owners on the working image: digit index, ``n`` clutter, ``n + 1`` paper."""
    n = len(document.text)
    owner = document.owner.astype(np.int32)
    owner = np.where(owner == CLUTTER, n, np.where(owner < 0, n + 1, owner))
    x, y = steps.offset
    h, w = steps.mask.shape
    region = owner[y:y + int(round(h / steps.scale)), x:x + int(round(w / steps.scale))]
    return cv2.resize(region.astype(np.float32), (w, h),
                      interpolation=cv2.INTER_NEAREST).astype(np.int32)


def label_candidates(document: Document, steps: Preprocessed | None = None) -> Labelled:
    """Find the candidates of a synthetic document as the reader does, and label them.

    Every component the reader might cut is cut (:func:`~mnistreader.candidates.cut_all`), both
    straight and along paths of least ink (:func:`~mnistreader.candidates.cut_along_paths`),
    so that the candidates are all those the reader can meet.

    Parameters
    ----------
    steps : Preprocessed, optional
        The document's preprocessing, if already done (``preprocess(document.image)``).
    """
    steps = preprocess(document.image) if steps is None else steps
    mask = steps.mask
    n = len(document.text)
    owner = _owner_map(document, steps)
    lines = [cut_all(line) for line in find_lines(mask)]
    lines += [cut_along_paths(line) for line in lines if line.cut.any()]
    found = np.zeros(n, bool)
    classes, owners, clutters, nears = [], [], [], []
    for line in lines:
        x, y, w, h = line.box
        window = line.pieces
        who = owner[y:y + h, x:x + w][window > 0]
        piece = window[window > 0] - 1
        m = len(line.boxes)
        # ink of every owner in every piece: a (pieces, n + 2) table
        table = np.zeros((m, n + 2), np.int64)
        np.add.at(table, (piece, who), 1)
        cum = np.concatenate([np.zeros((1, n + 2), np.int64), np.cumsum(table, axis=0)])
        line_total = table.sum(axis=0)
        ink = cum[line.spans[:, 1]] - cum[line.spans[:, 0]]  # (spans, n + 2)
        best = ink[:, :n].argmax(axis=1) if n else np.zeros(len(ink), np.int64)
        size = ink[:, :n + 1].sum(axis=1).clip(min=1)  # paper-owned ink is the pen's halo
        mine = ink[np.arange(len(ink)), best] if n else np.zeros(len(ink))
        holds = (mine >= WHOLE * line_total[best].clip(min=1)) & (mine > 0)
        whole = holds & (mine >= PURE * size)
        nears.append(holds & ~whole & (mine >= NEAR * size))
        labels = np.array([int(d) for d in document.text]) if n else np.zeros(0, np.int64)
        cls = np.where(whole, labels[best] if n else REJECT, REJECT)
        owners.append(np.where(whole, best, -1))
        classes.append(cls)
        found[best[whole]] = True
        clutters.append(table[:, :n].sum(axis=1) <= 0.2 * table.sum(axis=1))
    return Labelled(document, lines, classes, owners, clutters, found, nears, mask)


def candidate_crops(labelled: list[Labelled]) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate of labelled documents as a 28x28 ``uint8`` image, with its class.

    Near misses (:data:`NEAR`) and lone straight strokes (:func:`straight_stroke`) are left
    out: what they are is not the classifier's to say.

    Returns
    -------
    images : numpy.ndarray
        ``(n, 28, 28)`` uint8, normalised as the reader normalises candidates.
    classes : numpy.ndarray
        ``(n,)`` digit or :data:`REJECT`.
    """
    images, classes = [], []
    for item in labelled:
        for line, cls, near in zip(item.lines, item.classes, item.near):
            images.extend(np.clip(to_mnist(ink) * 255 + 0.5, 0, 255).astype(np.uint8)
                          for ink, skip in zip(line.inks(), near) if not skip)
            classes.extend(cls[~near].tolist())
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    images, classes = np.stack(images), np.array(classes, np.int64)
    ambiguous = (classes == REJECT) & straight_stroke(images)
    return images[~ambiguous], classes[~ambiguous]


def straight_stroke(images: np.ndarray) -> np.ndarray:
    """True for 28x28 images of one straight, near-vertical stroke: a 1 by its shape alone.

    A piece of a ruled line or a box edge looks exactly like a 1 once normalised; whether it
    is one is for the geometry (its size and place in the line) to say, so such candidates are
    not taught to the classifier as "not a digit".
    """
    images = np.asarray(images, np.float32).reshape(-1, 28, 28)
    ys, xs = np.mgrid[0:28, 0:28].astype(np.float32)
    mass = images.sum(axis=(1, 2)).clip(min=1e-6)
    my = (images * ys).sum(axis=(1, 2)) / mass
    mx = (images * xs).sum(axis=(1, 2)) / mass
    dy, dx = ys[None] - my[:, None, None], xs[None] - mx[:, None, None]
    vyy = (images * dy * dy).sum(axis=(1, 2)) / mass
    vxx = (images * dx * dx).sum(axis=(1, 2)) / mass
    vxy = (images * dx * dy).sum(axis=(1, 2)) / mass
    spread = np.sqrt(((vyy - vxx) / 2) ** 2 + vxy ** 2)
    major, minor = (vyy + vxx) / 2 + spread, (vyy + vxx) / 2 - spread
    upright = vyy >= 2 * vxx  # within about 35 degrees of vertical
    return upright & (minor <= 0.04 * major)


def _pool_chunk(args) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Worker: the candidates of ``count`` documents made from seed ``seed``."""
    from .documents import make_documents

    count, seed, busy = args
    rng = np.random.default_rng(seed)
    documents = [make_documents(1, rng, busy=float(rng.uniform(*busy)))[0] for _ in range(count)]
    labelled = [label_candidates(d) for d in documents]
    images, classes = candidate_crops(labelled)
    found = np.array([item.found.all() for item in labelled], bool)
    return images, classes, found


def candidate_pool(documents: int, seed: int = 0, *, busy: tuple[float, float] = (0.0, 0.9),
                   jobs: int = 1, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The labelled candidates of ``documents`` synthetic documents from MNIST training digits.

    The same arguments give the same pool, however many ``jobs`` share the work.

    Returns
    -------
    images : numpy.ndarray
        ``(n, 28, 28)`` uint8 candidates, normalised as the reader normalises them.
    classes : numpy.ndarray
        ``(n,)`` their digit, or :data:`REJECT`.
    """
    from tqdm.auto import tqdm

    chunk = 50
    seeds = np.random.SeedSequence(seed).spawn((documents + chunk - 1) // chunk)
    work = [(min(chunk, documents - k * chunk), s, busy) for k, s in enumerate(seeds)]
    bar = tqdm(total=documents, desc="synthetic documents", unit="doc", disable=not progress)
    results = []
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(jobs, initializer=_one_thread) as pool:
            for result, (count, _, _) in zip(pool.imap(_pool_chunk, work), work):
                results.append(result)
                bar.update(count)
    else:
        for item in work:
            results.append(_pool_chunk(item))
            bar.update(item[0])
    bar.close()
    return (np.concatenate([r[0] for r in results]), np.concatenate([r[1] for r in results]))


def _one_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _labelled_chunk(args) -> list[Labelled]:
    from .documents import make_documents

    count, seed, busy = args
    rng = np.random.default_rng(seed)
    return [label_candidates(make_documents(1, rng, busy=float(rng.uniform(*busy)))[0])
            for _ in range(count)]


def labelled_documents(documents: int, seed: int, *, busy=(0.0, 0.9), jobs: int = 1):
    """``documents`` synthetic documents, labelled (:func:`label_candidates`)."""
    chunk = 25
    seeds = np.random.SeedSequence(seed).spawn((documents + chunk - 1) // chunk)
    work = [(min(chunk, documents - k * chunk), s, busy) for k, s in enumerate(seeds)]
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(jobs, initializer=_one_thread) as pool:
            parts = pool.map(_labelled_chunk, work)
    else:
        parts = [_labelled_chunk(item) for item in work]
    return [item for part in parts for item in part]
