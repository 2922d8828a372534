"""Review and teach: correct the flagged readings of a batch, save them, teach the model.

:class:`ReviewPanel` is the "Review" tab of :class:`mnistreader.widgets.ReaderApp`: read a
folder or a batch of uploads, see the readings that need review first (the image with its
digit boxes, the reading, each digit's confidence), type the right number where it is wrong
(Enter accepts and moves to the next), save, and teach the model the corrected images
(:mod:`mnistreader.teach`). Saving appends rows to the CSV, never changes one: the
``review`` column says ``corrected`` when a person changed the number and ``checked`` when a
person accepted it as read. Every action is a method the tests call without a browser.
"""

from __future__ import annotations

import html
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import ipywidgets as W
import numpy as np

from .export import CHECKED, CORRECTED, reading_row
from .images import ImageError, decode_image
from .reader import Reading, read_numbers

__all__ = ["ReviewPanel", "ReviewItem", "status_of"]


@dataclass
class ReviewItem:
    """One image of the batch under review."""

    name: str
    image: np.ndarray
    reading: Reading
    answer: W.Text
    card: W.VBox
    accepted: bool = False
    saved: tuple[str, str] | None = None  # (number, status) last appended to the CSV

    @property
    def number(self) -> str:
        return self.answer.value.strip().replace(" ", "")


def status_of(item: ReviewItem) -> str | None:
    """The ``review`` column of the item's row when a person vouches for its number (None:
    as the reader says)."""
    if item.accepted:
        return CORRECTED if item.number != item.reading.number else CHECKED
    return None


def _row(item: ReviewItem) -> tuple[str, str, str, str]:
    """The item's CSV row, with the number as a person accepted it."""
    return reading_row(item.name, item.reading, status_of(item), number=item.number)


def boxes_png(image: np.ndarray, reading: Reading, width: int = 240, height: int = 120) -> bytes:
    """The image, fitted in ``width`` x ``height`` pixels, with the digit boxes (red: doubtful
    digits)."""
    from .preprocess import to_grayscale

    view = cv2.cvtColor(to_grayscale(image), cv2.COLOR_GRAY2BGR)
    scale = min(width / view.shape[1], height / view.shape[0])
    size = (max(1, round(view.shape[1] * scale)), max(1, round(view.shape[0] * scale)))
    view = cv2.resize(view, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST)
    for (x, y, w, h), flag in zip(reading.boxes, reading.flagged):
        cv2.rectangle(view, (int(x * scale), int(y * scale)),
                      (int((x + w) * scale), int((y + h) * scale)),
                      (40, 40, 220) if flag else (40, 160, 40), 1)
    return cv2.imencode(".png", view)[1].tobytes()


class ReviewPanel:
    """Read a batch, review the flagged readings first, correct, save, teach.

    Parameters
    ----------
    model : callable
        Returns the model to read with (the app's current one).
    csv_path : ipywidgets.Text
        The CSV file rows are appended to (shared with the app's "Save to CSV").
    use_model : callable, optional
        Called as ``use_model(net, name)`` with a taught model, to read with it from then on.
    """

    def __init__(self, model: Callable, csv_path: W.Text,
                 use_model: Callable | None = None) -> None:
        self.model, self.csv_path, self.use_model = model, csv_path, use_model
        self.items: list[ReviewItem] = []
        self.taught = None
        self.folder = W.Text(placeholder="folder of images or PDFs", description="folder")
        self.upload = W.FileUpload(accept="image/*", multiple=True, description="Upload images")
        self.read_button = W.Button(description="Read all", button_style="success")
        self.summary = W.HTML()
        self.grid = W.GridBox(layout=W.Layout(
            grid_template_columns="repeat(auto-fill, minmax(260px, 1fr))", grid_gap="8px"))
        self.save_button = W.Button(description="Save", disabled=True, button_style="primary")
        self.save_status = W.HTML()
        self.epochs = W.IntSlider(value=5, min=1, max=20, description="epochs")
        self.teach_button = W.Button(description="Teach", disabled=True)
        self.progress = W.IntProgress(min=0, max=1)
        self.teach_status = W.HTML()
        self.model_file = W.Text(value="mine.npz", description="save as")
        self.save_model_button = W.Button(description="Save taught model", disabled=True)
        self.read_button.on_click(lambda _: self._safe(self.read_batch))
        self.save_button.on_click(lambda _: self._safe(self.save))
        self.teach_button.on_click(lambda _: self._safe(self.teach))
        self.save_model_button.on_click(lambda _: self._safe(self.save_model))
        self.widget = W.VBox([
            W.HBox([self.folder, self.upload, self.read_button]), self.summary, self.grid,
            W.HBox([self.save_button, self.save_status]),
            W.HBox([self.epochs, self.teach_button, self.progress]), self.teach_status,
            W.HBox([self.model_file, self.save_model_button])])

    def _safe(self, action) -> None:
        from .persist import ModelFileError

        try:
            action()
        except (ImageError, ModelFileError, OSError, ValueError) as exc:
            self.summary.value = f"<span style='color:red'>{html.escape(str(exc))}</span>"

    # --- reading --------------------------------------------------------------------------
    def _uploaded(self) -> list[tuple[str, np.ndarray]]:
        pages = []
        for item in self.upload.value:
            try:
                pages.append((item["name"], decode_image(bytes(item["content"]), item["name"])))
            except ImageError:
                continue
        return pages

    def read_batch(self) -> list[ReviewItem]:
        """Read the uploads if there are any, else every image (and PDF page) of the folder."""
        if self.upload.value:
            return self.read_images(self._uploaded())
        from .batch import image_files
        from .pages import iter_pages

        folder = Path(self.folder.value.strip() or ".")
        if not folder.is_dir():
            raise ValueError(f"{folder}: no such folder")
        pages = [page for f in image_files([folder]) for page in iter_pages(f)]
        return self.read_images(pages)

    def read_images(self, pages: list[tuple[str, np.ndarray]]) -> list[ReviewItem]:
        """Read ``(name, image)`` pairs and show them, those that need review first."""
        if not pages:
            raise ValueError("no images to read")
        model = self.model()
        readings = []
        for start in range(0, len(pages), 16):
            part = pages[start:start + 16]
            readings += read_numbers([image for _, image in part], model,
                                     paths=[name for name, _ in part])
        items = [self._item(name, image, r) for (name, image), r in zip(pages, readings)
                 if isinstance(r, Reading)]
        items.sort(key=lambda it: (not it.reading.needs_review, it.reading.confidence))
        self.items = items
        self.grid.children = [it.card for it in items]
        flagged = sum(it.reading.needs_review for it in items)
        failed = len(pages) - len(items)
        self.summary.value = (f"{len(items)} read, <b>{flagged} to review</b> (first)"
                              + (f", {failed} without digits" if failed else "")
                              + ". Type the right number and press Enter to accept it.")
        self.save_button.disabled = self.teach_button.disabled = not items
        if items:
            items[0].answer.focus()
        return items

    def _item(self, name: str, image: np.ndarray, reading: Reading) -> ReviewItem:
        answer = W.Text(value=reading.number, continuous_update=False,
                        layout=W.Layout(width="160px"))
        digits = "".join(f"<span style='color:{'#b00' if f else '#070'}'>{d}&nbsp;{c:.0%}</span> "
                         for d, c, f in zip(reading.digits, reading.confidences, reading.flagged))
        flag = "<b style='color:#b00'>review</b> " if reading.needs_review else ""
        label = W.HTML(f"{flag}<tt>{html.escape(Path(name).name)}</tt><br>"
                       f"read <b>{html.escape(reading.number)}</b>, confidence "
                       f"{reading.confidence:.0%}<br><small>{digits}</small>")
        picture = W.Image(value=boxes_png(image, reading), format="png",
                          layout=W.Layout(max_width="240px", max_height="120px",
                                          object_fit="contain"))
        ok = W.Button(description="accept", tooltip="accept this number (or press Enter)",
                      layout=W.Layout(width="70px"))
        card = W.VBox([picture, label, W.HBox([answer, ok])],
                      layout=W.Layout(border="2px solid #ccc", padding="4px"))
        item = ReviewItem(name, image, reading, answer, card)
        ok.on_click(lambda _: self.accept(item))
        with warnings.catch_warnings():
            # Enter in a text box: ipywidgets 8 still sends it, but calls the hook deprecated;
            # observing the value would miss an Enter that accepts the number unchanged
            warnings.simplefilter("ignore", DeprecationWarning)
            answer.on_submit(lambda _: self.accept(item))
        return item

    # --- reviewing ------------------------------------------------------------------------
    def accept(self, item: ReviewItem) -> None:
        """Accept the item's number as typed (Enter) and move to the next item."""
        if not item.number.isdigit():
            item.card.layout.border = "2px solid #d00"
            self.save_status.value = (f"<span style='color:red'>{html.escape(item.name)}: "
                                      f"'{html.escape(item.answer.value)}' is not a number"
                                      "</span>")
            return
        item.accepted = True
        item.card.layout.border = "2px solid #0a0"
        k = self.items.index(item)
        if k + 1 < len(self.items):
            self.items[k + 1].answer.focus()

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The CSV rows of the items not saved yet, or changed since they were."""
        rows = []
        for item in self.items:
            row = _row(item)
            if item.saved != (row[1], row[3]) and item.number.isdigit():
                rows.append(row)
        return rows

    def save(self) -> int:
        """Append the rows of the batch to the CSV (a changed item gets a newer row)."""
        from .export import append_rows

        rows = self.rows()
        path = Path(self.csv_path.value)
        append_rows(path, rows)
        for item in self.items:
            row = _row(item)
            item.saved = (row[1], row[3])
        corrected = sum(row[3] == CORRECTED for row in rows)
        self.save_status.value = (f"appended {len(rows)} rows to {html.escape(str(path))} "
                                  f"({corrected} corrected by hand)")
        return len(rows)

    # --- teaching -------------------------------------------------------------------------
    def teach(self, wait: bool = False) -> None:
        """Teach the current model the accepted items (in a thread, with a progress bar)."""
        from .teach import Examples, digit_examples

        accepted = [it for it in self.items if it.accepted]
        if not accepted:
            raise ValueError("accept some readings first (type the right number, press Enter)")
        pairs = [(it.name, it.number) for it in accepted]
        images = {it.name: it.image for it in accepted}
        examples: Examples = digit_examples(pairs, self.model(), load=images.__getitem__)
        if len(examples.labels) == 0:
            raise ValueError("no accepted image had as many digits found as its number has")
        thread = threading.Thread(target=self._teach, args=(examples, pairs, images),
                                  daemon=True)
        thread.start()
        if wait:
            thread.join()

    def _teach(self, examples, pairs, images) -> None:
        from .teach import teach, whole_number_accuracy

        epochs = self.epochs.value
        self.progress.max, self.progress.value = epochs, 0
        self.teach_button.disabled = True
        try:
            base = self.model()
            before = examples.read_right / len(pairs)  # a reading right is always used
            net = teach(base, examples, epochs=epochs, source="review",
                        on_epoch=lambda _, epoch: setattr(self.progress, "value", epoch))
            after = whole_number_accuracy(net, pairs, load=images.__getitem__)
            self.taught = net
            if self.use_model is not None:
                self.use_model(net, f"taught on {len(examples.used)} reviewed images")
            self.teach_status.value = (
                f"taught on {len(examples.labels)} digits of {len(examples.used)} images "
                f"({len(pairs) - len(examples.used)} left out: digit count did not match); "
                f"whole numbers right on the reviewed images: {before:.0%} before, "
                f"<b>{after:.0%} after</b>. The app now reads with the taught model.")
            self.save_model_button.disabled = False
        finally:
            self.teach_button.disabled = False

    def save_model(self) -> Path:
        """Save the taught model to the file named in ``model_file`` (never over a model it
        was loaded from: pick a new name)."""
        from .persist import save_model

        if self.taught is None:
            raise ValueError("teach a model first")
        path = Path(self.model_file.value.strip())
        if path.exists():
            raise ValueError(f"{path}: already exists; choose a new file name")
        save_model(self.taught, path)
        self.teach_status.value += f"<br>saved the taught model to {html.escape(str(path))}"
        return path
