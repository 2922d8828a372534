"""Accuracy of reading digits in printed boxes: MNIST *test* digits as answer-box crops and
as numbers written in a form's row of boxes.

Each digit is drawn on grey paper (:func:`mnistreader.synth.boxed_digit`), with pen or
pencil-faint strokes, with or without the printed edges of its box in the crop, as a 28x28 crop
(read directly as one digit) and scaled to 64x64 (as scanned finer: read by the segmenter),
and read as a one-digit number, as a user would give the crop. Then numbers of 2-8 digits are
written one digit per box in a printed row of boxes, with shared sides or apart
(:func:`mnistreader.synth.boxed_number`), level and photographed turned by up to 4 degrees,
with every digit inside its box and with 30% of them written across its box's top or bottom
edge, and read whole; and clean numbers in a form's field, a printed box around the whole number
(:func:`mnistreader.synth.make_framed_numbers`).

    python benchmarks/boxed_digits.py [--count 1000] [--model best]
"""

from __future__ import annotations

import argparse

from mnistreader.reader import read_numbers
from mnistreader.synth import make_boxed_digits, make_boxed_numbers, make_framed_numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="digits (numbers) per kind")
    parser.add_argument("--model", default="best")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"model {args.model}, {args.count} MNIST test digits per kind, seed {args.seed}")
    for size in (28, 64):
        for faint in (False, True):
            for box in (False, True):
                items = make_boxed_digits(args.count, args.seed, faint=faint, box=box, size=size)
                readings = read_numbers([image for image, _ in items], args.model)
                kind = f"{size}x{size}, {'pencil-faint' if faint else 'pen'}, " \
                       f"{'boxed' if box else 'no box'}"
                report(kind, readings, items)
    for overshoot in (0.0, 0.3):
        for tilt in (0, 4):
            items = make_boxed_numbers(args.count, args.seed, tilt=tilt, overshoot=overshoot)
            kind = "row of boxes, 2-8 digits" + (f", turned <={tilt} deg" if tilt else "") + \
                (f", {overshoot:.0%} across an edge" if overshoot else "")
            report(kind, read_numbers([image for image, _ in items], args.model), items)
    items = make_framed_numbers(args.count, args.seed)
    report("number in a field's box, 2-8 digits", read_numbers([image for image, _ in items],
                                                             args.model), items)


def report(kind: str, readings, items) -> None:
    right = sum(getattr(r, "number", None) == t for r, (_, t) in zip(readings, items))
    print(f"{kind:42s} {right / len(items):6.1%}  ({right} of {len(items)})", flush=True)


if __name__ == "__main__":
    main()
