"""Synthetic training documents and their ground truth; clutter marks."""

import numpy as np

from mnistreader.clutter import CLUTTER, MARKS, draw_mark, paper_marks
from mnistreader.documents import compose_document, european, make_documents


def test_documents_are_reproducible_and_carry_their_truth():
    first = make_documents(3, seed=5, lengths=(2, 6))
    again = make_documents(3, seed=5, lengths=(2, 6))
    for a, b in zip(first, again):
        assert a.text == b.text and np.array_equal(a.image, b.image)
        assert a.text.isdigit() and 2 <= len(a.text) <= 6
        assert a.image.ndim == 3 and a.owner.shape == a.image.shape[:2]
        digits = set(np.unique(a.owner[(a.owner >= 0) & (a.owner < CLUTTER)]).tolist())
        assert digits == set(range(len(a.text)))  # every digit owns some pixels


def test_every_digit_is_where_its_ink_is(digit_images):
    rng = np.random.default_rng(3)
    digits = [digit_images[d][0] for d in (4, 0, 7)]
    doc = compose_document(digits, [4, 0, 7], rng, height=40, busy=0.0)
    gray = doc.image.min(axis=2).astype(int)
    paper = np.median(gray)
    for k in range(3):
        assert gray[doc.owner == k].mean() < paper - 20  # a digit's pixels are ink
    assert (doc.owner == CLUTTER).sum() == 0  # no clutter asked for, none drawn
    xs = [np.nonzero(doc.owner == k)[1].mean() for k in range(3)]
    assert xs == sorted(xs)  # written left to right


def test_clutter_is_marked_as_clutter():
    rng = np.random.default_rng(0)
    for kind in MARKS:
        ink = np.zeros((80, 200), np.float32)
        owner = np.full(ink.shape, -1, np.int16)
        end = draw_mark(ink, owner, kind, 20.0, 60.0, 40.0, 3, rng)
        assert end > 20 and ink.max() > 0.5, kind
        assert ((ink > 0.5) <= (owner == CLUTTER)).all(), kind
    owner = np.full((100, 300), -1, np.int16)
    owner[40:70, 50:70] = 0  # a digit
    dark = paper_marks(owner.shape, owner, [(50, 40, 20, 30)], 30.0, rng, busy=1.0)
    assert dark.shape == owner.shape and 0 <= dark.min() and dark.max() <= 1
    assert (owner[40:70, 50:70] == 0).all()  # printed marks never take a digit's pixels


def test_european_styles_add_strokes():
    one = np.zeros((40, 10), np.uint8)
    one[:, 4:7] = 255
    rng = np.random.default_rng(2)
    styled = [european(one, 1, rng) for _ in range(10)]
    assert any(s.shape[1] > one.shape[1] for s in styled)  # some get a long upstroke
