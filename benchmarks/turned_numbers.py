"""How well numbers photographed askew are read: clean synthetic numbers, turned.

Clean numbers of 2-8 MNIST *test* digits (:func:`mnistreader.synth.make_numbers`) are turned by
each of ``--degrees`` (either way at random, on a canvas that holds the whole turned image,
filled with the paper's colour) and read whole; the share read right is printed per angle.

    python benchmarks/turned_numbers.py [--count 200] [--degrees 0 3 6 10] [--model best]
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from mnistreader.reader import read_numbers
from mnistreader.rules import turning
from mnistreader.synth import make_numbers


def turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned by ``degrees`` on a canvas that holds all of it, in the paper's colour."""
    turn, size = turning(image.shape, degrees)
    paper = [int(v) for v in np.median(image.reshape(-1, image.shape[2]), axis=0)]
    return cv2.warpAffine(image, turn, size, flags=cv2.INTER_LINEAR, borderValue=paper)


def parser_for(doc: str, per: str) -> argparse.ArgumentParser:
    """The options of a benchmark of clean numbers changed several ways (``per`` way)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help=f"numbers per {per}")
    parser.add_argument("--model", default="best")
    parser.add_argument("--seed", type=int, default=7)
    return parser


def read_changed(changes: dict, count: int, seed: int, model: str, style: str = "clean") -> None:
    """Print the share of ``count`` numbers of ``style`` (seed ``seed``) read whole after each
    of ``changes`` (a label and a function ``(image, rng) -> image``; each starts from the same
    random generator)."""
    items = make_numbers(count, seed, style=style)
    print(f"model {model}, {count} {style} numbers of 2-8 MNIST test digits, seed {seed}")
    for label, change in changes.items():
        rng = np.random.default_rng(1)
        readings = read_numbers([change(image, rng) for image, _ in items], model)
        right = np.mean([getattr(r, "number", "") == t for r, (_, t) in zip(readings, items)])
        print(f"  {label}: {right:.1%} read whole", flush=True)


def main() -> None:
    parser = parser_for(__doc__, "angle")
    parser.add_argument("--degrees", type=float, nargs="+", default=[0, 3, 6, 10])
    args = parser.parse_args()
    read_changed({f"turned {d:4.1f} degrees": lambda image, rng, d=d: turned(
        image, rng.choice([-1, 1]) * d) for d in args.degrees}, args.count, args.seed, args.model)


if __name__ == "__main__":
    main()
