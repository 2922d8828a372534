"""Random distortions of MNIST digits, so that a network learns handwriting, not MNIST.

Real handwriting is slanted, squeezed, thicker or thinner and less well centred than MNIST.
:func:`distort` draws a small random affine transform (rotation, shear, anisotropic scale,
shift) and a random stroke-width change for every image.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["random_affines", "distort"]


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


def distort(images: np.ndarray, rng: np.random.Generator, *, thickness: float = 0.3,
            **affine) -> np.ndarray:
    """Return randomly distorted copies of ``images`` (``(n, 28, 28)`` uint8).

    Each image gets its own affine transform from :func:`random_affines`; a fraction
    ``thickness`` of them is then made bolder or thinner by one pixel (half each).
    """
    n, h, w = images.shape
    matrices = random_affines(n, rng, size=w, **affine)
    stroke = rng.random(n)
    out = np.empty_like(images)
    for i in range(n):
        img = cv2.warpAffine(images[i], matrices[i], (w, h), flags=cv2.INTER_LINEAR)
        if stroke[i] < thickness / 2:
            img = cv2.dilate(img, _KERNEL)
        elif stroke[i] < thickness:
            img = cv2.erode(img, _KERNEL)
        out[i] = img
    return out
