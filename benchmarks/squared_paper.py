"""Whole-number accuracy on squared paper: clean numbers of MNIST *test* digits with the lines
of squared (graph) paper printed under them, grey, blue or dark, squares of a fifth to half of
the image's height (:func:`mnistreader.synth.on_squared_paper`), against the same numbers on
plain paper.

    python benchmarks/squared_paper.py [--count 200] [--model best]
"""

from __future__ import annotations

from mnistreader.synth import GRIDS, on_squared_paper
from turned_numbers import parser_for, read_changed  # benchmarks/, beside this script


def main() -> None:
    args = parser_for(__doc__, "kind of paper").parse_args()
    changes = {"plain paper": lambda image, rng: image}
    changes.update({name: lambda image, rng, grid=grid: on_squared_paper(image, *grid, rng)
                    for name, grid in GRIDS.items()})
    read_changed(changes, args.count, args.seed, args.model)


if __name__ == "__main__":
    main()
