"""The widget apps, driven by calling what their buttons call (no browser needed)."""

import csv

import pytest

from conftest import ROOT
from mnistreader.widgets import ReaderApp, TrainOrLoad

EXAMPLE = ROOT / "examples" / "0215.png"


def test_reader_app_reads_and_saves_with_consent(tmp_path):
    app = ReaderApp(csv_path=tmp_path / "readings.csv")
    assert app.save_button.disabled  # nothing to save before a reading
    reading = app.read_path(EXAMPLE)
    assert reading.number == "0215" and "0215" in app.result.value
    assert app.reading_image.value and app.steps_image.value  # figures rendered
    assert not (tmp_path / "readings.csv").exists()  # nothing written without the click
    app.save()
    rows = list(csv.reader((tmp_path / "readings.csv").open()))
    assert rows[1][:2] == [str(EXAMPLE), "0215"]


def test_reader_app_model_toggle(tmp_path):
    app = ReaderApp(csv_path=tmp_path / "r.csv")
    app.source.value = "Load shipped model"
    app.shipped.value = "paper"
    app.choose_model()
    assert app.model.sizes == [784, 75, 10] and "paper" in app.model_status.value
    app.source.value = "Load model file"
    app.model_file.value = str(tmp_path / "missing.npz")
    app.choose_model()
    assert "missing.npz" in app.model_status.value and app.model.sizes == [784, 75, 10]
    app.source.value = "Train now"
    app.epochs.value = 1
    app.choose_model(wait=True)
    assert "trained now (1 epochs)" in app.model_name and app.progress.value == 1
    assert app.curve.value  # the live curve was drawn


def test_reader_app_shows_errors_instead_of_raising(tmp_path):
    app = ReaderApp(csv_path=tmp_path / "r.csv")
    app.example.options = [("missing", str(tmp_path / "missing.png"))]
    app._safe(app.read_selected)
    assert "missing.png" in app.result.value and "no such file" in app.result.value


@pytest.mark.parametrize("preset", ["paper", "best"])
def test_train_or_load_loads_the_recorded_history(preset):
    toggle = TrainOrLoad(preset)
    history = toggle.run()
    assert len(history["epoch"]) == len(history["test_accuracy"]) > 1
    assert toggle.plot.value and "recorded history" in toggle.status.value


def test_train_or_load_trains_now():
    toggle = TrainOrLoad("paper", train_now=True, epochs=1)
    history = toggle.run()
    assert history["epoch"] == [1] and toggle.progress.value == 1
