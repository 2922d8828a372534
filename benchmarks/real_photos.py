"""Whole-number accuracy on a folder of labelled photos of real handwritten numbers.

The folder holds ``labels.csv`` with columns ``file,label`` (labels are digit strings; leading
zeros count) and the images it names. Prints the whole-number accuracy, the share of images
segmented into the right number of digits, the digit accuracy on those, and every failure.

    python benchmarks/real_photos.py ../shared/realdigits/phone-photos [--model best]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from mnistreader.preprocess import ImageError
from mnistreader.reader import read_number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default="best")
    parser.add_argument("--quiet", action="store_true", help="do not list the failures")
    args = parser.parse_args()
    with open(args.folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    right = count_right = digits_right = digits_total = 0
    failures = []
    start = time.perf_counter()
    for row in rows:
        label = row["label"].strip()
        try:
            number = read_number(args.folder / row["file"], args.model).number
        except ImageError as exc:
            number = f"<{exc}>"
        right += number == label
        if len(number) == len(label):
            count_right += 1
            digits_right += sum(a == b for a, b in zip(number, label))
            digits_total += len(label)
        if number != label:
            failures.append((row["file"], label, number))
    seconds = time.perf_counter() - start
    n = len(rows)
    if not args.quiet:
        for file, label, number in failures:
            print(f"  {file:28s} true {label:12s} read {number}")
    print(f"model {args.model}: {n} photos, whole-number accuracy {right / n:.3f} ({right}/{n}); "
          f"right digit count {count_right / n:.3f}; digit accuracy where the count is right "
          f"{digits_right / max(1, digits_total):.3f}; {n / seconds:.1f} photos/s")


if __name__ == "__main__":
    main()
