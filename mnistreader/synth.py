"""Make realistic images of multi-digit numbers from MNIST digits, with their true numbers.

Used for the ``examples/`` folder and the accuracy benchmark. Digits come from the MNIST *test*
set by default, so a network trained on the training set has never seen them. Each image gets
random spacing, slant, digit size, stroke width, ink colour, paper texture, uneven lighting and
JPEG noise; ``style`` chooses clean gaps, touching digits or digits with broken strokes.
"""

from __future__ import annotations

import cv2
import numpy as np

from .data import load_mnist

__all__ = ["compose_number", "make_numbers", "boxed_digit", "make_boxed_digits", "boxed_number",
           "make_boxed_numbers", "make_framed_numbers", "on_squared_paper", "random_digits",
           "write_examples", "STYLES", "GRIDS"]

STYLES = ("clean", "touching", "broken")


def _tight(digit: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(digit > 30)
    return digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _sized(digit: np.ndarray, height: float, factor: float) -> np.ndarray:
    """An MNIST digit cropped tight and scaled to ``height`` times ``factor`` pixels tall."""
    glyph = _tight(np.asarray(digit, np.uint8))
    scale = height / glyph.shape[0] * factor
    return cv2.resize(glyph, (max(1, round(glyph.shape[1] * scale)),
                              max(1, round(glyph.shape[0] * scale))), interpolation=cv2.INTER_CUBIC)


def _slant(digit: np.ndarray, shear: float) -> np.ndarray:
    h, w = digit.shape
    pad = int(abs(shear) * h) + 1
    matrix = np.float32([[1, -shear, pad + shear * h / 2], [0, 1, 0]])
    return cv2.warpAffine(digit, matrix, (w + 2 * pad, h), flags=cv2.INTER_LINEAR)


def _break(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Erase a thin band across the digit, as a pen skipping or a faint stroke does."""
    out = digit.copy()
    h, w = out.shape
    thickness = max(1, h // 14)
    if rng.random() < 0.5:
        y = int(rng.uniform(0.2, 0.45) * h)
        out[y:y + thickness] = 0
    else:
        x = int(rng.uniform(0.3, 0.7) * w)
        out[:, x:x + thickness] = 0
    return out


def compose_number(digits: list[np.ndarray], rng: np.random.Generator, *,
                   style: str = "clean", height: int | None = None,
                   jpeg: bool = True) -> np.ndarray:
    """Lay MNIST digit images side by side as one handwritten number on paper.

    Parameters
    ----------
    digits : list of numpy.ndarray
        ``(28, 28)`` uint8 MNIST digits (white on black), in writing order.
    rng : numpy.random.Generator
        Source of all randomness.
    style : {"clean", "touching", "broken"}
        Clear gaps between digits; neighbours touching; strokes broken by a gap.
    height : int, optional
        Digit height in pixels (random 28-64 by default).
    jpeg : bool
        Pass the result through JPEG compression.

    Returns
    -------
    numpy.ndarray
        ``(h, w, 3)`` uint8 BGR image, dark ink on light paper.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    height = int(height or rng.integers(28, 65))
    shear = rng.uniform(-0.25, 0.25)
    bold = rng.random() < 0.3
    glyphs = []
    for digit in digits:
        glyph = _sized(digit, height, rng.uniform(0.9, 1.1))
        if bold:
            glyph = cv2.dilate(glyph, np.ones((2, 2), np.uint8))
        glyph = _slant(glyph, shear)
        if style == "broken" and rng.random() < 0.5:
            glyph = _break(glyph, rng)
        glyphs.append(_tight(glyph) if glyph.max() > 30 else glyph)
    margin = height // 2
    canvas_h = max(g.shape[0] for g in glyphs) + 2 * margin
    width = sum(g.shape[1] for g in glyphs) + height * len(glyphs) + 2 * margin
    ink = np.zeros((canvas_h, width), np.uint8)
    x = margin
    for i, glyph in enumerate(glyphs):
        y = margin + int(rng.integers(-height // 10, height // 10 + 1))
        y = min(max(y, 0), canvas_h - glyph.shape[0])
        h, w = glyph.shape
        np.maximum(ink[y:y + h, x:x + w], glyph, out=ink[y:y + h, x:x + w])
        if style == "touching" and i % 2 == 0:
            gap = -int(rng.integers(1, max(2, height // 10) + 1))
        else:
            gap = int(rng.uniform(0.15, 0.45) * height)
        x = max(margin, x + w + gap)
    ink = ink[:, :x - gap + margin] if x - gap + margin < width else ink
    return _render(ink, rng, jpeg)


def _render(ink: np.ndarray, rng: np.random.Generator, jpeg: bool) -> np.ndarray:
    """Print an ink mask on textured, unevenly lit paper in a random pen colour."""
    h, w = ink.shape
    paper = rng.uniform(200, 245)
    texture = cv2.GaussianBlur(rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 1.2)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * gx / max(w, 1) + np.sin(angle) * gy / max(h, 1))
    light = 1.0 - rng.uniform(0, 0.3) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    pen = np.array(rng.choice([[30, 30, 30], [140, 40, 20], [40, 40, 160], [20, 60, 20]]),
                   np.float32) + rng.uniform(-15, 15, 3)
    alpha = (ink.astype(np.float32) / 255.0)[:, :, None] * rng.uniform(0.75, 1.0)
    background = (paper + texture)[:, :, None] * np.ones(3, np.float32)
    image = background * (1 - alpha) + pen * alpha
    image = np.clip(image * light[:, :, None], 0, 255).astype(np.uint8)
    return _jpeg(image, rng) if jpeg else image


def _jpeg(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image after JPEG compression at a random quality."""
    quality = int(rng.integers(55, 92))
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def boxed_digit(digit: np.ndarray, rng: np.random.Generator, *, faint: bool = True,
                box: bool = True, size: int = 28) -> np.ndarray:
    """An MNIST digit as an exam answer box holds it: a grey crop of pencil on paper.

    Parameters
    ----------
    digit : numpy.ndarray
        ``(28, 28)`` uint8 MNIST digit (white on black).
    faint : bool
        Pencil-faint strokes (35-70% dark) instead of pen (90%).
    box : bool
        The box's printed edges in the crop: each side, with probability 0.7, a 1-pixel line
        (grey 60-150) on the crop's border or one pixel inside it.
    size : int
        Side of the crop: drawn at 28 pixels, then scaled (as scanned at a finer resolution).

    Returns
    -------
    numpy.ndarray
        ``(size, size)`` uint8 grayscale, dark ink on light paper.
    """
    paper = rng.uniform(200, 245)
    dark = rng.uniform(0.35, 0.7) if faint else 0.9
    image = paper * (1 - dark * np.asarray(digit, np.float32) / 255)
    if box:
        grey = rng.uniform(60, 150)
        for side in range(4):
            if rng.random() < 0.7:
                k = int(rng.integers(0, 2))
                line = (slice(k, k + 1), slice(27 - k, 28 - k))[side % 2]
                if side < 2:
                    image[line, :] = grey
                else:
                    image[:, line] = grey
    image += rng.normal(0, 4, image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    if size != 28:
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC)
    return image


def boxed_number(digits: list[np.ndarray], rng: np.random.Generator, *,
                 height: int | None = None, tilt: float = 0.0, overshoot: float = 0.0,
                 jpeg: bool = True) -> np.ndarray:
    """Write MNIST digits in a form's row of printed boxes (a comb), one digit in each.

    The boxes are printed before anyone writes in them: equal, level, 1-3 pixels of grey or
    coloured line, side by side with shared sides or apart; each digit is written inside its
    box, a little off centre, sometimes touching an edge.

    Parameters
    ----------
    digits : list of numpy.ndarray
        ``(28, 28)`` uint8 MNIST digits (white on black), in writing order.
    rng : numpy.random.Generator
        Source of all randomness.
    height : int, optional
        Digit height in pixels (random 28-64 by default).
    tilt : float
        The form is photographed turned by up to this many degrees either way.
    overshoot : float
        The share of digits written across their box's top or bottom edge, a sixth to two
        fifths of the digit outside (writers do not always keep inside the box).

    Returns
    -------
    numpy.ndarray
        ``(h, w, 3)`` uint8 BGR image, dark ink and printed boxes on light paper.
    """
    height = int(height or rng.integers(28, 65))
    box_w, box_h = int(rng.uniform(0.95, 1.4) * height), int(rng.uniform(1.2, 1.6) * height)
    gap = 0 if rng.random() < 0.5 else int(rng.uniform(0.05, 0.5) * height)
    thick = int(rng.integers(1, 4))
    margin = height
    n = len(digits)
    width = 2 * margin + n * box_w + (n - 1) * gap + thick
    canvas_h = 2 * margin + box_h + thick
    ink = np.zeros((canvas_h, width), np.uint8)
    printed = np.zeros((canvas_h, width), np.uint8)
    shear = rng.uniform(-0.2, 0.2)
    for k, digit in enumerate(digits):
        x0 = margin + k * (box_w + gap)
        cv2.rectangle(printed, (x0, margin), (x0 + box_w, margin + box_h), 255, thick)
        glyph = _slant(_sized(digit, height, rng.uniform(0.85, 1.05)), shear)
        glyph = _tight(glyph) if glyph.max() > 30 else glyph
        gh, gw = glyph.shape
        # inside the box, off centre by up to a sixth of the room; now and then on an edge
        room_x, room_y = max(0, box_w - gw), max(0, box_h - gh)
        x = x0 + int(np.clip(room_x / 2 + rng.uniform(-1, 1) * box_w / 6, 0, room_x))
        y = margin + int(np.clip(room_y / 2 + rng.uniform(-1, 1) * box_h / 6, 0, room_y))
        if overshoot and rng.random() < overshoot:
            out = int(rng.uniform(1 / 6, 0.4) * gh)
            y = margin - out if rng.random() < 0.5 else margin + box_h - gh + out
        y, x = min(y, canvas_h - gh), min(x, width - gw)
        np.maximum(ink[y:y + gh, x:x + gw], glyph, out=ink[y:y + gh, x:x + gw])
    image = _render(ink, rng, jpeg=False)
    colour = np.array(rng.choice([[90, 90, 90], [150, 110, 60], [60, 60, 150], [120, 120, 120]]),
                      np.float32) + rng.uniform(-20, 20, 3)
    alpha = (printed.astype(np.float32) / 255 * rng.uniform(0.6, 1.0))[:, :, None]
    image = np.clip(image * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)
    if tilt:
        turn = cv2.getRotationMatrix2D((width / 2, canvas_h / 2), rng.uniform(-tilt, tilt), 1.0)
        paper = [int(v) for v in np.median(image.reshape(-1, 3), axis=0)]
        image = cv2.warpAffine(image, turn, (width, canvas_h), flags=cv2.INTER_LINEAR,
                               borderValue=paper)
    return _jpeg(image, rng) if jpeg else image


#: squared paper: (BGR colour of its lines, side of its squares as a share of the image's height)
GRIDS = {"grey": ((150, 150, 150), 0.3), "blue": ((230, 170, 120), 0.3), "dark": ((90, 90, 90), 0.3),
         "grey, large squares": ((150, 150, 150), 0.5), "blue, small squares": ((230, 170, 120), 0.2)}


def on_squared_paper(image: np.ndarray, colour, square: float,
                     rng: np.random.Generator) -> np.ndarray:
    """A number image (BGR) as if written on squared paper: 1-pixel lines of ``colour`` every
    ``square`` of the image's height across and down, starting at a random offset, printed
    under the ink (the darker of the two shows)."""
    h, w = image.shape[:2]
    step = max(4, int(square * h))
    grid = np.full_like(image, 255)
    ox, oy = rng.integers(0, step, 2)
    for x in range(int(ox), w, step):
        cv2.line(grid, (x, 0), (x, h), colour, 1)
    for y in range(int(oy), h, step):
        cv2.line(grid, (0, y), (w, y), colour, 1)
    return np.minimum(image, grid)


def make_boxed_numbers(count: int, seed: int | np.random.Generator = 0, *,
                       lengths: tuple[int, int] = (2, 8), tilt: float = 0.0,
                       overshoot: float = 0.0,
                       split: str = "test") -> list[tuple[np.ndarray, str]]:
    """``count`` numbers of MNIST ``split`` digits written in rows of boxes
    (:func:`boxed_number`, turned by up to ``tilt`` degrees, ``overshoot`` of the digits
    across an edge of their box), with their digit strings."""
    rng = np.random.default_rng(seed)
    return [(boxed_number(digits, rng, tilt=tilt, overshoot=overshoot),
             "".join(str(int(v)) for v in labels))
            for digits, labels in random_digits(count, rng, lengths, split)]


def make_framed_numbers(count: int, seed: int | np.random.Generator = 0, *,
                        split: str = "test") -> list[tuple[np.ndarray, str]]:
    """``count`` clean numbers (:func:`make_numbers`) in a form's field: a printed box around
    the number, 3-12 pixels inside the image's border, 1-3 pixels of grey or coloured line."""
    rng = np.random.default_rng(seed)
    out = []
    for image, text in make_numbers(count, rng, style="clean", split=split):
        h, w = image.shape[:2]
        m = int(rng.integers(3, 13))
        colour = tuple(int(v) for v in rng.integers(40, 141, 3))
        framed = cv2.rectangle(image.copy(), (m, m), (w - 1 - m, h - 1 - m), colour,
                               int(rng.integers(1, 4)))
        out.append((framed, text))
    return out


def make_boxed_digits(count: int, seed: int | np.random.Generator = 0, *, faint: bool = True,
                      box: bool = True, size: int = 28,
                      split: str = "test") -> list[tuple[np.ndarray, str]]:
    """``count`` MNIST ``split`` digits as answer-box crops (:func:`boxed_digit`), with their
    digits."""
    rng = np.random.default_rng(seed)
    return [(boxed_digit(digits[0], rng, faint=faint, box=box, size=size), str(int(labels[0])))
            for digits, labels in random_digits(count, rng, (1, 1), split)]


def make_numbers(count: int, seed: int | np.random.Generator = 0, *,
                 lengths: tuple[int, int] = (2, 8), style: str = "clean",
                 split: str = "test") -> list[tuple[np.ndarray, str]]:
    """Make ``count`` number images with their true numbers.

    Parameters
    ----------
    lengths : (int, int)
        Smallest and largest number of digits.
    style : {"clean", "touching", "broken"}
        See :func:`compose_number`.
    split : {"test", "train"}
        MNIST split the digits come from (the test set, never seen in training, by default).

    Returns
    -------
    list of (numpy.ndarray, str)
        BGR images and their digit strings.
    """
    rng = np.random.default_rng(seed)
    return [(compose_number(digits, rng, style=style), "".join(str(int(v)) for v in labels))
            for digits, labels in random_digits(count, rng, lengths, split)]


def random_digits(count: int, rng: np.random.Generator, lengths: tuple[int, int] = (2, 8),
                  split: str = "test"):
    """Yield ``count`` runs of random MNIST ``split`` digits: ``(images, labels)`` each, with
    ``lengths[0]`` to ``lengths[1]`` digits."""
    images, labels = load_mnist(split)
    for _ in range(count):
        n = int(rng.integers(lengths[0], lengths[1] + 1))
        picks = rng.integers(0, len(images), n)
        yield [images[i] for i in picks], labels[picks]


def write_examples(folder, count: int = 8, seed: int = 2020) -> list[tuple[str, str]]:
    """Write ``count`` example number images (PNG, named after their number) to ``folder``.

    Numbers have 2 to 8 digits from the MNIST test set, in the clean style. Returns
    ``(file name, number)`` pairs.
    """
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = []
    for i in range(count):
        low = 2 + (6 * i) // max(1, count - 1)
        (image, number), = make_numbers(1, rng, lengths=(low, low))
        name = f"{number}.png"
        cv2.imwrite(str(folder / name), image)
        written.append((name, number))
    return written
