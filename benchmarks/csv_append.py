"""Time a 16-row append to a CSV of 1,000,000 rows, against a whole-file rewrite in the same run.

    python benchmarks/csv_append.py [--rows 1000000] [--appends 50] [--folder DIR]

The reference is what ``export.append_rows`` did before (read the file, write old + new rows
to a temporary file, fsync, rename), timed on the same file in the same run. The old rows are
checked byte for byte after the appends.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from mnistreader.export import HEADER, append_rows, format_rows, write_text_atomic


def _rewrite(path: Path, rows) -> None:
    """The reference: the whole file written again with the new rows."""
    write_text_atomic(path, path.read_text(encoding="utf-8") + format_rows(rows))


def _median_ms(append, path: Path, times: int) -> float:
    rows = [(f"new/{i:02d}.png", "1234", "0.987", "") for i in range(16)]
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        append(path, rows)
        spent.append(time.perf_counter() - start)
    return 1000 * statistics.median(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=50)
    parser.add_argument("--folder", type=Path, help="where to write the CSV (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        path = Path(tmp) / "big.csv"
        body = format_rows([HEADER] + [(f"scans/{i:07d}.png", str(i % 100000), "0.991", "")
                                       for i in range(args.rows)])
        path.write_text(body, encoding="utf-8")
        old = path.read_bytes()
        reference = _median_ms(_rewrite, path, max(3, args.appends // 10))
        now = _median_ms(append_rows, path, args.appends)
        assert path.read_bytes().startswith(old), "the old rows changed"
        print(f"16-row append to a {args.rows:,}-row CSV ({len(old) / 1e6:.0f} MB), median: "
              f"append_rows {now:.2f} ms, whole-file rewrite {reference:.1f} ms "
              f"(ratio {now / reference:.3f}); old rows byte for byte: yes")


if __name__ == "__main__":
    main()
