"""Teach the shipped model 300 corrected images of one real source; measure on the others.

    python benchmarks/teach_writers.py ../shared/realdigits [--sources ardis usps register]
        [--teach 300] [--epochs 5] [--json OUT.json]

For each source, 300 images chosen at random (seed 0) are written as image files with a
``path,number`` CSV (what a user's corrected ``read --csv`` file holds) and taught with
``mnistreader.teach``; the whole-number accuracy is measured before and after on the *other*
images of that source (never the taught ones), and MNIST test accuracy after. The dev sets
are for measuring: the taught models are thrown away, never shipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np

from mnistreader.reader import get_model
from mnistreader.teach import corrections, digit_examples, teach
from mnistreader.train import evaluate
from real_handwriting import load_set, read_set  # the dev sets, read as that benchmark reads them


SOURCES = {"ardis": "ardis4-train", "usps": "usps-train", "register": "register-cells",
           "phone": "phone-photos"}


def _accuracy(model, images, labels) -> float:
    numbers, _, _ = read_set(images, model)
    return float(np.mean([n == y for n, y in zip(numbers, labels)]))


def measure(root: Path, name: str, count: int, epochs: int, folder: Path) -> dict:
    _, items, labels = load_set(root, SOURCES[name])
    rng = np.random.default_rng(0)
    order = rng.permutation(len(items))
    taught, held = order[:count], order[count:]
    rows = []
    for k in taught:  # the images as a user would give them: files, with a corrected CSV
        path = folder / f"{name}-{k}.png"
        cv2.imwrite(str(path), items[k])
        rows.append((str(path), labels[k]))
    csv_path = folder / f"{name}.csv"
    with open(csv_path, "w", newline="") as fh:
        csv.writer(fh).writerows([("path", "number")] + rows)
    base = get_model("best")
    examples = digit_examples(corrections(csv_path), base)
    mine = teach(base, examples, epochs=epochs, source=csv_path.name)
    held_items, held_labels = [items[k] for k in held], [labels[k] for k in held]
    result = {"taught_images": count, "used_images": len(examples.used),
              "digits": int(len(examples.labels)), "held_out": len(held),
              "before": _accuracy(base, held_items, held_labels),
              "after": _accuracy(mine, held_items, held_labels),
              "mnist_test_after": evaluate(mine, "test")}
    print(f"{name}: taught {result['used_images']}/{count} images ({result['digits']} digits); "
          f"other {len(held)} images, whole number: {result['before']:.1%} -> "
          f"{result['after']:.1%}; MNIST test after {result['mnist_test_after']:.4f}",
          flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the realdigits folder")
    parser.add_argument("--sources", nargs="+", default=["ardis", "usps", "register"],
                        choices=sorted(SOURCES))
    parser.add_argument("--teach", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sources:
            results[name] = measure(args.root, name, args.teach, args.epochs, Path(tmp))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
