"""The command line as other tools call it: a subprocess, stdout, stderr and exit status."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.png"))


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mnistreader", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


def _one_line_error(result, *words):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_evaluate_paper_model():
    result = run("evaluate", "--model", "paper")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("test accuracy") and float(last.split()[-1]) >= 0.91


def test_evaluate_bad_model_files(tmp_path):
    _one_line_error(run("evaluate", "--model", tmp_path / "none.npz"), "none.npz", "not found")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 garbage")
    _one_line_error(run("evaluate", "--model", junk), "junk.npz", "corrupted")


def test_train_writes_model_and_history(tmp_path):
    out, history = tmp_path / "m.npz", tmp_path / "h.json"
    result = run("train", "--preset", "paper", "--epochs", "1", "--hidden", "20", "--lr", "0.004",
                 "--seed", "3", "--quiet", "--out", out, "--history", history)
    assert result.returncode == 0, result.stderr
    data = json.loads(history.read_text())
    assert set(data) == {"epoch", "train_accuracy", "test_accuracy", "loss", "seconds"}
    assert data["epoch"] == [1] and 0.1 < data["test_accuracy"][0] < 1
    evaluated = run("evaluate", "--model", out)
    assert float(evaluated.stdout.split()[-1]) == pytest.approx(data["test_accuracy"][0], abs=1e-4)


def test_train_refuses_bad_arguments(tmp_path):
    result = run("train", "--epochs", "0", "--out", tmp_path / "m.npz")
    assert result.returncode == 2 and "positive" in result.stderr and "Traceback" not in result.stderr


def test_read_examples_appends_to_csv(tmp_path):
    csv_path = tmp_path / "out.csv"
    csv_path.write_text("path,number,confidence,review\nearlier.png,99,1.000,\n")
    result = run("read", *EXAMPLES, "--csv", csv_path)
    assert result.returncode == 0, result.stderr
    printed = list(csv.reader(result.stdout.splitlines()))
    assert [(Path(p).name, n) for p, n in printed] == \
        [(p.name, p.stem.rsplit("-", 1)[-1]) for p in EXAMPLES]
    rows = list(csv.reader(csv_path.open()))
    assert rows[:2] == [["path", "number", "confidence", "review"], ["earlier.png", "99", "1.000", ""]]
    assert [r[1] for r in rows[2:]] == [n for _, n in printed]


def test_read_folder_with_bad_files(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for p in EXAMPLES[:2]:
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("not an image")
    ok, data = cv2.imencode(".jpg", cv2.imread(str(EXAMPLES[0])))
    (folder / "cut.jpg").write_bytes(data.tobytes()[: len(data) // 2])
    cv2.imwrite(str(folder / "blank.png"), np.full((60, 200), 240, np.uint8))
    csv_path = tmp_path / "out.csv"
    result = run("read", folder, tmp_path / "missing.png", "--csv", csv_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    for name in ("empty.png", "notes.jpg", "cut.jpg", "blank.png", "missing.png"):
        assert sum(name in line for line in errors) == 1, errors
    assert len(errors) == 5
    saved = list(csv.reader(csv_path.open()))
    assert len(saved) == 3 and {Path(r[0]).name for r in saved[1:]} == {p.name for p in EXAMPLES[:2]}


def test_read_with_bad_model_fails_once(tmp_path):
    _one_line_error(run("read", EXAMPLES[0], "--model", tmp_path / "x.npz"), "x.npz")


def test_many_files_use_two_processes_and_keep_order(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(20):
        p = EXAMPLES[i % len(EXAMPLES)]
        (folder / f"{i:02d}-{p.name}").write_bytes(p.read_bytes())
    result = run("read", folder, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    printed = list(csv.reader(result.stdout.splitlines()))
    assert [Path(p).name for p, _ in printed] == sorted(f.name for f in folder.iterdir())
    assert all(n == Path(p).stem.rsplit("-", 1)[-1] for p, n in printed)


def test_read_with_an_expected_format(tmp_path):
    example = ROOT / "examples" / "880.png"
    assert run("read", example, "--digits", "3").stdout.strip().endswith(",880")
    csv_path = tmp_path / "out.csv"
    result = run("read", example, "--range", "0-99", "--csv", csv_path)
    assert result.returncode == 0, result.stderr
    number = result.stdout.strip().split(",")[-1]
    assert number.isdigit() and int(number) <= 99  # the best reading that fits ...
    row = list(csv.reader(csv_path.open()))[1]
    assert row[1] == number and row[3] == "review"  # ... and it is not a sure one


@pytest.mark.parametrize("option,value,words", [
    ("--digits", "two", ["--digits", "whole number"]), ("--digits", "5-2", ["--digits", "range"]),
    ("--range", "100-0", ["--range", "range"]), ("--digits", "0", ["--digits"])])
def test_read_refuses_bad_formats(option, value, words):
    _one_line_error(run("read", EXAMPLES[0], option, value), *words)


def test_committee_joins_models_that_then_read_and_evaluate(tmp_path):
    out = tmp_path / "committee.npz"
    result = run("committee", "paper", "paper", "--out", out, "--documents", "40")
    assert result.returncode == 0, result.stderr
    assert "a committee of 2 networks" in result.stdout
    evaluated = run("evaluate", "--model", out)
    assert evaluated.returncode == 0 and "committee of 2" in evaluated.stdout
    assert float(evaluated.stdout.strip().split()[-1]) >= 0.91  # the paper's network, twice
    read = run("read", EXAMPLES[0], "--model", out)
    assert read.returncode == 0, read.stderr
    _one_line_error(run("committee", "paper", tmp_path / "none.npz", "--out", out),
                    "none.npz", "not found")


def test_calibrate_writes_a_model_with_its_decoder(tmp_path):
    out = tmp_path / "calibrated.npz"
    # a weight and a bonus off tune's grid: kept as given, not chosen
    result = run("calibrate", "--model", "best", "--out", out, "--documents", "40",
                 "--weight", "0.3", "--bonus", "0.7")
    assert result.returncode == 0, result.stderr
    from mnistreader.persist import load_model

    meta = load_model(out).meta["decoder"]
    assert 0 <= meta["review_below"] <= 1 and len(meta["confidence"]) == 7
    assert (meta["weight"], meta["bonus"]) == (0.3, 0.7)
    read = run("read", EXAMPLES[0], "--model", out)
    assert read.returncode == 0 and read.stdout.strip().endswith(EXAMPLES[0].stem)
