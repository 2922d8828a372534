"""Teaching from corrections: the CSV, the digits kept, the taught model, and bad input."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

from mnistreader.persist import load_model
from mnistreader.teach import TeachError, corrections, digit_examples

EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.png") if p.stem.isdigit())


def run(*args):
    return subprocess.run([sys.executable, "-m", "mnistreader", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def _one_line_error(result, *words):
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_corrections_read_what_read_csv_writes(tmp_path):
    path = tmp_path / "readings.csv"
    path.write_text("path,number,confidence,review\n'=odd.png,12,0.5,review\n\n"
                    "b.png,0 42,0.9,corrected\n")
    assert corrections(path) == [("=odd.png", "12"), ("b.png", "042")]
    path.write_text("a.png,12\nb.png,3\n")  # no header, no extra columns
    assert corrections(path) == [("a.png", "12"), ("b.png", "3")]


@pytest.mark.parametrize("text, words", [("", ["no 'path,number' rows"]),
                                         ("path,number\n", ["no 'path,number' rows"]),
                                         ("path,number\na.png,12\nb.png,1O\n",
                                          ["row 3", "'1O'", "not digits"]),
                                         ("a.png\n", ["row 1", "no number column"])])
def test_bad_corrections_say_where(tmp_path, text, words):
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(TeachError) as info:
        corrections(path)
    assert all(word in str(info.value) for word in ["c.csv", *words])


def test_digits_are_kept_only_when_their_count_matches(tmp_path):
    pairs = [(str(p), p.stem) for p in EXAMPLES[:3]]
    pairs += [(str(EXAMPLES[3]), EXAMPLES[3].stem + "1"), (str(tmp_path / "gone.png"), "5")]
    examples = digit_examples(pairs, "best")
    assert examples.used == [p for p, _ in pairs[:3]]
    assert examples.labels.tolist() == [int(d) for _, n in pairs[:3] for d in n]
    assert examples.images.shape == (len(examples.labels), 28, 28)
    assert any("gone.png" in p and "no such file" in p for p in examples.problems)
    assert any(EXAMPLES[3].name in p and "digits found" in p for p in examples.problems)


def test_teach_command_writes_a_new_model_and_names_unusable_images(tmp_path):
    csv_path = tmp_path / "corrected.csv"
    rows = [f"{p},{p.stem}" for p in EXAMPLES] + [f"{tmp_path / 'gone.png'},12"]
    csv_path.write_text("path,number\n" + "\n".join(rows) + "\n")
    result = run("teach", csv_path, "--out", tmp_path / "mine.npz", "--epochs", "1", "--quiet")
    assert result.returncode == 1 and "Traceback" not in result.stderr  # one image unusable
    assert result.stderr.strip().splitlines() == [
        f"mnistreader: {tmp_path / 'gone.png'}: no such file; not used"]
    accuracy = float(result.stdout.strip().split()[-1])
    assert accuracy >= 0.985 and "whole numbers right on them" in result.stdout
    taught = load_model(tmp_path / "mine.npz")
    assert taught.meta["taught"]["source"] == "corrected.csv"
    assert taught.meta["taught"]["images"] == len(EXAMPLES)


def test_teach_command_bad_input_is_one_line_and_never_overwrites_the_model(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(f"{EXAMPLES[0]},{EXAMPLES[0].stem}\n")
    _one_line_error(run("teach", tmp_path / "none.csv", "--out", tmp_path / "m.npz"),
                    "none.csv", "no such file")
    (tmp_path / "empty.csv").write_text("")
    _one_line_error(run("teach", tmp_path / "empty.csv", "--out", tmp_path / "m.npz"),
                    "empty.csv", "no 'path,number' rows")
    (tmp_path / "letters.csv").write_text("a.png,12a\n")
    _one_line_error(run("teach", tmp_path / "letters.csv", "--out", tmp_path / "m.npz"),
                    "letters.csv", "not digits")
    (tmp_path / "photo.csv").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    _one_line_error(run("teach", tmp_path / "photo.csv", "--out", tmp_path / "m.npz"),
                    "photo.csv", "UTF-8")
    (tmp_path / "broken.npz").write_bytes(b"not a model")
    _one_line_error(run("teach", good, "--model", tmp_path / "broken.npz", "--out",
                        tmp_path / "m.npz"), "broken.npz")
    model = tmp_path / "model.npz"
    model.write_bytes((ROOT / "mnistreader" / "models" / "paper.npz").read_bytes())
    before = model.read_bytes()
    _one_line_error(run("teach", good, "--model", model, "--out", model), "model.npz",
                    "taught from")
    assert model.read_bytes() == before
    assert not (tmp_path / "m.npz").exists()


def test_teaching_mnist_digits_keeps_mnist(mnist_test):
    """Digits that were already read right stay read right after teaching (a sanity check
    of the fine-tuning itself: labels and images stay paired, MNIST is not forgotten)."""
    from mnistreader.network import as_input
    from mnistreader.reader import get_model
    from mnistreader.teach import Examples, teach

    images, labels = mnist_test
    base = get_model("best")
    examples = Examples(images[:300].astype(np.float32) / 255, labels[:300].astype(np.int64))
    taught = teach(base, examples, epochs=1)
    x = as_input(images[300:3300])
    before = np.mean(base.predict(x) == labels[300:3300])
    after = np.mean(taught.predict(x) == labels[300:3300])
    assert after >= before - 0.01
    assert np.mean(taught.predict(as_input(images[:300])) == labels[:300]) >= 0.97
