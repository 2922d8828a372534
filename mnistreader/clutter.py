"""Things on a page that are not digits, drawn at random for synthetic training numbers.

Real numbers come with company: punctuation and separators (``.`` ``,`` ``-`` ``/``), trailing
dashes (``.-``), underlines and flourishes, ticks and crosses, printed text, ruled lines,
boxes, page borders and scan-edge bands, stains and security-paper textures. The reader must
never read any of them as a digit, so the synthetic numbers of :mod:`mnistreader.synth` are
drawn with them, and every pixel of it is marked as clutter in the ground truth.

Pen marks (:func:`draw_mark`, :func:`draw_underline`, :func:`draw_text`) go on the *ink* layer
(``float32`` coverage 0-1) and the *owner* map (:data:`CLUTTER` where they are drawn); paper
marks (:func:`paper_marks`) go on the paper itself, printed rather than written.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["CLUTTER", "MARKS", "draw_mark", "draw_underline", "draw_text", "draw_flourish",
           "paper_marks", "TEXTURES"]

#: owner value of clutter pixels (digits are 0, 1, 2, ... in writing order; -1 is paper)
CLUTTER = 1000
MARKS = (".", ",", "-", "/", ".-", ",-", "=", "+", "x", "tick", "*", ":", "(", ")")
TEXTURES = ("none", "noise", "waves", "hatch", "dots", "stain")
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
          cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
          cv2.FONT_HERSHEY_SCRIPT_COMPLEX, cv2.FONT_ITALIC | cv2.FONT_HERSHEY_SIMPLEX)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WORDS = ("No", "Nr", "Kr", "kr", "Rs", "$", "Fol", "Trykt for", "Total", "Amount", "Date",
          "Pag", "ca", "den", "og", "Sum", "Name", "Box", "Nummer", "USD", "EUR", "to")


def noise(rng: np.random.Generator) -> np.random.Generator:
    """A generator for a draw as large as an image, seeded from ``rng`` by one number: what
    ``rng`` draws next does not hang on the image's size (which font metrics, and so the
    OpenCV version, decide), and a seed makes the same documents everywhere."""
    return np.random.default_rng(int(rng.integers(1 << 62)))


def _polyline(ink, owner, points, width: int) -> None:
    pts = np.round(np.asarray(points)).astype(np.int32).reshape(-1, 1, 2)
    layer = np.zeros(ink.shape, np.uint8)
    cv2.polylines(layer, [pts], False, 255, max(1, int(width)), cv2.LINE_AA)
    _stamp(ink, owner, layer)


def _stamp(ink: np.ndarray, owner: np.ndarray, layer: np.ndarray) -> None:
    """Lay a 0-255 drawing on the ink layer and mark its pixels as clutter."""
    np.maximum(ink, layer.astype(np.float32) / 255.0, out=ink)
    owner[(layer > 90) & (owner < 0)] = CLUTTER


def draw_mark(ink: np.ndarray, owner: np.ndarray, kind: str, x: float, base: float,
              height: float, width: int, rng: np.random.Generator) -> float:
    """Draw a pen mark at ``x`` on a line whose digits stand on ``base`` and are ``height`` tall.

    Returns the x where the next thing may start.
    """
    h = height
    j = lambda s: rng.uniform(-s, s) * h  # noqa: E731 - jitter in digit heights
    if kind in (".", ","):
        r = max(1.0, rng.uniform(0.04, 0.09) * h)
        cx, cy = x + r + 1, base - r + j(0.05)
        layer = np.zeros(ink.shape, np.uint8)
        cv2.circle(layer, (int(cx), int(cy)), int(round(r)), 255, -1, cv2.LINE_AA)
        _stamp(ink, owner, layer)
        if kind == ",":
            _polyline(ink, owner, [(cx + r * 0.5, cy), (cx - r, cy + 0.25 * h)], width)
        return cx + 2 * r + 2
    if kind in ("-", ".-", ",-", "="):
        start = x
        if kind != "-" and kind != "=":
            x = draw_mark(ink, owner, kind[0], x, base, h, width, rng)
        length = rng.uniform(0.3, 0.8) * h
        y = base - rng.uniform(0.35, 0.55) * h
        ys = [y] if kind != "=" else [y - 0.1 * h, y + 0.1 * h]
        for yy in ys:
            _polyline(ink, owner, [(x, yy + j(0.03)), (x + length, yy + j(0.06))], width)
        return max(start, x + length) + 2
    if kind == "/":
        w = rng.uniform(0.25, 0.5) * h
        _polyline(ink, owner, [(x, base + j(0.05)), (x + w, base - h * rng.uniform(0.7, 1.1))],
                  width)
        return x + w + 2
    if kind in ("+", "x", "*"):
        s = rng.uniform(0.2, 0.45) * h
        cx, cy = x + s, base - rng.uniform(0.2, 0.8) * h
        arms = {"+": [0, 90], "x": [45, 135], "*": [0, 60, 120]}[kind]
        for a in arms:
            dx, dy = np.cos(np.deg2rad(a)) * s, np.sin(np.deg2rad(a)) * s
            _polyline(ink, owner, [(cx - dx, cy - dy), (cx + dx, cy + dy)], width)
        return cx + s + 2
    if kind == "tick":
        s = rng.uniform(0.25, 0.5) * h
        y = base - rng.uniform(0.1, 0.5) * h
        _polyline(ink, owner, [(x, y - 0.4 * s), (x + 0.4 * s, y), (x + 1.3 * s, y - 1.2 * s)],
                  width)
        return x + 1.3 * s + 2
    if kind == ":":
        for yy in (base - 0.15 * h, base - 0.6 * h):
            layer = np.zeros(ink.shape, np.uint8)
            cv2.circle(layer, (int(x + 3), int(yy)), max(1, int(0.06 * h)), 255, -1)
            _stamp(ink, owner, layer)
        return x + 0.2 * h
    # brackets: a curve as tall as the digits
    sign = 1 if kind == "(" else -1
    ys = np.linspace(base - 1.05 * h, base + 0.05 * h, 12)
    bow = 0.15 * h * np.sin(np.linspace(0, np.pi, 12))
    xs = x + 0.15 * h - sign * bow
    _polyline(ink, owner, np.stack([xs, ys], 1), width)
    return x + 0.35 * h


def draw_underline(ink, owner, x0: float, x1: float, base: float, height: float, width: int,
                   rng: np.random.Generator) -> None:
    """An underline (straight, wavy or double, sometimes touching the digits) below a number."""
    y = base + rng.uniform(-0.05, 0.3) * height
    xs = np.linspace(x0 - rng.uniform(0, 0.4) * height, x1 + rng.uniform(0, 0.6) * height, 24)
    wave = rng.uniform(0, 0.08) * height * np.sin(np.linspace(0, rng.uniform(1, 6), 24))
    tilt = np.linspace(0, rng.uniform(-0.15, 0.15) * height, 24)
    _polyline(ink, owner, np.stack([xs, y + wave + tilt], 1), width)
    if rng.random() < 0.15:
        _polyline(ink, owner, np.stack([xs, y + wave + tilt + 0.15 * height], 1), width)


def draw_flourish(ink, owner, x: float, base: float, height: float, width: int,
                  rng: np.random.Generator) -> None:
    """A free pen stroke: a tail, a swirl or a long dash after the number."""
    n = int(rng.integers(3, 6))
    pts = np.cumsum(np.stack([rng.uniform(0.2, 0.8, n), rng.uniform(-0.4, 0.4, n)], 1),
                    axis=0) * height
    pts[:, 1] -= pts[:, 1].mean()
    t = np.linspace(0, 1, 32)
    curve = np.stack([np.interp(t, np.linspace(0, 1, n), pts[:, k]) for k in range(2)], 1)
    curve = cv2.GaussianBlur(curve.astype(np.float32).reshape(-1, 1, 2), (1, 5), 0).reshape(-1, 2)
    _polyline(ink, owner, curve + (x, base - rng.uniform(0.2, 0.7) * height), width)


def draw_text(ink, owner, text: str | None, x: float, base: float, height: float,
              rng: np.random.Generator) -> float:
    """Letters (printed or script fonts) written with the number: "No", "kr", a word.

    Returns the x where the text ends.
    """
    if text is None:
        text = str(rng.choice(_WORDS)) if rng.random() < 0.6 else "".join(
            rng.choice(list(_LETTERS), int(rng.integers(1, 6))))
    font = int(rng.choice(_FONTS))
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = height * rng.uniform(0.5, 1.0) / max(th, 1)
    thick = max(1, int(round(scale * rng.uniform(1.0, 2.5))))
    layer = np.zeros(ink.shape, np.uint8)
    cv2.putText(layer, text, (int(x), int(base)), font, scale, 255, thick, cv2.LINE_AA)
    _stamp(ink, owner, layer)
    return x + tw * scale


def _texture(kind: str, shape, rng: np.random.Generator) -> np.ndarray:
    """A darkening (0 = none, 1 = black) pattern over the whole paper."""
    h, w = shape
    if kind == "noise":
        grain = noise(rng).normal(0, 0.08, shape).astype(np.float32)
        return np.clip(cv2.GaussianBlur(grain, (0, 0), rng.uniform(0.5, 2.0)), 0, 1)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "waves":  # security paper: fine wavy lines
        period = rng.uniform(3, 9)
        phase = np.sin(gx / rng.uniform(10, 40)) * rng.uniform(2, 8)
        angle = rng.uniform(0, np.pi)
        t = np.cos(angle) * gx + np.sin(angle) * gy + phase
        return (0.5 + 0.5 * np.sin(2 * np.pi * t / period)) ** 4 * rng.uniform(0.1, 0.35)
    if kind == "hatch":
        period = rng.uniform(4, 12)
        angle = rng.uniform(0, np.pi)
        t = np.cos(angle) * gx + np.sin(angle) * gy
        return ((t % period) < 1.2).astype(np.float32) * rng.uniform(0.1, 0.3)
    if kind == "dots":
        out = (noise(rng).random(shape) < rng.uniform(0.002, 0.02)).astype(np.float32)
        return cv2.GaussianBlur(out, (0, 0), 0.7) * rng.uniform(0.5, 2.0)
    if kind == "stain":
        out = np.zeros(shape, np.float32)
        for _ in range(int(rng.integers(1, 4))):
            cv2.ellipse(out, (int(rng.uniform(0, w)), int(rng.uniform(0, h))),
                        (int(rng.uniform(5, w / 3 + 6)), int(rng.uniform(5, h / 2 + 6))),
                        rng.uniform(0, 180), 0, 360, float(rng.uniform(0.05, 0.3)), -1)
        return cv2.GaussianBlur(out, (0, 0), rng.uniform(2, 8))
    return np.zeros(shape, np.float32)


def paper_marks(shape, owner: np.ndarray, boxes: list, height: float,
                rng: np.random.Generator, *, busy: float = 0.5) -> np.ndarray:
    """Printed things on the paper: rules, boxes, borders, scan-edge bands, textures.

    Parameters
    ----------
    shape : tuple
        ``(h, w)`` of the page.
    owner : numpy.ndarray
        Ground truth, marked with :data:`CLUTTER` where a printed mark is dark.
    boxes : list of tuple
        ``(x, y, w, h)`` of the digits (for boxes drawn around each digit).
    busy : float
        Probability of each kind of mark.

    Returns
    -------
    numpy.ndarray
        ``float32`` darkening of the paper, 0 (none) to 1 (black).
    """
    h, w = shape
    dark = _texture(str(rng.choice(TEXTURES)) if rng.random() < busy else "none", shape, rng)
    lines = np.zeros(shape, np.uint8)
    thick = lambda: int(rng.integers(1, max(2, int(0.08 * height)) + 1))  # noqa: E731
    base = max(b[1] + b[3] for b in boxes) if boxes else h // 2
    if rng.random() < busy:  # ruled lines, one maybe along the digits' base
        gap = int(rng.uniform(0.9, 2.0) * height)
        start = int(base + rng.uniform(-0.25, 0.4) * height) % max(gap, 1)
        for y in range(start, h, max(gap, 4)):
            cv2.line(lines, (0, y), (w, y + int(rng.uniform(-3, 3))), 255, thick())
    if rng.random() < 0.4 * busy and boxes:  # a box around every digit (forms, exam sheets)
        pad = rng.uniform(0.1, 0.35) * height
        for x, y, bw, bh in boxes:
            cv2.rectangle(lines, (int(x - pad), int(y - pad)), (int(x + bw + pad), int(y + bh + pad)),
                          255, thick())
    if rng.random() < busy:  # vertical rules and page borders
        for _ in range(int(rng.integers(1, 3))):
            x = int(rng.choice([rng.uniform(0, 0.12), rng.uniform(0.88, 1.0)]) * w)
            cv2.line(lines, (x, 0), (x + int(rng.uniform(-4, 4)), h), 255, thick())
    shade = lines.astype(np.float32) / 255.0 * rng.uniform(0.3, 0.9)
    dark = np.maximum(dark, shade)
    if rng.random() < 0.5 * busy:  # a dark band where the scan ran past the page's edge
        side = rng.integers(0, 4)
        width = int(rng.uniform(0.03, 0.25) * (w if side < 2 else h)) + 1
        band = np.zeros(shape, np.float32)
        if side == 0:
            band[:, :width] = 1
        elif side == 1:
            band[:, w - width:] = 1
        elif side == 2:
            band[:width] = 1
        else:
            band[h - width:] = 1
        band = cv2.GaussianBlur(band, (0, 0), rng.uniform(0.5, 3)) * rng.uniform(0.5, 0.95)
        band += (noise(rng).random(shape).astype(np.float32) - 0.5) * 0.2 * band
        dark = np.maximum(dark, band)
    owner[(dark > 0.25) & (owner < 0)] = CLUTTER
    return dark
