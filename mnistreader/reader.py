"""Read handwritten numbers from images: preprocess, segment, classify, assemble.

>>> from mnistreader import read_number
>>> reading = read_number("examples/0215.png")      # doctest: +SKIP
>>> reading.number, reading.flagged                 # doctest: +SKIP
('0215', [False, False, False, False])

A 28x28 image is taken to be a single MNIST-style digit and classified directly, without
segmentation (the paper's flowchart). Digits whose softmax confidence is below
``review_below`` are flagged so that a person can check them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from .network import Network
from .persist import load_model
from .preprocess import (_EXTENSIONS, ImageError, Preprocessed, _ink_is_dark, load_image,
                         preprocess, to_grayscale)
from .segment import Segmentation, segment_many

__all__ = ["Reading", "NoDigitsError", "read_number", "read_numbers", "read_many",
           "image_files", "get_model", "REVIEW_BELOW"]

#: Digits read with a lower softmax confidence are flagged for review.
REVIEW_BELOW = 0.8


class NoDigitsError(ImageError):
    """The image holds no digits."""


@dataclass
class Reading:
    """What was read from one image.

    Attributes
    ----------
    number : str
        The digits read, line after line; numbers on separate lines are joined by a space.
    lines : list of str
        One number per line of handwriting, top to bottom.
    digits : list of int
        Every digit, in reading order.
    confidences : list of float
        The softmax probability of each digit.
    probabilities : numpy.ndarray
        ``(n, 10)`` softmax probability of each digit class, per digit (with a model that has
        a "not a digit" output, a row sums to the probability that it is a digit at all).
    boxes : list of tuple
        ``(x, y, w, h)`` of each digit in the original image's pixels.
    flagged : list of bool
        Digits whose confidence is below the review threshold.
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
    path: str | None = None
    images: np.ndarray | None = field(default=None, repr=False)  # (n, 28, 28) network inputs
    steps: Preprocessed | None = field(default=None, repr=False)

    @property
    def confidence(self) -> float:
        """The lowest digit confidence (the number is as sure as its least sure digit)."""
        return min(self.confidences) if self.confidences else 0.0

    @property
    def needs_review(self) -> bool:
        """True when any digit is flagged."""
        return any(self.flagged)


_MODELS: dict[str, Network] = {}


def get_model(model: str | os.PathLike | Network = "best") -> Network:
    """Return ``model`` itself if it is a Network, else load it once and keep it."""
    if isinstance(model, Network):
        return model
    key = str(model)
    if key not in _MODELS:
        _MODELS[key] = load_model(model)
    return _MODELS[key]


def _mnist_like(image: np.ndarray) -> np.ndarray | None:
    """If ``image`` is a single 28x28 digit, return it as MNIST input (ink bright), else None."""
    if image.shape[:2] != (28, 28):
        return None
    gray = to_grayscale(image)
    if _ink_is_dark(gray):
        gray = 255 - gray
    return gray.astype(np.float32) / 255.0


def _assemble(seg: Segmentation | None, images: np.ndarray, probs: np.ndarray, scale: float,
              review_below: float, path, steps, full_box=None) -> Reading:
    digits = [int(d) for d in probs.argmax(axis=1)]
    confidences = [float(c) for c in probs.max(axis=1)]
    if seg is None:
        lines, boxes = ["".join(map(str, digits))], [full_box]
    else:
        lines, i = [], 0
        for line in seg.lines:
            lines.append("".join(map(str, digits[i:i + len(line)])))
            i += len(line)
        inv = 1.0 / scale
        boxes = [tuple(int(round(v * inv)) for v in box) for box in seg.boxes]
    return Reading(number=" ".join(lines), lines=lines, digits=digits, confidences=confidences,
                   probabilities=probs, boxes=boxes,
                   flagged=[c < review_below for c in confidences],
                   path=None if path is None else str(path), images=images, steps=steps)


def _prepare(image, name: str):
    """Check one image; return ``("direct", 28x28 input)`` or ``("segment", steps)``."""
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ImageError(f"{name}: not an image array (shape {image.shape})")
    direct = _mnist_like(image)
    if direct is not None:  # the paper's flowchart: an MNIST-style digit needs no segmenter
        return "direct", direct
    return "segment", preprocess(image)


def read_numbers(images: Sequence[np.ndarray], model: str | os.PathLike | Network = "best", *,
                 review_below: float = REVIEW_BELOW, paths: Sequence | None = None,
                 keep_steps: bool = False) -> list[Reading | ImageError]:
    """Read many in-memory images, classifying their digits in as few batches as possible.

    Returns
    -------
    list
        A :class:`Reading` per image, or the :class:`ImageError` explaining why it failed.
    """
    net = get_model(model)
    paths = list(paths) if paths is not None else [None] * len(images)
    names = [str(p) if p is not None else "image" for p in paths]
    prepared: list = []
    for image, name in zip(images, names):
        try:
            prepared.append(_prepare(image, name))
        except ImageError as exc:
            prepared.append(exc)
    to_segment = [i for i, item in enumerate(prepared)
                  if not isinstance(item, ImageError) and item[0] == "segment"]
    classify = lambda x: net.digit_proba(x.reshape(len(x), -1))  # noqa: E731
    with threadpool_limits(1):  # a few crops at a time: one BLAS thread is faster
        segmentations = segment_many([prepared[i][1].mask for i in to_segment], classify)
    found = dict(zip(to_segment, segmentations))
    # every digit's 28x28 input, and its probabilities where segmenting already computed them
    inputs, known = [], []
    for i, item in enumerate(prepared):
        if isinstance(item, ImageError):
            continue
        if item[0] == "direct":
            inputs.append(item[1])
            known.append(None)
        elif not found[i].digits:
            prepared[i] = NoDigitsError(f"{names[i]}: no digits found")
        else:
            inputs.extend(d.image for d in found[i].digits)
            known.extend(d.probs for d in found[i].digits)
    unknown = [k for k, p in enumerate(known) if p is None]
    probs = np.zeros((len(inputs), 10), np.float32)
    if unknown:
        probs[unknown] = classify(np.stack([inputs[k] for k in unknown]))
    for k, p in enumerate(known):
        if p is not None:
            probs[k] = p
    results, start = [], 0
    for i, item in enumerate(prepared):
        if isinstance(item, ImageError):
            results.append(item)
            continue
        seg = found.get(i)
        count = 1 if seg is None else len(seg.digits)
        steps = item[1] if item[0] == "segment" else None
        results.append(_assemble(seg, np.stack(inputs[start:start + count]),
                                 probs[start:start + count], steps.scale if steps else 1.0,
                                 review_below, paths[i], steps if keep_steps else None,
                                 (0, 0, 28, 28)))
        start += count
    return results


def read_number(image_or_path, model: str | os.PathLike | Network = "best", *,
                review_below: float = REVIEW_BELOW) -> Reading:
    """Read the handwritten number in one image.

    Parameters
    ----------
    image_or_path : numpy.ndarray or path-like
        An image array (gray, BGR or BGRA; any dtype) or an image file.
    model : {"best", "paper"}, path-like or Network
        The classifier.
    review_below : float
        Digits with a lower confidence are flagged in ``Reading.flagged``.

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
                          keep_steps=True)[0]
    if isinstance(result, ImageError):
        raise result
    return result


def image_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand folders into the image files inside them (sorted); files are kept as given."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in _EXTENSIONS))
        else:
            files.append(path)
    return files


def _read_files(args) -> list[tuple[str, Reading | str]]:
    """Worker: read a chunk of files in one batch; ``(path, reading or error message)`` each."""
    paths, model = args
    loaded, results = {}, {}
    for path in paths:
        try:
            loaded[path] = load_image(path)
        except ImageError as exc:
            results[path] = str(exc)
    try:
        readings = read_numbers(list(loaded.values()), model, paths=list(loaded))
    except Exception:  # never let one bad file stop a batch: retry them one by one
        readings = []
        for path, image in loaded.items():
            try:
                readings.extend(read_numbers([image], model, paths=[path]))
            except Exception as one:  # noqa: BLE001 - reported, not raised
                readings.append(ImageError(f"{path}: cannot be read ({type(one).__name__}: {one})"))
    for path, reading in zip(loaded, readings):
        results[path] = str(reading) if isinstance(reading, ImageError) else _strip(reading)
    return [(str(path), results[path]) for path in paths]


def _strip(reading: Reading) -> Reading:
    reading.images = reading.steps = None
    return reading


def _one_thread() -> None:
    """Worker set-up: one process per core, so no BLAS threads on top."""
    threadpool_limits(1)


def _results(files: list[Path], model, jobs: int, progress: bool, chunk: int = 16):
    """Yield ``(path, reading or error message)`` for every file, in order."""
    from tqdm.auto import tqdm

    work = [(files[i:i + chunk], model) for i in range(0, len(files), chunk)]
    bar = tqdm(total=len(files), unit="image", file=sys.stderr, disable=not progress,
               desc="reading")
    if jobs > 1 and len(work) > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(jobs, initializer=_one_thread) as pool:
            for results in pool.imap(_read_files, work):
                bar.update(len(results))
                yield from results
    else:
        for item in work:
            results = _read_files(item)
            bar.update(len(results))
            yield from results
    bar.close()


def read_many(paths: Iterable[str | os.PathLike], model: str | os.PathLike = "best",
              csv_path: str | os.PathLike | None = None, jobs: int = 1,
              out=None, err=None, chunk: int = 100) -> int:
    """Read every image among ``paths``; print ``path,number`` lines; append them to a CSV.

    Unreadable files are reported on ``err`` (one line each) and skipped; the others are still
    read and saved. The CSV is appended in chunks, so an interruption keeps the rows before it.

    Returns
    -------
    int
        Exit status: 0 if every file was read, 1 if any failed.
    """
    from .export import append_rows, format_rows

    out = out or sys.stdout
    err = err or sys.stderr
    get_model(model)  # a bad model fails once, before any file is read
    files = image_files(paths)
    if not files:
        print("mnistreader: error: no image files found", file=err)
        return 1
    failed, pending = 0, []
    progress = len(files) >= 50 and err is sys.stderr
    for path, result in _results(files, model, jobs, progress):
        if isinstance(result, str):
            failed += 1
            print(f"mnistreader: {result}", file=err)
            continue
        row = (path, result.number, f"{result.confidence:.3f}",
               "review" if result.needs_review else "")
        out.write(format_rows([row[:2]]))
        pending.append(row)
        if csv_path is not None and len(pending) >= chunk:
            append_rows(csv_path, pending)
            pending = []
    if csv_path is not None and pending:
        append_rows(csv_path, pending)
    out.flush()
    return 1 if failed else 0
