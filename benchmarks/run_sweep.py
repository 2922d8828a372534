"""Run the learning-rate x hidden-size sweep of the paper's network and record it.

The paper says it tried several learning rates and hidden sizes and chose 0.002 and 75 but
shows no results. This trains the paper's network (sigmoid, squared error summed over batches
of 20, plain SGD) for every pair on the grid and writes the results to
``mnistreader/results/sweep.json``, which notebook 03 plots.

    python benchmarks/run_sweep.py [--epochs 30]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mnistreader.export import write_text_atomic
from mnistreader.train import PRESETS, sweep

LRS = [0.0005, 0.001, 0.002, 0.005, 0.01]
HIDDENS = [25, 50, 75, 100, 150]
OUT = Path(__file__).resolve().parent.parent / "mnistreader" / "results" / "sweep.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    results = sweep(LRS, HIDDENS, PRESETS["paper"].replace(epochs=args.epochs), progress=True)
    record = {"epochs": args.epochs, "lrs": LRS, "hiddens": HIDDENS,
              "preset": "paper", "results": results}
    write_text_atomic(args.out, json.dumps(record, indent=1) + "\n")
    best = max(results, key=lambda r: r["test_accuracy"])
    print(f"wrote {args.out}; best: lr {best['lr']}, hidden {best['hidden']}, "
          f"test accuracy {best['test_accuracy']:.4f}")


if __name__ == "__main__":
    main()
