"""Whole-number accuracy on squared paper: clean numbers of MNIST *test* digits with the lines
of squared (graph) paper printed under them, grey, blue or dark, squares of a fifth to half of
the image's height (:func:`mnistreader.synth.on_squared_paper`), against the same numbers on
plain paper.

    python benchmarks/squared_paper.py [--count 200] [--model best]
"""

from __future__ import annotations

import argparse

import numpy as np

from mnistreader.reader import read_numbers
from mnistreader.synth import GRIDS, make_numbers, on_squared_paper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="numbers per kind of paper")
    parser.add_argument("--model", default="best")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    items = make_numbers(args.count, args.seed, style="clean")
    print(f"model {args.model}, {args.count} clean numbers of 2-8 MNIST test digits, "
          f"seed {args.seed}")
    kinds = {"plain paper": None, **GRIDS}
    for name, grid in kinds.items():
        rng = np.random.default_rng(1)
        images = [image if grid is None else on_squared_paper(image, *grid, rng)
                  for image, _ in items]
        readings = read_numbers(images, args.model)
        right = np.mean([getattr(r, "number", "") == t for r, (_, t) in zip(readings, items)])
        print(f"  {name:22s} {right:6.1%} read whole", flush=True)


if __name__ == "__main__":
    main()
