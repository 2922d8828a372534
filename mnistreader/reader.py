"""Read handwritten numbers from images: preprocess, segment, classify, decide.

>>> from mnistreader import read_number
>>> reading = read_number("examples/0215.png")      # doctest: +SKIP
>>> reading.number, reading.confidence              # doctest: +SKIP
('0215', 0.998)

A small image (both sides at most :data:`DIGIT_CROP` pixels: an MNIST, USPS or exam-box
crop) is taken to be a single digit and classified directly, without segmentation (the
paper's flowchart), after MNIST's normalisation: as written and deskewed, the two views'
probabilities averaged (digits written by other people lean differently from MNIST's).
Every reading has one calibrated probability of being right, ``confidence``; readings below
the model's review threshold are marked ``needs_review``. An expected format (digit count,
value range) makes the reader choose the best reading that fits, or flag the image when none
does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from . import decode
from .committee import Committee
from .decode import NumberFormat, number_confidence
from .network import Network
from .normalize import crop_views, deskew, without_box
from .persist import load_model
from .preprocess import ImageError, Preprocessed, load_image, preprocess, to_grayscale
from .scores import Decoder
from .segment import Segmentation, segment_many

__all__ = ["Reading", "NoDigitsError", "read_number", "read_numbers", "get_model", "decoder_of",
           "DIGIT_REVIEW_BELOW", "DIGIT_CROP"]

#: Digits read with a lower probability are marked in ``Reading.flagged``.
DIGIT_REVIEW_BELOW = 0.8
#: Images with both sides at most this long hold one digit (MNIST 28, USPS 16).
DIGIT_CROP = 32
#: Another view of a digit crop (its box painted out, ink and paper the other way round) is
#: read instead of the plain one when the classifier finds it this much likelier a digit.
VIEW_MARGIN = 0.2
#: An image is read without the box around it (:func:`~mnistreader.normalize.box_edges`)
#: when that reading is this much surer than the image's as it is.
BOX_MARGIN = 0.2


class NoDigitsError(ImageError):
    """The image holds no digits."""


@dataclass
class Reading:
    """What was read from one image.

    Attributes
    ----------
    number : str
        The digits read; numbers on separate lines are joined by a space.
    lines : list of str
        One number per line of writing that holds one, top to bottom.
    digits : list of int
        Every digit, in reading order.
    confidences : list of float
        The probability of each digit (given that it is a digit).
    probabilities : numpy.ndarray
        ``(n, 10)`` probability of each digit class, per digit (with a model that has a "not a
        digit" output, a row sums to the probability that it is a digit at all).
    boxes : list of tuple
        ``(x, y, w, h)`` of each digit in the original image's pixels.
    flagged : list of bool
        Digits whose probability is below :data:`DIGIT_REVIEW_BELOW`.
    confidence : float
        The calibrated probability that the whole number is right.
    needs_review : bool
        True when ``confidence`` is below the review threshold; when no reading fitted the
        expected format, the best reading regardless of it is given, with confidence 0.
    path : str or None
        The image file, when read from one.
    """

    number: str
    lines: list[str]
    digits: list[int]
    confidences: list[float]
    probabilities: np.ndarray = field(repr=False)
    boxes: list[tuple[int, int, int, int]]
    flagged: list[bool]
    confidence: float = 0.0
    needs_review: bool = True
    path: str | None = None
    images: np.ndarray | None = field(default=None, repr=False)  # (n, 28, 28) network inputs
    steps: Preprocessed | None = field(default=None, repr=False)
    segmentation: Segmentation | None = field(default=None, repr=False)


_MODELS: dict[str, Network | Committee] = {}


def get_model(model: str | os.PathLike | Network | Committee = "best") -> Network | Committee:
    """Return ``model`` itself if it is a Network or a Committee, else load it once and keep
    it."""
    if isinstance(model, (Network, Committee)):
        return model
    key = str(model)
    if key not in _MODELS:
        _MODELS[key] = load_model(model)
    return _MODELS[key]


def decoder_of(net: Network | Committee) -> Decoder:
    """The decoder calibrated for ``net`` (stored in its model file), or the default one."""
    return Decoder.from_meta(net.meta.get("decoder"))


def _digit_crop(image: np.ndarray) -> np.ndarray | None:
    """If ``image`` is a small crop of one digit, return its views as MNIST input
    (:func:`~mnistreader.normalize.crop_views`), else None."""
    if max(image.shape[:2]) > DIGIT_CROP:
        return None
    return crop_views(to_grayscale(image))


def _unboxed(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The grayscale image with the edges of a box around it painted out in the paper's
    colour, and the edges (:func:`~mnistreader.normalize.without_box`); None if it has none."""
    found = without_box(255 - gray)
    return None if found is None else (255 - found[0], found[1])


def _on_edges(reading: Reading | NoDigitsError, edges: np.ndarray) -> bool:
    """Whether a reading found no digits or read ink of the box's edges into a digit."""
    if isinstance(reading, NoDigitsError):
        return True
    return any(edges[y:y + h, x:x + w].any() for x, y, w, h in reading.boxes)


def _prepare(image, name: str):
    """Check one image; return ``("direct", (k, 28, 28) views)`` or ``("segment", (steps,
    (image without the box around it, the box's edges) or None))``."""
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ImageError(f"{name}: not an image array (shape {image.shape})")
    direct = _digit_crop(image)
    if direct is not None:  # the paper's flowchart: a digit crop needs no segmenter
        return "direct", direct
    gray = to_grayscale(image)
    return "segment", (preprocess(image, gray=gray), _unboxed(gray))


def _direct_probs(classify, crops: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(view, digit probabilities)`` of one-digit crops, each given as its views: the mean
    over the view as written and deskewed, of the plain view unless another is
    :data:`VIEW_MARGIN` likelier a digit."""
    views = np.concatenate(crops)
    upright = np.stack([deskew(view) for view in views])
    probs = (classify(views) + classify(upright)) / 2
    out, start = [], 0
    for crop in crops:
        mine = probs[start:start + len(crop)]
        start += len(crop)
        mass = mine.sum(axis=1)
        k = int(np.argmax(mass)) if mass.max() > mass[0] + VIEW_MARGIN else 0
        out.append((crop[k], mine[k]))
    return out


def _read_direct(image: np.ndarray, size: tuple[int, int], probs: np.ndarray, decoder: Decoder,
                 number_format: NumberFormat | None, review_below: float) -> Reading:
    """The reading of a one-digit crop (``size`` pixels, normalised to ``image``) from its
    digit probabilities."""
    which = probs / max(float(probs.sum()), 1e-6)
    order = [int(d) for d in np.argsort(-which)]
    fitting = [d for d in order if number_format is None or number_format.fits(str(d))]
    if not image.any():
        raise NoDigitsError("no digits found")
    # no digit fits the format: the likeliest one, to be reviewed (confidence 0)
    d = fitting[0] if fitting else order[0]
    # scored as the decoder scores a digit that is one whole component of its line
    scores = np.log(which + 1e-6) + np.log(float(probs.sum()) + 1e-6) + decoder.bonus
    best = decode.Path(float(scores[d]), ((0, 1),), (d,), steps=(float(scores[d]),))
    others = [decode.Path(float(scores[o]), ((0, 1),), (o,), steps=(float(scores[o]),))
              for o in order if o != d][:1]
    confidence = number_confidence(best, others, decoder) if fitting else 0.0
    return Reading(number=str(d), lines=[str(d)], digits=[d], confidences=[float(which[d])],
                   probabilities=probs[None], boxes=[(0, 0, size[1], size[0])],
                   flagged=[float(which[d]) < DIGIT_REVIEW_BELOW], confidence=confidence,
                   needs_review=confidence < review_below, images=image[None])


def _read_segmented(seg: Segmentation, steps: Preprocessed, review_below: float,
                    keep_steps: bool) -> Reading:
    """The reading of a segmented image: its rows of digits, joined by a space."""
    rows = seg.rows
    chosen = [r for row in rows for r in row]
    digits = seg.digits
    if not digits:
        raise NoDigitsError("no digits found")
    probs = np.stack([d.probs for d in digits])
    which = probs / probs.sum(axis=1, keepdims=True).clip(min=1e-6)
    labels = [d for r in chosen for d in r.best.digits]
    confidences = [float(which[k, d]) for k, d in enumerate(labels)]
    confidence = float(np.prod([r.confidence for r in chosen])) if seg.fits else 0.0
    inv, (ox, oy) = 1.0 / steps.scale, steps.offset
    boxes = [(int(round(x * inv)) + ox, int(round(y * inv)) + oy, int(round(w * inv)),
              int(round(h * inv))) for x, y, w, h in (d.box for d in digits)]
    lines = ["".join(r.best.text for r in row) for row in rows]
    return Reading(number=" ".join(lines), lines=lines, digits=labels, confidences=confidences,
                   probabilities=probs, boxes=boxes,
                   flagged=[c < DIGIT_REVIEW_BELOW for c in confidences], confidence=confidence,
                   needs_review=confidence < review_below,
                   images=np.stack([d.image for d in digits]),
                   steps=steps if keep_steps else None, segmentation=seg if keep_steps else None)


def _read_or_error(seg: Segmentation, steps: Preprocessed, review_below: float,
                   keep_steps: bool) -> Reading | NoDigitsError:
    try:
        return _read_segmented(seg, steps, review_below, keep_steps)
    except NoDigitsError as exc:
        return exc


def _surer_unboxed(first: Reading | NoDigitsError, unboxed: Reading | NoDigitsError):
    """The reading of the image as it is, unless the one without its box is
    :data:`BOX_MARGIN` surer (or the only one with digits)."""
    if isinstance(unboxed, Reading) and (isinstance(first, NoDigitsError)
                                         or unboxed.confidence > first.confidence + BOX_MARGIN):
        return unboxed
    return first


def _read_all_segmented(prepared: list, classify, decoder: Decoder,
                        number_format: NumberFormat | None, review_below: float,
                        keep_steps: bool) -> list[Reading | NoDigitsError]:
    """Readings of images to segment, given as ``(steps, (image without its box, the box's
    edges) or None)``: each read as it is, and read again without its box where a digit read
    holds ink of the box's edges (or none was found) and the first reading can be outdone."""
    def read(steps: list[Preprocessed]) -> list[Reading | NoDigitsError]:
        found = segment_many([s.mask for s in steps], classify, decoder=decoder,
                             number_format=number_format)
        return [_read_or_error(seg, s, review_below, keep_steps) for seg, s in zip(found, steps)]

    readings = read([steps for steps, _ in prepared])
    again = [k for k, (_, unboxed) in enumerate(prepared) if unboxed is not None
             and _on_edges(readings[k], unboxed[1])
             and (isinstance(readings[k], NoDigitsError)
                  or readings[k].confidence + BOX_MARGIN < 1.0)]
    if again:
        for k, way in zip(again, read([preprocess(prepared[k][1][0]) for k in again])):
            readings[k] = _surer_unboxed(readings[k], way)
    return readings


def read_numbers(images: Sequence[np.ndarray],
                 model: str | os.PathLike | Network | Committee = "best", *,
                 review_below: float | None = None, paths: Sequence | None = None,
                 keep_steps: bool = False,
                 number_format: NumberFormat | None = None) -> list[Reading | ImageError]:
    """Read many in-memory images, classifying all their candidate digits in one batch.

    Parameters
    ----------
    images : sequence of numpy.ndarray
        Gray, BGR or BGRA images of any dtype.
    model : {"best", "paper"}, path-like or Network
        The classifier.
    review_below : float, optional
        Readings less sure than this are marked ``needs_review`` (default: the threshold
        stored with the model).
    paths : sequence, optional
        The file of each image, for messages and ``Reading.path``.
    keep_steps : bool
        Keep the preprocessing steps and the segmentation in each reading (for figures).
    number_format : NumberFormat, optional
        The expected digit count and value range.

    Returns
    -------
    list
        A :class:`Reading` per image, or the :class:`ImageError` explaining why it failed.
    """
    net = get_model(model)
    decoder = decoder_of(net)
    review_below = decoder.review_below if review_below is None else review_below
    paths = list(paths) if paths is not None else [None] * len(images)
    names = [str(p) if p is not None else "image" for p in paths]
    prepared: list = []
    for image, name in zip(images, names):
        try:
            prepared.append(_prepare(image, name))
        except ImageError as exc:
            prepared.append(exc)
    ok = [i for i, item in enumerate(prepared) if not isinstance(item, ImageError)]
    to_segment = [i for i in ok if prepared[i][0] == "segment"]
    direct = [i for i in ok if prepared[i][0] == "direct"]
    classify = lambda x: net.digit_proba(x.reshape(len(x), -1))  # noqa: E731
    with threadpool_limits(1):  # a few crops at a time: one BLAS thread is faster
        segmented = _read_all_segmented([prepared[i][1] for i in to_segment], classify, decoder,
                                        number_format, review_below, keep_steps)
        direct_probs = _direct_probs(classify, [prepared[i][1] for i in direct]) if direct else []
    results: list = list(prepared)
    for i, reading in zip(to_segment, segmented):
        results[i] = NoDigitsError(f"{names[i]}: {reading}") \
            if isinstance(reading, NoDigitsError) else reading
    for i, (view, probs) in zip(direct, direct_probs):
        try:
            results[i] = _read_direct(view, np.shape(images[i])[:2], probs, decoder,
                                      number_format, review_below)
        except NoDigitsError as exc:
            results[i] = NoDigitsError(f"{names[i]}: {exc}")
    for i in ok:
        if isinstance(results[i], Reading):
            results[i].path = None if paths[i] is None else str(paths[i])
    return results


def read_number(image_or_path, model: str | os.PathLike | Network | Committee = "best", *,
                review_below: float | None = None,
                number_format: NumberFormat | None = None) -> Reading:
    """Read the handwritten number in one image.

    Parameters
    ----------
    image_or_path : numpy.ndarray or path-like
        An image array (gray, BGR or BGRA; any dtype) or an image file.
    model : {"best", "paper"}, path-like or Network
        The classifier.
    review_below : float, optional
        Readings less sure than this are marked ``needs_review`` (default: the model's).
    number_format : NumberFormat, optional
        The expected digit count and value range, e.g. ``NumberFormat.parse("2-3", "0-100")``.

    Raises
    ------
    ImageError
        If the file cannot be read; :class:`NoDigitsError` if it holds no digits.
    """
    path = None
    if isinstance(image_or_path, (str, os.PathLike)):
        path = image_or_path
        image = load_image(path)
    else:
        image = image_or_path
    result = read_numbers([image], model, review_below=review_below, paths=[path],
                          keep_steps=True, number_format=number_format)[0]
    if isinstance(result, ImageError):
        raise result
    return result
