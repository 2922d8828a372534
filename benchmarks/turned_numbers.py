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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="numbers per angle")
    parser.add_argument("--degrees", type=float, nargs="+", default=[0, 3, 6, 10])
    parser.add_argument("--model", default="best")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    items = make_numbers(args.count, args.seed, style="clean")
    print(f"model {args.model}, {args.count} clean numbers of 2-8 MNIST test digits, "
          f"seed {args.seed}")
    for degrees in args.degrees:
        rng = np.random.default_rng(1)
        images = [turned(image, rng.choice([-1, 1]) * degrees) for image, _ in items]
        readings = read_numbers(images, args.model)
        right = np.mean([getattr(r, "number", "") == t for r, (_, t) in zip(readings, items)])
        print(f"  turned {degrees:4.1f} degrees: {right:.1%} read whole", flush=True)


if __name__ == "__main__":
    main()
