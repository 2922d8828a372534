"""Interactive Jupyter apps (ipywidgets) for the notebooks and classroom demos.

* :class:`TrainOrLoad` — the paper's train-or-load switch: load the training history recorded
  with a shipped model, or train now with a live progress bar and accuracy curve.
* :class:`ReaderApp` — choose a model (shipped, a file, or train now), choose an image
  (an example or an upload, or draw one with the mouse when ``ipycanvas`` is installed), see the
  preprocessing and the segmented digits, the number with per-digit confidences (doubtful
  ones highlighted), and save ``(path, number)`` to a CSV file when the user asks; review a
  batch, flagged readings first, correct them and teach the model
  (:class:`mnistreader.review.ReviewPanel`).

All the work is done by methods that can be called without a browser (the tests do), so the
widgets only wire buttons to them.
"""

from __future__ import annotations

import html
import io
import threading
from pathlib import Path

import cv2
import ipywidgets as W
import matplotlib

import numpy as np

from .export import append_rows, reading_row
from .committee import networks_of
from .persist import ModelFileError, load_model, shipped_models
from .images import decode_image
from .preprocess import ImageError
from .reader import Reading, read_number
from .review import ReviewPanel
from .train import PRESETS, train

__all__ = ["TrainOrLoad", "ReaderApp", "figure_png", "recorded_history"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def figure_png(fig) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _image() -> W.Image:
    """An empty PNG image widget, hidden until :func:`_show` gives it a picture."""
    return W.Image(format="png", layout=W.Layout(display="none", max_width="720px"))


def _show(widget: W.Image, png: bytes) -> None:
    widget.value = png
    widget.layout.display = ""


def recorded_history(name: str) -> dict:
    """The per-epoch history recorded when the shipped model ``name`` was trained (its first
    network's, for a committee of networks)."""
    return networks_of(load_model(name))[0].meta["history"]


def _curve_png(history: dict, title: str) -> bytes:
    from .plots import plot_history

    with matplotlib.rc_context({"figure.figsize": (6, 3.2)}):
        fig = plot_history(history, label=title,
                           paper=title == "paper" and len(history["epoch"]) >= 100)
    return figure_png(fig)


class TrainOrLoad:
    """Load the recorded training history of a preset, or train it now, and plot the curves.

    Parameters
    ----------
    preset : str
        ``"paper"`` or ``"best"``.
    train_now : bool
        Initial position of the toggle.
    epochs : int
        Epochs when training now (the preset's full length by default).
    """

    def __init__(self, preset: str = "paper", train_now: bool = False, epochs: int | None = None):
        self.preset = preset
        self.mode = W.ToggleButtons(options=["Load recorded history", "Train now"],
                                    value="Train now" if train_now else "Load recorded history")
        full = PRESETS[preset].epochs
        self.epochs = W.IntSlider(value=epochs or full, min=1, max=full, description="epochs")
        self.run_button = W.Button(description="Run", button_style="primary")
        self.progress = W.IntProgress(min=0, max=1, description="progress")
        self.plot = _image()
        self.status = W.HTML()
        self.history: dict | None = None
        self.run_button.on_click(lambda _: self.run())
        self.widget = W.VBox([W.HBox([self.mode, self.epochs, self.run_button]),
                              self.progress, self.status, self.plot])

    def run(self) -> dict:
        """Do what the toggle says; return the history and show its curves."""
        if self.mode.value == "Train now":
            config = PRESETS[self.preset].replace(epochs=self.epochs.value)
            self.progress.max = config.epochs
            self.progress.value = 0

            def on_epoch(net, history):
                self.progress.value = len(history["epoch"])
                self.status.value = (f"epoch {history['epoch'][-1]}: test accuracy "
                                     f"{history['test_accuracy'][-1]:.4f}")
                _show(self.plot, _curve_png(history, self.preset))

            _, self.history = train(config, progress=False, on_epoch=on_epoch)
        else:
            self.history = recorded_history(self.preset)
            self.progress.max = self.progress.value = len(self.history["epoch"])
            self.status.value = (f"recorded history of the shipped <b>{self.preset}</b> model: "
                                 f"{len(self.history['epoch'])} epochs, final test accuracy "
                                 f"{self.history['test_accuracy'][-1]:.4f}")
        _show(self.plot, _curve_png(self.history, self.preset))
        return self.history

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class ReaderApp:
    """The interactive multi-digit reader, with the paper's train-or-load toggle.

    Parameters
    ----------
    csv_path : path-like
        Where "Save to CSV" appends ``path,number`` rows.
    examples : path-like
        Folder of example images to choose from.
    """

    def __init__(self, csv_path: str | Path = "readings.csv", examples: str | Path = EXAMPLES):
        self.model = load_model("best")
        self.model_name = "best (shipped)"
        self.reading: Reading | None = None
        self.image_name: str | None = None
        self._stop = threading.Event()
        self._build(Path(examples), str(csv_path))

    # --- widgets -------------------------------------------------------------------------
    def _build(self, examples: Path, csv_path: str) -> None:
        self.source = W.ToggleButtons(options=["Load shipped model", "Load model file",
                                               "Train now"], description="model")
        self.shipped = W.Dropdown(options=list(shipped_models()), value="best")
        self.model_file = W.Text(placeholder="path/to/model.npz")
        self.preset = W.Dropdown(options=list(PRESETS), value="paper", description="preset")
        self.epochs = W.IntSlider(value=5, min=1, max=350, description="epochs")
        self.model_button = W.Button(description="Use this model", button_style="primary")
        self.stop_button = W.Button(description="Stop training", disabled=True)
        self.progress = W.IntProgress(min=0, max=1)
        self.curve = _image()
        self.model_status = W.HTML(f"model: <b>{self.model_name}</b>")
        files = sorted(p for p in examples.glob("*") if p.suffix.lower() in (".png", ".jpg"))
        self.example = W.Dropdown(options=[(p.name, str(p)) for p in files], description="example")
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="Upload photo")
        self.read_button = W.Button(description="Read", button_style="success")
        self.steps_image = _image()
        self.reading_image = _image()
        self.result = W.HTML()
        self.csv_path = W.Text(value=csv_path, description="CSV file")
        self.save_button = W.Button(description="Save to CSV", disabled=True)
        self.save_status = W.HTML()

        self.source.observe(lambda _: self._show_source(), "value")
        self.model_button.on_click(lambda _: self._safe(self.choose_model))
        self.stop_button.on_click(lambda _: self._stop.set())
        self.read_button.on_click(lambda _: self._safe(self.read_selected))
        self.upload.observe(lambda _: self._safe(self.read_selected), "value")
        self.save_button.on_click(lambda _: self._safe(self.save))
        self.source_box = W.HBox([self.shipped])
        model_box = W.VBox([self.source, W.HBox([self.source_box, self.model_button,
                                                 self.stop_button]),
                            self.progress, self.model_status, self.curve])
        image_box = W.VBox([W.HBox([self.example, self.upload, self.read_button]),
                            self.reading_image, self.result, self.steps_image,
                            W.HBox([self.csv_path, self.save_button]), self.save_status])
        self.review = ReviewPanel(lambda: self.model, self.csv_path, self._use_taught)
        children = [model_box, image_box, self.review.widget]
        titles = ["1. Model", "2. Read a number", "3. Review and teach"]
        canvas = self._canvas_box()
        if canvas is not None:
            children.append(canvas)
            titles.append("4. Write with the mouse")
        self.widget = W.Tab(children=children)
        for i, title in enumerate(titles):
            self.widget.set_title(i, title)

    def _canvas_box(self):
        try:
            from ipycanvas import Canvas
        except ImportError:
            return None
        self.canvas = Canvas(width=560, height=160, sync_image_data=True)
        self._clear_canvas()
        self._drawing = False
        self.canvas.on_mouse_down(lambda x, y: self._pen(x, y, True))
        self.canvas.on_mouse_move(lambda x, y: self._pen(x, y, None))
        self.canvas.on_mouse_up(lambda x, y: self._pen(x, y, False))
        clear = W.Button(description="Clear")
        read = W.Button(description="Read drawing", button_style="success")
        clear.on_click(lambda _: self._clear_canvas())
        read.on_click(lambda _: self._safe(self.read_canvas))
        return W.VBox([self.canvas, W.HBox([clear, read])])

    def _clear_canvas(self) -> None:
        self.canvas.fill_style = "white"
        self.canvas.fill_rect(0, 0, self.canvas.width, self.canvas.height)
        self.canvas.stroke_style = "black"
        self.canvas.line_width = 9
        self.canvas.line_cap = "round"

    def _pen(self, x, y, down) -> None:
        if down is True:
            self._drawing, self._last = True, (x, y)
        elif down is False:
            self._drawing = False
        elif self._drawing:
            self.canvas.stroke_line(*self._last, x, y)
            self._last = (x, y)

    def _show_source(self) -> None:
        choice = self.source.value
        self.source_box.children = {"Load shipped model": [self.shipped],
                                    "Load model file": [self.model_file],
                                    "Train now": [self.preset, self.epochs]}[choice]
        self.model_button.description = "Train" if choice == "Train now" else "Use this model"

    def _safe(self, action) -> None:
        try:
            action()
        except (ImageError, ModelFileError, OSError, ValueError) as exc:
            self.result.value = f"<span style='color:red'>{html.escape(str(exc))}</span>"

    # --- actions (callable without a browser) ----------------------------------------------
    def choose_model(self, wait: bool = False) -> None:
        """Load or train the model the toggle names (training runs in a thread)."""
        choice = self.source.value
        if choice == "Load shipped model":
            self.model, self.model_name = load_model(self.shipped.value), f"{self.shipped.value} (shipped)"
        elif choice == "Load model file":
            path = self.model_file.value.strip()
            try:
                self.model, self.model_name = load_model(path), path
            except ModelFileError as exc:
                self.model_status.value = f"<span style='color:red'>{html.escape(str(exc))}</span>"
                return
        else:
            thread = threading.Thread(target=self._train, daemon=True)
            thread.start()
            if wait:
                thread.join()
            return
        self.model_status.value = f"model: <b>{html.escape(self.model_name)}</b>"

    def _use_taught(self, net, name: str) -> None:
        self.model, self.model_name = net, name
        self.model_status.value = f"model: <b>{html.escape(name)}</b>"

    def _train(self) -> None:
        config = PRESETS[self.preset.value].replace(epochs=self.epochs.value)
        self._stop.clear()
        self.progress.max, self.progress.value = config.epochs, 0
        self.model_button.disabled, self.stop_button.disabled = True, False

        def on_epoch(net, history):
            self.progress.value = len(history["epoch"])
            self.model_status.value = (f"training {config.name}: epoch {history['epoch'][-1]}, "
                                       f"test accuracy {history['test_accuracy'][-1]:.4f}")
            _show(self.curve, _curve_png(history, config.name))

        try:
            net, history = train(config, progress=False, on_epoch=on_epoch,
                                 stop=self._stop.is_set)
            self.model = net
            self.model_name = f"{config.name}, trained now ({len(history['epoch'])} epochs)"
            self.model_status.value = f"model: <b>{html.escape(self.model_name)}</b>"
        finally:
            self.model_button.disabled, self.stop_button.disabled = False, True

    def read_selected(self) -> Reading:
        """Read the uploaded photo if there is one, else the chosen example."""
        uploads = self.upload.value
        if uploads:
            item = uploads[0] if isinstance(uploads, (list, tuple)) else next(iter(uploads.values()))
            name = item.get("name", "upload") if isinstance(item, dict) else getattr(item, "name", "upload")
            return self.read_image(decode_image(bytes(item["content"]), name), name)
        return self.read_path(self.example.value)

    def read_path(self, path: str | Path) -> Reading:
        """Read an image file and show the result."""
        from .preprocess import load_image

        return self.read_image(load_image(path), str(path))

    def read_canvas(self) -> Reading:
        """Read what was written on the drawing canvas."""
        rgba = self.canvas.get_image_data()
        return self.read_image(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR), "drawing")

    def read_image(self, image: np.ndarray, name: str) -> Reading:
        """Read ``image``, show the steps, boxes and confidences; enable saving."""
        from .plots import show_reading, show_steps

        self.reading = read_number(image, self.model)
        self.image_name = name
        _show(self.reading_image, figure_png(show_reading(image, self.reading)))
        if self.reading.steps is not None:
            _show(self.steps_image, figure_png(show_steps(self.reading.steps, figsize=(8, 5))))
        cells = "".join(
            f"<td style='padding:4px;background:{'#fbb' if flag else '#bfb'}'>"
            f"<b style='font-size:20px'>{d}</b><br>{c:.0%}</td>"
            for d, c, flag in zip(self.reading.digits, self.reading.confidences,
                                  self.reading.flagged))
        warning = ("<br><span style='color:#b00'>Not sure enough: check the number (red digits "
                   "are the doubtful ones) before saving.</span>"
                   if self.reading.needs_review else "")
        self.result.value = (f"<h3>{html.escape(name)}: {self.reading.number}</h3>"
                             f"<table><tr>{cells}</tr></table>"
                             f"confidence {self.reading.confidence:.0%}{warning}")
        self.save_button.disabled = False
        self.save_status.value = ""
        return self.reading

    def save(self) -> Path:
        """Append ``(image, number, confidence, review)`` to the CSV file (the user's consent
        is the click)."""
        if self.reading is None:
            raise ValueError("read a number first")
        path = Path(self.csv_path.value)
        append_rows(path, [reading_row(self.image_name, self.reading)])
        self.save_status.value = f"saved <b>{html.escape(self.reading.number)}</b> to {path}"
        return path

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
