"""Reading speed against an earlier reader, side by side in the same run, on the same images.

The earlier reader is checked out from git (``--reference``, by default the last commit before
recognition-driven segmentation) into a temporary worktree. Both readers then read the same
images in memory (preprocess + segment + classify, one process, one BLAS thread, batches of
16 as the command line reads them), in turns, several rounds; the median images per second
of each and their ratio are printed. Timings on a shared machine are noisy: only the ratio
measured in one run means anything.

    python benchmarks/reading_speed.py ../shared/realdigits [--reference REF] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the landed reader before recognition-driven segmentation (issue 7)
REFERENCE = "d287b0f"

_TIMER = r"""
import sys, time, csv, json
from pathlib import Path
import numpy as np
from threadpoolctl import threadpool_limits
from mnistreader.preprocess import load_image
from mnistreader.reader import read_numbers, get_model
root, sets = Path(sys.argv[1]), sys.argv[2].split(",")
images = []
for name in sets:
    with open(root / name / "labels.csv", newline="") as fh:
        images += [load_image(root / name / r["file"]) for r in csv.DictReader(fh)]
net = get_model("best")
with threadpool_limits(1):
    read_numbers(images[:16], net)
    start = time.perf_counter()
    for i in range(0, len(images), 16):
        read_numbers(images[i:i + 16], net)
    seconds = time.perf_counter() - start
import mnistreader
print(json.dumps({"images": len(images), "seconds": seconds, "package": mnistreader.__file__}))
"""


def time_reader(tree: Path, root: Path, sets: str) -> float:
    """Images per second of the reader in ``tree``, in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _TIMER, str(root), sets], env=env, check=True,
                         capture_output=True, text=True, cwd=tree).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"timed {result['package']}, not the reader in {tree}")
    return result["images"] / result["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the realdigits folder")
    parser.add_argument("--sets", default="phone-photos,register-cells")
    parser.add_argument("--reference", default=REFERENCE, help="git revision of the earlier reader")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = args.root.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "reference"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old),
                        args.reference], check=True)
        try:
            speeds: dict[str, list[float]] = {"reference": [], "current": []}
            for _ in range(args.rounds):
                speeds["reference"].append(time_reader(old, root, args.sets))
                speeds["current"].append(time_reader(ROOT, root, args.sets))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                           check=False)
    ref = sorted(speeds["reference"])[len(speeds["reference"]) // 2]
    cur = sorted(speeds["current"])[len(speeds["current"]) // 2]
    print(f"images: {args.sets}; one process, one BLAS thread, batches of 16")
    print(f"  reference reader ({args.reference}): {ref:7.1f} images/s   "
          f"(rounds: {', '.join(f'{v:.1f}' for v in speeds['reference'])})")
    print(f"  current reader:               {cur:7.1f} images/s   "
          f"(rounds: {', '.join(f'{v:.1f}' for v in speeds['current'])})")
    print(f"  current / reference speed: {cur / ref:.2f}")


if __name__ == "__main__":
    main()
