"""Whole-number accuracy and review-flag quality on the real handwriting dev sets.

Reads every set of ``realdigits`` (the folder holding ``phone-photos``, ``register-cells`` and
``single-digits``): the photo and register sets image by image from their ``labels.csv``, the
single-digit sets (ARDIS IV, USPS) as one-digit images. For each set it prints the
whole-number accuracy, the share of readings not flagged for review and how often those are
right; then the same pooled over all sets, the review threshold that would make the pooled
unflagged readings 99% right (``--set-threshold`` writes the model with that threshold), and
(with ``--failures``) every wrong reading. ``--json`` writes
every reading; ``--record`` writes what notebook 05 shows (per set: the figures, and each
reading's confidence and whether it is right, without file names or labels), next to the
same figures of an earlier run (``--before``, a ``--json`` file of the earlier reader).

    python benchmarks/real_handwriting.py ../shared/realdigits [--model best] [--json out.json]
        [--record mnistreader/results/real_handwriting.json --before before.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np


from mnistreader.preprocess import ImageError, load_image
from mnistreader.reader import get_model, read_numbers

SETS = ("phone-photos", "register-cells", "ardis4-train", "usps-train")


def load_set(root: Path, name: str):
    """``(names, images, labels)`` of one dev set."""
    if name.endswith("-train"):
        data = np.load(root / "single-digits" / f"{name}.npz")
        images = list(data["images"])
        return [f"{name}#{i}" for i in range(len(images))], images, [str(v) for v in data["labels"]]
    with open(root / name / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return ([r["file"] for r in rows], [load_image(root / name / r["file"]) for r in rows],
            [r["label"].strip() for r in rows])


def read_set(images, model, chunk: int = 16):
    """Read images in chunks as the command line does; ``(numbers, confidences, review flags)``."""
    numbers, confidence, review = [], [], []
    for start in range(0, len(images), chunk):
        for result in read_numbers(images[start:start + chunk], model):
            ok = not isinstance(result, ImageError)
            numbers.append(result.number if ok else "")
            confidence.append(result.confidence if ok else 0.0)
            review.append(result.needs_review if ok else True)
    return numbers, np.array(confidence), np.array(review, bool)


def summary(right: np.ndarray, review: np.ndarray) -> str:
    unflagged = ~review
    precision = right[unflagged].mean() if unflagged.any() else float("nan")
    return (f"whole number {right.mean():6.1%}   unflagged {unflagged.mean():6.1%}, "
            f"of which right {precision:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the realdigits folder")
    parser.add_argument("--model", default="best")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sets to read")
    parser.add_argument("--failures", action="store_true", help="list every wrong reading")
    parser.add_argument("--json", type=Path, help="write every reading to this JSON file")
    parser.add_argument("--record", type=Path, help="write the figures for notebook 05 here")
    parser.add_argument("--before", type=Path, help="a --json file of an earlier reader")
    parser.add_argument("--set-threshold", type=Path, metavar="OUT.npz",
                        help="write the model with its review threshold set where the pooled "
                             "unflagged readings are 99%% right")
    args = parser.parse_args()
    net = get_model(args.model)
    results, pooled = {}, []
    print(f"model {args.model}, review below {net.meta.get('decoder', {}).get('review_below')}")
    for name in args.sets.split(","):
        names, images, labels = load_set(args.root, name)
        start = time.perf_counter()
        numbers, confidence, review = read_set(images, net)
        seconds = time.perf_counter() - start
        right = np.array([n == t for n, t in zip(numbers, labels)])
        print(f"{name:15s} {len(labels):5d}  {summary(right, review)}   "
              f"({len(labels) / seconds:.0f} images/s)")
        if args.failures:
            for f, t, n, c in zip(names, labels, numbers, confidence):
                if n != t:
                    print(f"    {f:45s} true {t:12s} read {n:14s} confidence {c:.3f}")
        results[name] = {"files": names, "labels": labels, "numbers": numbers,
                         "confidence": confidence.round(5).tolist(), "review": review.tolist()}
        pooled.append((right, confidence, review))
    right, confidence, review = (np.concatenate(parts) for parts in zip(*pooled))
    print(f"{'all sets':15s} {len(right):5d}  {summary(right, review)}")
    from mnistreader.calibrate import review_threshold

    threshold = review_threshold(confidence, right, 0.99)
    print(f"pooled, the threshold for 99% right unflagged readings would be {threshold:.4f} "
          f"({(confidence >= threshold).mean():.1%} unflagged)")
    if args.set_threshold:
        from mnistreader.persist import save_model

        net.meta["decoder"] = dict(net.meta["decoder"], review_below=threshold)
        net.meta["review_below_chosen_on"] = (f"{', '.join(results)}: unflagged readings 99% "
                                              f"right, {time.strftime('%Y-%m-%d')}")
        save_model(net, args.set_threshold, dtype=net.meta.get("dtype", "float32"))
        print(f"wrote {args.set_threshold} with review threshold {threshold:.4f}")
    if args.json:
        args.json.write_text(json.dumps({"model": str(args.model), "sets": results}) + "\n")
    if args.record:
        before = json.loads(args.before.read_text())["sets"] if args.before else {}
        args.record.write_text(json.dumps(record(results, before, threshold), indent=1) + "\n")


def figures(readings: dict) -> dict:
    """Whole-number accuracy, unflagged share and how often unflagged readings are right."""
    right = np.array([n == t for n, t in zip(readings["numbers"], readings["labels"])])
    unflagged = ~np.array(readings["review"], bool)
    return {"count": len(right), "whole": round(float(right.mean()), 4),
            "unflagged": round(float(unflagged.mean()), 4),
            "unflagged_right": round(float(right[unflagged].mean()), 4) if unflagged.any() else None}


def record(results: dict, before: dict, threshold: float) -> dict:
    """What notebook 05 shows: the figures per set, before and now, and every reading's
    confidence and rightness (no file names, no labels)."""
    out = {"measured": time.strftime("%Y-%m-%d"), "pooled_threshold_99": round(threshold, 4),
           "sets": {}}
    for name, readings in results.items():
        right = [int(n == t) for n, t in zip(readings["numbers"], readings["labels"])]
        out["sets"][name] = {"now": figures(readings),
                             "before": figures(before[name]) if name in before else None,
                             "confidence": [round(c, 3) for c in readings["confidence"]],
                             "right": right}
        if name in before and not name.endswith("-train"):  # a gallery: the earlier failures
            wrong = [k for k, (n, t) in enumerate(zip(before[name]["numbers"],
                                                      before[name]["labels"])) if n != t]
            out["sets"][name]["gallery"] = [{"index": k, "before": before[name]["numbers"][k]}
                                            for k in wrong[::max(1, len(wrong) // 12)][:12]]
    return out


if __name__ == "__main__":
    main()
