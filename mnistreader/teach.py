"""Teach a model a user's writers: fine-tune it on corrected readings, mixed with MNIST.

A CSV of ``path,number`` rows (the file ``mnistreader read --csv`` writes, with the numbers
corrected by hand where they were wrong) says what each image holds. :func:`corrections`
reads it, :func:`digit_examples` segments every image and keeps its digits when their count
matches the number, and :func:`teach` fine-tunes a copy of the model on them, each epoch
mixed with MNIST training digits (and, for a model with a "not a digit" output, wrong cuts
made from MNIST) so that it learns the new writers without forgetting MNIST.

>>> from mnistreader.teach import corrections, digit_examples, teach   # doctest: +SKIP
>>> examples = digit_examples(corrections("readings.csv"), "best")    # doctest: +SKIP
>>> mine = teach("best", examples, epochs=8)                          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .committee import Committee, networks_of
from .network import Network, as_input, one_hot
from .preprocess import ImageError

__all__ = ["TeachError", "Examples", "corrections", "digit_examples", "teach",
           "whole_number_accuracy"]


class TeachError(ValueError):
    """The corrections cannot be used to teach a model."""


@dataclass
class Examples:
    """Digits cut from corrected images, with their labels.

    Attributes
    ----------
    images : numpy.ndarray
        ``(n, 28, 28)`` float32 network inputs in [0, 1].
    labels : numpy.ndarray
        ``(n,)`` digit of each.
    used : list of str
        The images the digits came from.
    problems : list of str
        One line per image that could not be used, naming it and why.
    read_right : int
        How many of the images the model that cut them read exactly right (the accuracy
        before teaching, without reading them again).
    """

    images: np.ndarray
    labels: np.ndarray
    used: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    read_right: int = 0


def corrections(csv_path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read ``(path, number)`` rows from a CSV (a header row and extra columns are ignored).

    Raises
    ------
    TeachError
        If the file is missing, not a text CSV, has no rows, or a number holds anything but
        digits (numbers on two lines, ``"12 34"``, are joined).
    """
    csv_path = Path(csv_path)
    try:
        text = csv_path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise TeachError(f"{csv_path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise TeachError(f"{csv_path}: is not a UTF-8 text CSV file") from exc
    except OSError as exc:
        raise TeachError(f"{csv_path}: cannot be read ({exc.strerror or exc})") from exc
    rows = [(line, row) for line, row in enumerate(csv.reader(text.splitlines()), start=1)
            if any(cell.strip() for cell in row)]
    if rows and [cell.strip().lower() for cell in rows[0][1][:2]] == ["path", "number"]:
        rows = rows[1:]
    if not rows:
        raise TeachError(f"{csv_path}: has no 'path,number' rows to teach from")
    pairs = []
    for line, row in rows:
        if len(row) < 2:
            raise TeachError(f"{csv_path}: row {line} has no number column: {row!r}")
        path, number = _un_neutralise(row[0]), row[1].strip().replace(" ", "")
        if not (number.isascii() and number.isdigit()):
            raise TeachError(f"{csv_path}: row {line}: the number {row[1]!r} is not digits")
        pairs.append((path, number))
    return pairs


def _un_neutralise(cell: str) -> str:
    """A path as it was before :func:`mnistreader.export.neutralise` guarded it."""
    from .export import neutralise

    return cell[1:] if cell.startswith("'") and neutralise(cell[1:]) == cell else cell


def whole_number_accuracy(model, pairs: list[tuple[str, str]], *,
                          load: Callable[[str], np.ndarray] | None = None) -> float:
    """Share of ``(path, number)`` images that ``model`` reads exactly right (images loaded
    from the paths, or by ``load``)."""
    from .reader import read_numbers

    load = load or _load
    right = 0
    for start in range(0, len(pairs), 16):
        part = pairs[start:start + 16]
        readings = read_numbers([load(p) for p, _ in part], model, paths=[p for p, _ in part])
        right += sum(getattr(r, "number", None) == n for r, (_, n) in zip(readings, part))
    return right / max(1, len(pairs))


def _load(name: str) -> np.ndarray:
    """The image ``name`` (a file, or a page ``FILE#PAGE`` of a PDF or TIFF)."""
    from .pages import iter_pages, split_page_name
    from .preprocess import load_image

    base, page = split_page_name(name)
    if Path(name).exists() or page is None:
        return load_image(name)
    for found, image in iter_pages(base, skip=range(1, page)):  # render that page only
        if found == name:
            return image
    raise ImageError(f"{name}: no such page")


def digit_examples(pairs: list[tuple[str, str]], model="best", *, chunk: int = 16,
                   load: Callable[[str], np.ndarray] | None = None) -> Examples:
    """Segment each image and keep its digits when their count matches its number.

    Parameters
    ----------
    pairs : list of (str, str)
        ``(image path, number)``, as :func:`corrections` returns them.
    model : str, path-like or Network
        The model whose segmenter cuts the digits (``"best"`` by default).
    load : callable, optional
        Returns the image of a path (images in memory); by default the file is read.
    """
    from .reader import read_numbers

    load = load or _load
    images, labels, used, problems, right = [], [], [], [], 0
    for start in range(0, len(pairs), chunk):
        loaded = []
        for path, number in pairs[start:start + chunk]:
            try:
                loaded.append((path, number, load(path)))
            except ImageError as exc:
                problems.append(f"{exc}; not used")
        if not loaded:
            continue
        readings = read_numbers([image for *_, image in loaded], model,
                                paths=[path for path, *_ in loaded])
        for (path, number, _), reading in zip(loaded, readings):
            if isinstance(reading, Exception):
                problems.append(f"{reading}; not used")
            elif len(reading.digits) != len(number):
                problems.append(f"{path}: {len(reading.digits)} digits found where the number "
                                f"{number} has {len(number)}; not used")
            else:
                images.append(np.asarray(reading.images, np.float32).reshape(-1, 28, 28))
                labels.extend(int(d) for d in number)
                used.append(path)
                right += reading.number == number
    stacked = np.concatenate(images) if images else np.zeros((0, 28, 28), np.float32)
    return Examples(stacked, np.asarray(labels, np.int64), used, problems, right)


def _epoch_data(examples: Examples, mnist, net: Network, rng: np.random.Generator,
                repeat: int, mix: int):
    """One epoch's inputs and targets: the user's digits (distorted, ``repeat`` times), MNIST
    training digits (``mix``) and, for a network with a reject output, wrong cuts."""
    from .augment import distort, non_digits, renormalise

    mine = np.clip(np.repeat(examples.images, repeat, axis=0) * 255, 0, 255).astype(np.uint8)
    mnist_images, mnist_labels = mnist
    take = rng.choice(len(mnist_labels), mix, replace=False)
    parts = [mine, renormalise(mnist_images[take], 0.5, rng)]  # as the model was trained
    label_parts = [np.repeat(examples.labels, repeat), np.asarray(mnist_labels)[take]]
    if net.rejects:
        parts.append(non_digits(mnist_images, mix // 10, rng))
        label_parts.append(np.full(mix // 10, 10))
    labels = np.concatenate(label_parts)
    order = rng.permutation(len(labels))
    x = as_input(distort(np.concatenate(parts)[order], rng))
    return x, one_hot(labels[order], net.sizes[-1])


def teach(model, examples: Examples, *, epochs: int = 5, lr: float = 0.01,
          batch_size: int = 128, seed: int = 0, mnist=None, source: str | None = None,
          progress: bool = False,
          on_epoch: Callable[[Network, int], None] | None = None) -> Network | Committee:
    """Fine-tune a copy of ``model`` on ``examples`` mixed with MNIST; the input is untouched.

    Parameters
    ----------
    model : str, path-like, Network or Committee
        The model to start from (``"best"``, ``"paper"``, a model file, a network or a
        committee, whose every member is taught).
    examples : Examples
        The user's digits, from :func:`digit_examples`.
    epochs, lr, batch_size, seed
        Fine-tuning: SGD with momentum 0.9 and a cosine schedule, batches of ``batch_size``.
    mnist : tuple, optional
        ``(train_images, train_labels)``; MNIST's training set by default.
    source : str, optional
        What the examples came from (a CSV file name), recorded in the model's metadata.
    on_epoch : callable, optional
        Called as ``on_epoch(net, epoch)`` after every epoch of every network taught (progress
        bars, widgets).

    Returns
    -------
    Network or Committee
        The taught copy; ``meta["taught"]`` records what it was taught from.
    """
    from .data import load_mnist
    from .reader import get_model

    if len(examples.labels) == 0:
        raise TeachError("no digits to teach from: no image's digits matched its number")
    base = get_model(model)
    mnist = mnist if mnist is not None else load_mnist("train")
    taught = []
    for k, member in enumerate(networks_of(base)):  # a committee: every member is taught alike
        net = member.copy()
        net.meta = dict(member.meta)
        _fine_tune(net, examples, mnist, np.random.default_rng(seed + k), epochs=epochs, lr=lr,
                   batch_size=batch_size, progress=progress, on_epoch=on_epoch)
        taught.append(net)
    result = Committee(taught, dict(base.meta)) if isinstance(base, Committee) else taught[0]
    result.meta["taught"] = {"source": source, "images": len(examples.used),
                             "digits": int(len(examples.labels)), "epochs": epochs, "lr": lr,
                             "seed": seed, "base": base.meta.get("preset")}
    result.meta.pop("history", None)
    return result


def _fine_tune(net: Network, examples: Examples, mnist, rng: np.random.Generator, *,
               epochs: int, lr: float, batch_size: int, progress: bool, on_epoch) -> None:
    """Fine-tune ``net`` in place on ``examples`` mixed with MNIST (see :func:`teach`)."""
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    from .train import SGD

    mix = min(len(mnist[1]), max(10_000, 4 * len(examples.labels)))
    repeat = max(1, math.ceil(mix / 4 / len(examples.labels)))  # a fifth of each epoch is theirs
    optimizer = SGD(net.weights + net.biases, momentum=0.9)
    steps = epochs * math.ceil((repeat * len(examples.labels) + mix * 1.1) / batch_size)
    step = 0
    with threadpool_limits(None):
        for epoch in tqdm(range(1, epochs + 1), desc="teach", unit="epoch", disable=not progress):
            x, y = _epoch_data(examples, mnist, net, rng, repeat, mix)
            for lo in range(0, len(y), batch_size):
                _, grad_w, grad_b = net.loss_and_gradients(x[lo:lo + batch_size],
                                                           y[lo:lo + batch_size], "mean", 1.0,
                                                           reuse=True)
                rate = lr * 0.5 * (1 + math.cos(math.pi * min(step / steps, 1.0)))
                optimizer.step(grad_w + grad_b, rate)
                step += 1
            if on_epoch is not None:
                on_epoch(net, epoch)
