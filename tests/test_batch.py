"""Batches: a run killed with SIGKILL at random moments and resumed reads every image once."""

import csv
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from conftest import ROOT

from mnistreader.export import HEADER

EXAMPLES = sorted((ROOT / "examples").glob("*.png"))


def _start(folder, csv_path):
    return subprocess.Popen([sys.executable, "-m", "mnistreader", "read", str(folder),
                             "--csv", str(csv_path), "--resume"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _rows(csv_path):
    return list(csv.reader(csv_path.open(newline=""))) if csv_path.exists() else []


def test_killed_runs_resume_to_every_image_exactly_once(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for copy in range(167):  # 1,503 images: every run below is killed before it ends
        for example in EXAMPLES:
            shutil.copy(example, folder / f"{copy:02d}-{example.name}")
    files = sorted(str(p) for p in folder.iterdir())
    csv_path = tmp_path / "out.csv"
    rng = np.random.default_rng(7)
    kills = 0
    while True:
        before = len(_rows(csv_path))
        run = _start(folder, csv_path)
        # kill it at a random moment once it has written rows (as a power cut would)
        while kills < 3 and run.poll() is None and len(_rows(csv_path)) <= before:
            time.sleep(0.02)
        if kills < 3 and run.poll() is None:
            time.sleep(rng.uniform(0, 0.3))
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
            kills += 1
            continue
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()
        break
    rows = _rows(csv_path)
    assert kills == 3 and rows[0] == list(HEADER)
    assert sorted(row[0] for row in rows[1:]) == files  # every image exactly once
    for row in rows[1:]:  # every row whole
        assert len(row) == 4 and row[1].isdigit() and 0 <= float(row[2]) <= 1
        assert row[3] in ("", "review")
    assert "already in" in err.decode()


def test_resume_needs_a_csv(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mnistreader", "read", str(EXAMPLES[0]),
                             "--resume"], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "--resume needs --csv" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dask_cluster_writes_what_a_local_run_writes(tmp_path):
    from distributed import LocalCluster

    folder = tmp_path / "scans"
    folder.mkdir()
    for copy in range(3):
        for example in EXAMPLES:
            shutil.copy(example, folder / f"{copy}-{example.name}")
    (folder / "2-empty.png").write_bytes(b"")
    local, remote = tmp_path / "local.csv", tmp_path / "dask.csv"
    command = [sys.executable, "-m", "mnistreader", "read", str(folder), "--csv"]
    done = subprocess.run(command + [str(local)], capture_output=True, text=True, timeout=600)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        on_dask = subprocess.run(command + [str(remote), "--dask", cluster.scheduler_address],
                                 capture_output=True, text=True, timeout=600)
    assert on_dask.returncode == done.returncode == 1  # the empty file, on both
    assert on_dask.stdout == done.stdout and len(done.stdout.splitlines()) == 3 * len(EXAMPLES)
    assert [line for line in on_dask.stderr.splitlines() if "2-empty.png" in line] == \
        [f"mnistreader: {folder / '2-empty.png'}: empty file"]
    assert remote.read_bytes() == local.read_bytes()


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    wait = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s")
    result = subprocess.run([sys.executable, "-m", "mnistreader", "read", str(EXAMPLES[0]),
                             "--dask", "tcp://127.0.0.1:9"], capture_output=True, text=True,
                            timeout=120, env=wait)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Dask scheduler at tcp://127.0.0.1:9" in lines[0]
