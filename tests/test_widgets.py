"""The widget apps, driven by calling what their buttons call (no browser needed)."""

import csv
from pathlib import Path

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


def _ghost(path):
    """An image of a number written twice, a little apart: a reading to doubt."""
    import cv2
    import numpy as np

    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    shifted = np.full_like(image, 255)
    shifted[6:, 9:] = image[:-6, :-9]
    return np.minimum(image, shifted)


def test_review_tab_shows_flagged_first_and_saves_corrections(tmp_path):
    import cv2

    csv_path = tmp_path / "readings.csv"
    csv_path.write_text("path,number,confidence,review\nold.png,7,0.990,\n")
    before = csv_path.read_bytes()
    app = ReaderApp(csv_path=csv_path)
    review = app.review
    assert app.widget.get_title(2) == "3. Review and teach"
    pages = [(p.name, cv2.imread(str(p))) for p in sorted((ROOT / "examples").glob("*.png"))]
    pages.append(("ghost.png", _ghost(ROOT / "examples" / "59014.png")))
    items = review.read_images(pages)
    flags = [it.reading.needs_review for it in items]
    assert any(flags) and flags == sorted(flags, reverse=True)  # the flagged ones first
    assert f"{sum(flags)} to review" in review.summary.value
    assert len(review.grid.children) == len(items) and items[0].card.children[0].value
    first, second = items[0], items[1]
    first.answer.value = "12x"
    review.accept(first)  # not a number: refused, marked red
    assert not first.accepted and "not a number" in review.save_status.value
    first.answer.value = "59014"
    review.accept(first)
    review.accept(second)
    assert first.accepted and second.accepted
    assert review.save() == len(items)
    rows = list(csv.reader(csv_path.open()))
    assert csv_path.read_bytes().startswith(before)  # nothing saved before is changed
    saved = {row[0]: row for row in rows[2:]}
    status = "corrected" if first.reading.number != "59014" else "checked"
    assert saved[first.name][1:2] == ["59014"] and saved[first.name][3] == status
    assert saved[second.name][1] == second.reading.number and saved[second.name][3] == "checked"
    assert review.save() == 0  # saved already: nothing appended twice
    second.answer.value = "1"
    review.accept(second)
    assert review.save() == 1 and list(csv.reader(csv_path.open()))[-1][:2] == [second.name, "1"]


def test_review_tab_teaches_the_accepted_readings(tmp_path):
    import cv2

    app = ReaderApp(csv_path=tmp_path / "r.csv")
    review = app.review
    pages = [(p.name, cv2.imread(str(p))) for p in sorted((ROOT / "examples").glob("*.png"))]
    items = review.read_images(pages)
    for item in items:
        item.answer.value = Path(item.name).stem if Path(item.name).stem.isdigit() else "7"
        review.accept(item)
    review.epochs.value = 1
    review.teach(wait=True)
    assert review.progress.value == 1 and "after" in review.teach_status.value
    assert app.model is review.taught and app.model.meta["taught"]["images"] >= 1
    (tmp_path / "taken.npz").write_bytes(b"keep")
    review.model_file.value = str(tmp_path / "taken.npz")
    review._safe(review.save_model)
    assert (tmp_path / "taken.npz").read_bytes() == b"keep" and "exists" in review.summary.value
    review.model_file.value = str(tmp_path / "mine.npz")
    assert review.save_model().exists()


def test_uploaded_phone_photos_are_read_the_way_up_they_were_taken(tmp_path):
    """A phone photo uploaded to the Read tab or the Review tab is turned as its EXIF
    orientation says (stored on its side, orientation 6), as a file read from disk is."""
    import io
    from datetime import datetime, timezone

    import cv2
    import numpy as np
    from PIL import Image

    upright = cv2.imread(str(ROOT / "examples" / "3183985.png"), cv2.IMREAD_COLOR)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1)[..., ::-1])).save(
        out, "JPEG", exif=exif, quality=95)
    upload = {"name": "portrait.jpg", "type": "image/jpeg", "size": len(out.getvalue()),
              "content": memoryview(out.getvalue()),
              "last_modified": datetime(2026, 12, 2, tzinfo=timezone.utc)}
    app = ReaderApp(csv_path=tmp_path / "r.csv")
    app.upload.value = (upload,)
    assert app.read_selected().number == "3183985"
    app.review.upload.value = (upload,)
    [(name, image)] = app.review._uploaded()
    assert name == "portrait.jpg" and image.shape[:2] == upright.shape[:2]
