"""Synthetic training documents: numbers written the way real ones are, with a ground truth.

:mod:`mnistreader.synth` lays MNIST digits side by side on clean paper, for examples and the
benchmark. Real numbers are messier, and the reader learns what they look like from
:func:`compose_document`: MNIST *training* digits (never the test set) written in one line with
touching and overlapping neighbours, strokes the pen skipped, slant, pen widths, faint pencil,
European styles made by distortion (the 1 with a long upstroke, the crossed 7, loops shrunk or
grown), joined-up writing (a stroke from the foot of a digit to the next), small raised
trailing digits, group separators and trailing dashes, words and marks around the number,
underlines, ruled and boxed paper, bands, stains and security textures
(:mod:`mnistreader.clutter`). Every pixel's *owner* is kept: the digit it belongs to (0, 1, 2,
... in writing order), :data:`~mnistreader.clutter.CLUTTER`, or -1 for paper, so that every
candidate the segmenter proposes can be labelled right or wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from . import clutter
from .synth import random_digits

__all__ = ["Document", "compose_document", "make_documents", "european", "pen_skip"]


@dataclass
class Document:
    """A synthetic number image and its ground truth."""

    image: np.ndarray = field(repr=False)  # BGR uint8
    text: str  # the digits, in writing order
    owner: np.ndarray = field(repr=False)  # int16: digit index, CLUTTER or -1, per pixel
    height: float = 0.0  # the digits' height, pixels


def european(glyph: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """Redraw an MNIST digit (0-255 coverage, tight) in a style MNIST rarely shows.

    A 1 gets a long upstroke from its top, a 7 a bar across its stem; any digit may have its
    upper half shrunk or grown (the small-looped 9 of old ledgers, a big-bellied 6).
    """
    h, w = glyph.shape
    out = glyph.copy()
    stroke = max(1, int(round(np.count_nonzero(glyph > 100) / max(h, 1) / 1.6)))
    if label == 1 and rng.random() < 0.6:
        ys, xs = np.nonzero(glyph[: max(1, h // 6)] > 100)
        if len(xs):
            pad = int(0.45 * h)
            out = cv2.copyMakeBorder(out, 0, 0, pad, 0, cv2.BORDER_CONSTANT)
            top = (int(xs.mean()) + pad, int(ys.min()))
            angle = np.deg2rad(rng.uniform(25, 60))
            length = rng.uniform(0.25, 0.5) * h
            end = (int(top[0] - np.sin(angle) * length), int(top[1] + np.cos(angle) * length))
            cv2.line(out, top, end, 255, stroke, cv2.LINE_AA)
    elif label == 7 and rng.random() < 0.6:
        y = int(rng.uniform(0.45, 0.6) * h)
        row = np.nonzero(glyph[y] > 100)[0]
        if len(row):
            cx, half = int(row.mean()), int(rng.uniform(0.2, 0.35) * h)
            cv2.line(out, (cx - half, y), (cx + half, y + int(rng.uniform(-2, 2))), 255, stroke,
                     cv2.LINE_AA)
    if rng.random() < 0.5:  # move the waist: y -> y + a * y * (1 - y)
        a = rng.uniform(-0.25, 0.25)
        t = np.linspace(0, 1, out.shape[0], dtype=np.float32)
        src = np.clip(t - a * t * (1 - t), 0, 1) * (out.shape[0] - 1)
        gx, gy = np.meshgrid(np.arange(out.shape[1], dtype=np.float32), src)
        out = cv2.remap(out, gx, gy, cv2.INTER_LINEAR)
    return out


def _tight(digit: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(digit > 30)
    if len(ys) == 0:
        return digit
    return digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


#: the share of digits whose stroke the pen skips somewhere (:func:`pen_skip`)
SKIP_RATE = 0.15


def pen_skip(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The glyph with a gap across its stroke, as a pen skipping, a faint stroke or a crease
    leaves: a band 4-10% of its height wide at any angle, through a point in its middle."""
    out = glyph.copy()
    gh, gw = out.shape
    cx, cy = rng.uniform(0.2, 0.8) * gw, rng.uniform(0.2, 0.8) * gh
    angle = rng.uniform(0, np.pi)
    dx, dy = np.cos(angle) * (gw + gh), np.sin(angle) * (gw + gh)
    width = max(1, int(round(rng.uniform(0.04, 0.1) * gh)))
    cv2.line(out, (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy)), 0, width)
    return out if (out > 30).any() else glyph


def _glyph(digit: np.ndarray, label: int, height: float, shear: float, pen: int,
           rng: np.random.Generator) -> np.ndarray:
    """One digit as 0-1 ink coverage, ``height`` pixels tall, slanted, in the pen's width."""
    glyph = _tight(np.asarray(digit, np.uint8))
    if rng.random() < 0.25:
        glyph = european(glyph, label, rng)
        glyph = _tight(glyph)
    scale = height / glyph.shape[0]
    squeeze = rng.uniform(0.8, 1.2)
    glyph = cv2.resize(glyph, (max(1, round(glyph.shape[1] * scale * squeeze)),
                               max(1, round(height))), interpolation=cv2.INTER_CUBIC)
    if pen > 0:
        glyph = cv2.dilate(glyph, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (pen + 1,) * 2))
    elif pen < 0 and height > 30:
        thinner = cv2.erode(glyph, np.ones((2, 2), np.uint8))
        glyph = thinner if thinner.max() > 100 else glyph
    if rng.random() < SKIP_RATE:
        glyph = pen_skip(glyph, rng)
    gh, gw = glyph.shape
    pad = int(abs(shear) * gh) + 1
    matrix = np.float32([[1, -shear, pad + shear * gh / 2], [0, 1, 0]])
    glyph = cv2.warpAffine(glyph, matrix, (gw + 2 * pad, gh), flags=cv2.INTER_LINEAR)
    return _tight(glyph).astype(np.float32) / 255.0


def _place(ink, owner, glyph, x: int, y: int, who: int) -> None:
    h, w = glyph.shape
    h, w = min(h, ink.shape[0] - y), min(w, ink.shape[1] - x)
    if h <= 0 or w <= 0:
        return
    g = glyph[:h, :w]
    np.maximum(ink[y:y + h, x:x + w], g, out=ink[y:y + h, x:x + w])
    region = owner[y:y + h, x:x + w]
    region[(g > 0.4) & (region < 0)] = who


def _ligature(ink, owner, left, right, width: int, who: int, rng: np.random.Generator) -> None:
    """A joining stroke from the foot of one digit to the next, as in joined-up writing.

    It is written as the end of the first digit, so it belongs to that digit.
    """
    x0 = left[0] + left[2] * rng.uniform(0.6, 0.95)
    y0 = left[1] + left[3] * rng.uniform(0.75, 1.0)
    x1 = right[0] + right[2] * rng.uniform(0.0, 0.3)
    y1 = right[1] + right[3] * rng.uniform(0.4, 0.9)
    t = np.linspace(0, 1, 12)
    sag = rng.uniform(0.0, 0.15) * left[3]
    xs = x0 + (x1 - x0) * t
    ys = y0 + (y1 - y0) * t + sag * np.sin(np.pi * t)
    layer = np.zeros(ink.shape, np.uint8)
    pts = np.round(np.stack([xs, ys], 1)).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(layer, [pts], False, 255, max(1, width), cv2.LINE_AA)
    np.maximum(ink, layer.astype(np.float32) / 255.0, out=ink)
    owner[(layer > 90) & (owner < 0)] = who


def compose_document(digits, labels, rng: np.random.Generator, *, height: float | None = None,
                     busy: float = 0.5) -> Document:
    """Write the digits ``digits`` (MNIST images, labels ``labels``) as one real-looking number.

    Parameters
    ----------
    digits : sequence of numpy.ndarray
        ``(28, 28)`` uint8 MNIST digits, in writing order.
    labels : sequence of int
        Their digits.
    height : float, optional
        Digit height in pixels (random 16-72 by default).
    busy : float
        How much clutter: the probability of each kind of mark (0 for none).
    """
    rng = np.random.default_rng(rng)
    n = len(digits)
    H = float(height or rng.uniform(16, 72))
    shear = rng.uniform(-0.4, 0.3)
    pen = int(rng.choice([-1, 0, 0, 0, 1, 2])) if H > 24 else int(rng.choice([0, 0, 1]))
    touch = rng.uniform(0, 0.7) if rng.random() < 0.6 else 0.0
    joined = rng.uniform(0.3, 1.0) if rng.random() < 0.3 else 0.0  # joined-up writing
    raised = n >= 3 and rng.random() < 0.12 * busy * 2  # small raised trailing digits
    groups = n >= 5 and rng.random() < busy * 0.5
    margin_x, margin_y = (rng.uniform(0.3, 2.5, 2) * H).astype(int)
    width = int(n * 1.6 * H + 6 * H + 2 * margin_x)
    canvas_h = int(2.2 * H + 2 * margin_y + (H if rng.random() < 0.3 * busy else 0))
    ink = np.zeros((canvas_h, width), np.float32)
    owner = np.full((canvas_h, width), -1, np.int16)
    base = int(margin_y + 1.2 * H)
    x = float(margin_x)
    pen_px = max(1, int(round(H / 14)) + max(pen, 0))
    if rng.random() < 0.2 * busy:  # a word before the number: "No", "kr", "$"
        x = clutter.draw_text(ink, owner, None, x, base, H, rng) + rng.uniform(0.2, 0.6) * H
    boxes = []
    for k, (digit, label) in enumerate(zip(digits, labels)):
        small = raised and k >= n - 2
        h = H * (rng.uniform(0.45, 0.7) if small else rng.uniform(0.85, 1.1))
        glyph = _glyph(digit, int(label), h, shear + rng.uniform(-0.05, 0.05), pen, rng)
        top = base - (H if small else h) + int(rng.uniform(-0.08, 0.08) * H)
        top = int(np.clip(top, 0, canvas_h - glyph.shape[0]))
        _place(ink, owner, glyph, int(x), top, k)
        if boxes and rng.random() < joined:
            _ligature(ink, owner, boxes[-1], (int(x), top, glyph.shape[1], glyph.shape[0]),
                      pen_px, k - 1, rng)
        boxes.append((int(x), top, glyph.shape[1], glyph.shape[0]))
        x += glyph.shape[1]
        if k == n - 1:
            break
        if groups and (n - 1 - k) % 3 == 0:
            mark = str(rng.choice([".", ",", "'", " ", "-"]))
            x += rng.uniform(0.05, 0.2) * H
            if mark == " ":
                x += 0.4 * H
            elif mark == "'":
                clutter.draw_mark(ink, owner, ",", x, base - 0.8 * H, H, pen_px, rng)
                x += 0.2 * H
            else:
                x = clutter.draw_mark(ink, owner, mark, x, base, H, pen_px, rng)
            x += rng.uniform(0.05, 0.2) * H
        elif rng.random() < touch:
            x -= rng.uniform(0.0, 0.2) * H  # touching or overlapping the next digit
        else:
            x += rng.uniform(0.05, 0.5) * H
    x += rng.uniform(0.05, 0.3) * H
    if rng.random() < 0.35 * busy:  # a trailing mark: ".-", ",-", "=", "/"
        x = clutter.draw_mark(ink, owner, str(rng.choice(clutter.MARKS)), x, base, H, pen_px, rng)
    if rng.random() < 0.1 * busy:
        clutter.draw_flourish(ink, owner, x, base, H, pen_px, rng)
    if rng.random() < 0.4 * busy:
        clutter.draw_underline(ink, owner, margin_x, x, base, H, pen_px, rng)
    if rng.random() < 0.15 * busy:  # a tick or cross above, below or beside the number
        where = rng.integers(0, 3)
        bx = rng.uniform(margin_x, max(margin_x + 1, x))
        by = base + (-1.3 * H if where == 0 else 1.0 * H if where == 1 else 0.0)
        clutter.draw_mark(ink, owner, str(rng.choice(["+", "x", "tick", "*"])),
                          bx if where < 2 else x + 0.3 * H, by, H, pen_px, rng)
    if rng.random() < 0.2 * busy:  # printed small print on a line of its own
        y = base + 0.8 * H + rng.uniform(0.3, 0.8) * H
        if y < canvas_h - 2:
            clutter.draw_text(ink, owner, None, rng.uniform(0, margin_x + H), y,
                              H * rng.uniform(0.3, 0.6), rng)
    right = min(width, int(x + margin_x + 0.5 * H))
    ink, owner = ink[:, :right], owner[:, :right]
    dark = clutter.paper_marks(ink.shape, owner, boxes, H, rng, busy=busy)
    image = _render(ink, dark, rng)
    return Document(image=image, text="".join(str(int(v)) for v in labels), owner=owner,
                    height=H)


def _render(ink: np.ndarray, dark: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Paper with printed marks ``dark`` and written ``ink``: colours, pencil, light, JPEG."""
    h, w = ink.shape
    paper = rng.uniform(170, 250)
    tint = np.array([paper] * 3, np.float32) + rng.uniform(-15, 5, 3)
    page = np.ones((h, w, 1), np.float32) * tint
    printed = rng.uniform(10, 80)
    page = page * (1 - dark[..., None]) + printed * dark[..., None]
    pencil = rng.random() < 0.2
    if pencil:  # faint, grainy graphite
        color = np.full(3, rng.uniform(60, 140), np.float32)
        strength = rng.uniform(0.5, 0.9)
        grain = np.clip(1 - clutter.noise(rng).random((h, w)).astype(np.float32) * 0.5, 0, 1)
        alpha = ink * strength * grain
    else:
        color = np.array(rng.choice([[25, 25, 25], [150, 40, 20], [40, 40, 170], [20, 70, 20],
                                     [90, 60, 40]]), np.float32) + rng.uniform(-15, 15, 3)
        alpha = ink * rng.uniform(0.7, 1.0)
    image = page * (1 - alpha[..., None]) + color * alpha[..., None]
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * gx / max(w, 1) + np.sin(angle) * gy / max(h, 1)
    light = 1.0 - rng.uniform(0, 0.35) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    grain = clutter.noise(rng).normal(0, rng.uniform(1, 6), (h, w, 1))
    image = image * light[..., None] + grain
    if rng.random() < 0.3:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.2))
    image = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return image


def make_documents(count: int, seed: int | np.random.Generator = 0, *,
                   lengths: tuple[int, int] = (1, 10), split: str = "train",
                   busy: float = 0.5) -> list[Document]:
    """Make ``count`` synthetic documents from MNIST ``split`` digits (training by default).

    Parameters
    ----------
    lengths : (int, int)
        Fewest and most digits.
    busy : float
        Clutter level (see :func:`compose_document`).
    """
    rng = np.random.default_rng(seed)
    return [compose_document(digits, labels, rng, busy=busy)
            for digits, labels in random_digits(count, rng, lengths, split)]
