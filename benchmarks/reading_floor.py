"""How far `mnistreader read` is from a naive pipeline's speed, measured in the same run.

    python benchmarks/reading_floor.py ../shared/realdigits [--count 1500] [--rounds 2]

The *floor* is the least a reader of number images must do, in one process: decode the file,
gray, Otsu threshold, connected components, each component resized to 28x28, and one pass of
the same network over all of them (the shipped ``best`` model), 16 images at a time. It reads
nothing well; it only says what the unavoidable steps cost on this machine. The same
``--count`` phone-photo and register-cell images are then read by ``mnistreader read --csv``
(a fresh process, as a user runs it) with the default processes and with ``--jobs 1``; the
report is each run's time divided by the floor's (every time includes starting Python and
loading the model).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def naive_read(paths: list[str]) -> int:
    """The floor: decode, Otsu, components, one network pass per 16 images. Returns the
    number of components classified."""
    import cv2
    import numpy as np
    from threadpoolctl import threadpool_limits

    from mnistreader.persist import load_model

    net = load_model("best")
    total = 0
    with threadpool_limits(1):
        for start in range(0, len(paths), 16):
            crops = []
            for path in paths[start:start + 16]:
                gray = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_GRAYSCALE)
                _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
                _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
                for x, y, w, h, area in stats[1:]:
                    if area >= 20:
                        crops.append(cv2.resize(ink[y:y + h, x:x + w], (28, 28)))
            if crops:
                net.predict(np.stack(crops).reshape(len(crops), -1).astype(np.float32) / 255)
            total += len(crops)
    return total


def _images(root: Path, count: int) -> list[str]:
    files = sorted((root / "phone-photos" / "images").iterdir())
    files += sorted((root / "register-cells" / "images").iterdir())
    return [str(f) for f in files[:count]]


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    spent = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: some images had no digits, the others were read
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{done.stderr[-2000:]}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, nargs="?", help="the realdigits folder")
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--naive", type=Path, help=argparse.SUPPRESS)  # a list of paths
    args = parser.parse_args()
    if args.naive:  # the floor, in its own process
        naive_read(args.naive.read_text().splitlines())
        return
    paths = _images(args.root, args.count)
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths))
        runs = {"floor (naive, 1 process)": [sys.executable, __file__, "--naive", str(listing)]}
        for jobs in (None, 1):
            name = "mnistreader read" + (f" --jobs {jobs}" if jobs else " (default: 2 processes)")
            command = [sys.executable, "-m", "mnistreader", "read", *paths, "--csv",
                       str(Path(tmp) / f"out{jobs}.csv")]
            runs[name] = command + (["--jobs", str(jobs)] if jobs else [])
        times = {name: [] for name in runs}
        for _ in range(args.rounds):  # interleaved, so that the machine's load hits all alike
            for name, command in runs.items():
                for old in Path(tmp).glob("out*.csv"):
                    old.unlink()
                times[name].append(_timed(command))
    floor = statistics.median(times["floor (naive, 1 process)"])
    print(f"{len(paths)} images (phone photos and register cells), medians of {args.rounds}:")
    for name, spent in times.items():
        median = statistics.median(spent)
        print(f"  {name:42} {median:6.1f} s  {len(paths) / median:6.0f} images/s  "
              f"{median / floor:5.2f} x the floor")


if __name__ == "__main__":
    main()
