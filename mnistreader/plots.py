"""Figures for the notebooks: preprocessing steps, segmentation, the network, curves, sweeps.

Every function draws with matplotlib and returns the figure (or takes an ``ax`` to draw in),
so a notebook only calls and shows.
"""

from __future__ import annotations

import cv2
import matplotlib.pyplot as plt
import numpy as np

from .preprocess import Preprocessed
from .normalize import add_border

__all__ = ["show_steps", "show_reading", "show_digits", "draw_network", "plot_history",
           "plot_sweep", "show_lattice", "plot_reliability", "show_gallery", "PAPER_POINTS",
           "to_rgb"]

#: What the paper reports: (epoch, accuracy) for test and train.
PAPER_POINTS = {"test": [(1, 0.3314), (350, 0.92)], "train": [(350, 0.95)]}


def to_rgb(image: np.ndarray) -> np.ndarray:
    """A BGR/BGRA/gray image as RGB for matplotlib."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def show_steps(steps: Preprocessed, *, figsize=(10, 7)):
    """The paper's figures 4-7 and ours: sample, grayscale, binarized, inverted, rules removed,
    dilated."""
    panels = [("Sample image (fig. 4)", to_rgb(steps.original)),
              ("Grayscale (fig. 5)", steps.gray), ("Binarized (fig. 6)", steps.binary),
              ("Inverted", steps.inverted), ("Ruled lines removed", steps.cleaned),
              ("Dilated (fig. 7)", steps.dilated)]
    fig, axes = plt.subplots(3, 2, figsize=figsize)
    for ax, (title, image) in zip(axes.flat, panels):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    return fig


def show_reading(image: np.ndarray, reading, *, ax=None, review_color="red"):
    """The image with each digit's box, its digit and confidence (doubtful ones in red)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3))
    ax.imshow(to_rgb(image) if image.ndim == 3 else image, cmap="gray")
    for (x, y, w, h), digit, conf, flag in zip(reading.boxes, reading.digits,
                                               reading.confidences, reading.flagged):
        color = review_color if flag else "lime"
        ax.add_patch(plt.Rectangle((x, y), w, h, fill=False, color=color, lw=2))
        ax.text(x, y - 3, f"{digit} ({conf:.0%})", color=color, fontsize=10, weight="bold",
                va="bottom")
    ax.set_title(f"read: {reading.number}" + ("   (check the red digits)"
                                              if reading.needs_review else ""))
    ax.axis("off")
    return ax.figure


def show_digits(segmentation, mnist_examples: np.ndarray | None = None):
    """Each segmented digit: the crop, with the paper's border, and normalised like MNIST.

    With ``mnist_examples`` (some 28x28 MNIST digits), a last row shows real MNIST digits for
    comparison.
    """
    digits = segmentation.digits
    rows = 3 + (mnist_examples is not None)
    fig, axes = plt.subplots(rows, len(digits), figsize=(1.3 * len(digits), 1.4 * rows),
                             squeeze=False)
    labels = ["segmented", "border added\n(paper)", "MNIST-style\n(ours)", "real MNIST"]
    for i, digit in enumerate(digits):
        images = [digit.mask, add_border(digit.mask), digit.image]
        if mnist_examples is not None:
            images.append(mnist_examples[i % len(mnist_examples)])
        for row, image in enumerate(images):
            axes[row, i].imshow(image, cmap="gray")
            axes[row, i].set_xticks([])
            axes[row, i].set_yticks([])
    for row in range(rows):
        axes[row, 0].set_ylabel(labels[row], fontsize=8)
    fig.tight_layout()
    return fig


def draw_network(sizes=(784, 75, 10), *, ax=None, shown: int = 8):
    """Draw a fully connected network, at most ``shown`` neurons per layer (the rest '...')."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    names = ["input"] + ["hidden"] * (len(sizes) - 2) + ["output"]
    positions = []
    for layer, size in enumerate(sizes):
        count = min(size, shown)
        ys = np.linspace(0.9, 0.1, count) if count > 1 else np.array([0.5])
        positions.append([(layer, y) for y in ys])
        ax.text(layer, 0.99, f"{names[layer]}\n{size}", ha="center", va="bottom", fontsize=10)
        if size > count:
            ax.text(layer, 0.03, "...", ha="center", fontsize=14)
    for left, right in zip(positions[:-1], positions[1:]):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.plot([x0, x1], [y0, y1], color="0.8", lw=0.5, zorder=1)
    for layer in positions:
        xs, ys = zip(*layer)
        ax.scatter(xs, ys, s=120, color="tab:blue", zorder=2, edgecolor="k")
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(0, 1.12)
    ax.axis("off")
    ax.set_title(" - ".join(map(str, sizes)) + " fully connected network")
    return ax.figure


def plot_history(history: dict, *, ax=None, label: str = "", paper: bool = False):
    """Train and test accuracy per epoch; with ``paper``, the paper's reported points."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    epochs = history["epoch"]
    ax.plot(epochs, history["train_accuracy"], label=f"{label} train".strip())
    ax.plot(epochs, history["test_accuracy"], label=f"{label} test".strip())
    if paper:
        for split, marker in (("test", "o"), ("train", "s")):
            xs, ys = zip(*PAPER_POINTS[split])
            ax.scatter(xs, ys, marker=marker, color="k", zorder=3, label=f"paper {split}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax.figure


def plot_sweep(results: list[dict], *, figsize=(12, 4.5)):
    """Heatmap of test accuracy over learning rate x hidden size, and the test curves."""
    lrs = sorted({r["lr"] for r in results})
    hiddens = sorted({r["hidden"] for r in results})
    grid = np.full((len(hiddens), len(lrs)), np.nan)
    for r in results:
        grid[hiddens.index(r["hidden"]), lrs.index(r["lr"])] = r["test_accuracy"]
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize)
    shown = left.imshow(grid, cmap="viridis", origin="lower", aspect="auto")
    for i in range(len(hiddens)):
        for j in range(len(lrs)):
            if not np.isnan(grid[i, j]):
                left.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", color="w",
                          fontsize=8)
    left.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
    left.set_yticks(range(len(hiddens)), hiddens)
    left.set_xlabel("learning rate")
    left.set_ylabel("hidden neurons")
    left.set_title("test accuracy")
    fig.colorbar(shown, ax=left)
    for r in results:
        if r["hidden"] == 75 or r["lr"] == 0.002:
            right.plot(range(1, len(r["test_curve"]) + 1), r["test_curve"],
                       label=f"lr {r['lr']:g}, hidden {r['hidden']}")
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy")
    right.set_title("curves through the paper's choice (hidden 75 or lr 0.002)")
    right.legend(fontsize=7, ncol=2)
    right.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def show_lattice(line_reading, image: np.ndarray, *, figsize=(12, 7), top: int = 3):
    """How a line was read: its pieces and cuts, the lattice of candidates, the chosen path.

    Parameters
    ----------
    line_reading : mnistreader.segment.LineReading
        One line of ``reading.segmentation.readings``.
    image : numpy.ndarray
        The working image the line was found in (``reading.steps.gray``).
    top : int
        Candidates per piece drawn besides the chosen ones (the best scored).
    """
    from matplotlib.patches import Arc

    line, best = line_reading.line, line_reading.best
    x0, y0, w, h = line.box
    fig, (upper, lower) = plt.subplots(2, 1, figsize=figsize, height_ratios=[1, 1.3])
    crop = image[y0:y0 + h, x0:x0 + w]
    colours = plt.cm.tab10(np.arange(len(line.boxes)) % 10)
    shown = np.dstack([crop / 255.0] * 3)
    for k in range(len(line.boxes)):
        shown[line.pieces == k + 1] = colours[k, :3] * 0.8
    upper.imshow(shown)
    straight = [] if line.paths else np.flatnonzero(  # cuts along paths are not drawn
        line.cut[:-1] & line.cut[1:] & (line.component[:-1] == line.component[1:]))
    for k in straight:
        x = line.extents[k, 1] + 0.5  # a cut, along the slant of the writing
        upper.plot([x + line.slant * (0 - h / 2), x + line.slant * (h - h / 2)], [0, h],
                   color="k", ls="--", lw=1)
    upper.set_title(f"{len(line.boxes)} pieces (colours), " + (
        "cut along paths of least ink" if line.paths else "cut along the slant (dashes)"))
    upper.axis("off")
    chosen = set(best.spans) if best else set()
    score = np.log(line_reading.probs.max(axis=1) + 1e-6)
    keep = set()
    for i in range(len(line.boxes)):
        starting = [k for k, (a, _) in enumerate(line.spans.tolist()) if a == i]
        keep.update(sorted(starting, key=lambda k: -score[k])[:top])
    for k, (i, j) in enumerate(line.spans.tolist()):
        if k not in keep and (i, j) not in chosen:
            continue
        bold = (i, j) in chosen
        centre, width = (i + j) / 2, j - i
        lower.add_patch(Arc((centre, 0), width, width * 0.9, theta1=0, theta2=180,
                            color="tab:green" if bold else plt.cm.Greys(0.3 + 0.5 * np.exp(score[k])),
                            lw=3 if bold else 1))
        lower.text(centre, width * 0.45 + 0.05, str(int(line_reading.probs[k].argmax())),
                   ha="center", fontsize=9, color="tab:green" if bold else "0.4",
                   weight="bold" if bold else None)
    for k in (best.skipped if best else ()):
        lower.plot([k, k + 1], [0, 0], color="tab:red", lw=4)
    lower.set_xlim(-0.3, len(line.boxes) + 0.3)
    lower.set_ylim(-0.2, min(4, len(line.boxes)) * 0.5 + 0.4)
    lower.set_xticks(range(len(line.boxes) + 1))
    lower.set_yticks([])
    lower.set_xlabel("boundaries between pieces")
    lower.set_title("candidate digits (arcs, with their likeliest digit), the chosen path "
                    f"(green: {best.text if best else '-'}), skipped pieces (red)")
    fig.tight_layout()
    return fig


def plot_reliability(confidence, right, *, ax=None, bins: int = 10, label: str = ""):
    """Reliability diagram: how often readings are right against their stated confidence."""
    confidence, right = np.asarray(confidence, float), np.asarray(right, bool)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
    centres, rates, counts = [], [], []
    for b in range(bins):
        inside = which == b
        if inside.any():
            centres.append(confidence[inside].mean())
            rates.append(right[inside].mean())
            counts.append(int(inside.sum()))
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    ax.plot(centres, rates, marker="o", label=label or None)
    for c, r, n in zip(centres, rates, counts):
        ax.annotate(str(n), (c, r), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("confidence of the reading")
    ax.set_ylabel("share of readings that are right")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    if label:
        ax.legend(fontsize=8)
    return ax.figure


def show_gallery(images, titles, *, columns: int = 4, figsize_per=(3.0, 1.6)):
    """A grid of images with a title each (for failures before and after a change)."""
    rows = max(1, (len(images) + columns - 1) // columns)
    fig, axes = plt.subplots(rows, columns, squeeze=False,
                             figsize=(figsize_per[0] * columns, figsize_per[1] * rows))
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles):
        ax.imshow(to_rgb(image) if image.ndim == 3 else image, cmap="gray")
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig
