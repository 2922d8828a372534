"""Whole-number accuracy of numbers photographed badly: synthetic numbers of MNIST *test* digits
(:func:`mnistreader.synth.make_numbers`) blurred (out of focus, moved), small, noisy, heavily
JPEG-compressed, or negated (light writing on dark paper: chalk on a board), against the same
numbers as made.

    python benchmarks/photo_conditions.py [--count 200] [--style clean] [--changes ...]
"""

from __future__ import annotations

import cv2
import numpy as np

from turned_numbers import parser_for, read_changed  # benchmarks/, beside this script


def _motion(image: np.ndarray, length: int) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2] = 1.0 / length
    return cv2.filter2D(image, -1, kernel)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


#: each change: (image, random generator) -> image
CHANGES = {
    "as made": lambda image, rng: image,
    "negative": lambda image, rng: 255 - image,
    "blur 1.5 px": lambda image, rng: cv2.GaussianBlur(image, (0, 0), 1.5),
    "blur 3 px": lambda image, rng: cv2.GaussianBlur(image, (0, 0), 3),
    "moved 9 px": lambda image, rng: _motion(image, 9),
    "a third the size": lambda image, rng: cv2.resize(image, None, fx=1 / 3, fy=1 / 3,
                                                      interpolation=cv2.INTER_AREA),
    "noise 25": lambda image, rng: np.clip(image + rng.normal(0, 25, image.shape), 0,
                                           255).astype(np.uint8),
    "JPEG quality 10": lambda image, rng: _jpeg(image, 10),
}


def main() -> None:
    parser = parser_for(__doc__, "change")
    parser.add_argument("--style", default="clean", choices=("clean", "touching", "broken"))
    parser.add_argument("--changes", nargs="+", default=list(CHANGES), choices=list(CHANGES),
                        metavar="CHANGE")
    args = parser.parse_args()
    read_changed({name: CHANGES[name] for name in args.changes}, args.count, args.seed,
                 args.model, style=args.style)


if __name__ == "__main__":
    main()
