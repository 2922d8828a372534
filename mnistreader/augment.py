"""Random distortions of MNIST digits, so that a network learns handwriting, not MNIST.

Real handwriting is slanted, squeezed, thicker or thinner and less well centred than MNIST.
:func:`distort` draws a small random affine transform (rotation, shear, anisotropic scale,
shift) and a random stroke-width change for every image.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["random_affines", "distort", "non_digits", "renormalise"]


def random_affines(n: int, rng: np.random.Generator, *, rotate: float = 12.0,
                   shear: float = 0.25, scale: tuple[float, float] = (0.85, 1.1),
                   squeeze: tuple[float, float] = (0.75, 1.1), shift: float = 2.0,
                   size: int = 28) -> np.ndarray:
    """Draw ``n`` random 2x3 affine matrices that keep a digit's centre near the image centre.

    Parameters
    ----------
    rotate : float
        Largest rotation, degrees.
    shear : float
        Largest horizontal shear (slant), as a fraction.
    scale, squeeze : (float, float)
        Ranges of the overall scale and of the extra horizontal scale.
    shift : float
        Largest translation, pixels.
    """
    angle = np.deg2rad(rng.uniform(-rotate, rotate, n))
    k = rng.uniform(-shear, shear, n)
    s = rng.uniform(*scale, n)
    sx = s * rng.uniform(*squeeze, n)
    cos, sin = np.cos(angle), np.sin(angle)
    # A = R @ Shear @ diag(sx, s)
    a11, a12 = cos * sx, (cos * k - sin) * s
    a21, a22 = sin * sx, (sin * k + cos) * s
    c = (size - 1) / 2.0
    tx = c - (a11 * c + a12 * c) + rng.uniform(-shift, shift, n)
    ty = c - (a21 * c + a22 * c) + rng.uniform(-shift, shift, n)
    return np.stack([np.stack([a11, a12, tx], 1), np.stack([a21, a22, ty], 1)], 1)


_KERNEL = np.ones((2, 2), np.uint8)


def _elastic(image: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float):
    """Warp ``image`` by a smooth random displacement field (Simard et al., 2003)."""
    h, w = image.shape
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, gx + dx, gy + dy, cv2.INTER_LINEAR, borderValue=0)


def distort(images: np.ndarray, rng: np.random.Generator, *, thickness: float = 0.3,
            elastic: float = 0.0, alpha: float = 8.0, sigma: float = 4.0,
            **affine) -> np.ndarray:
    """Return randomly distorted copies of ``images`` (``(n, 28, 28)`` uint8).

    Each image gets its own affine transform from :func:`random_affines`; a fraction
    ``elastic`` of them is also warped by a smooth random field (strength ``alpha`` pixels,
    smoothness ``sigma``), and a fraction ``thickness`` is made bolder or thinner by one pixel
    (half each).
    """
    n, h, w = images.shape
    matrices = random_affines(n, rng, size=w, **affine)
    stroke = rng.random(n)
    warp = rng.random(n) < elastic
    out = np.empty_like(images)
    for i in range(n):
        img = cv2.warpAffine(images[i], matrices[i], (w, h), flags=cv2.INTER_LINEAR)
        if warp[i]:
            img = _elastic(img, rng, alpha, sigma)
        if stroke[i] < thickness / 2:
            img = cv2.dilate(img, _KERNEL)
        elif stroke[i] < thickness:
            img = cv2.erode(img, _KERNEL)
        out[i] = img
    return out


def non_digits(images: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Make ``count`` 28x28 images of things that are *not* one digit, from MNIST digits.

    Left or right parts of a digit, top or bottom parts, and two digits squeezed together:
    what a segmenter produces when it cuts in the wrong place or not at all. Each is
    normalised like a segmented digit (:func:`mnistreader.segment.to_mnist`), so that a
    network with a reject class learns to say "not a digit" instead of guessing.
    """
    from .normalize import to_mnist

    out = np.zeros((count, 28, 28), np.uint8)
    kinds = rng.integers(0, 3, count)
    picks = rng.integers(0, len(images), (count, 2))
    for i in range(count):
        a = images[picks[i, 0]]
        ys, xs = np.nonzero(a > 40)
        a = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        h, w = a.shape
        piece = None
        if kinds[i] == 0 and w >= 0.6 * h:  # a vertical slice, wider than a "1"
            cut = int(rng.uniform(0.3, 0.6) * w)
            piece = a[:, :cut] if rng.random() < 0.5 else a[:, cut:]
            if piece.shape[1] < 0.45 * h:
                piece = None
        elif kinds[i] == 1:  # a horizontal slice
            cut = int(rng.uniform(0.35, 0.6) * h)
            piece = a[:cut] if rng.random() < 0.5 else a[cut:]
        if piece is None:  # two digits as one
            b = images[picks[i, 1]]
            ys, xs = np.nonzero(b > 40)
            b = b[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            b = cv2.resize(b, (max(1, round(b.shape[1] * h / b.shape[0])), h))
            gap = int(rng.integers(-2, 3))
            piece = np.zeros((h, w + b.shape[1] + max(gap, 0)), np.uint8)
            piece[:, :w] = a
            x = w + gap
            np.maximum(piece[:, x:x + b.shape[1]], b[:, :piece.shape[1] - x],
                       out=piece[:, x:x + b.shape[1]])
        if piece.size and piece.max() > 40:
            out[i] = np.clip(to_mnist(piece > 40) * 255, 0, 255).astype(np.uint8)
    return out


def renormalise(images: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Pass a random ``fraction`` of the digits through the reader's own normalisation.

    A segmented digit is a binary ink mask normalised by
    :func:`mnistreader.segment.to_mnist`; training on some digits that went the same way
    keeps a network from telling segmented digits from MNIST's by their look alone.
    """
    from .normalize import to_mnist

    out = images.copy()
    for i in np.flatnonzero(rng.random(len(images)) < fraction):
        out[i] = np.clip(to_mnist(images[i] > 80) * 255, 0, 255).astype(np.uint8)
    return out
