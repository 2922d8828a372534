"""Labelling candidates against the truth, and fitting the decoder's parts."""

import numpy as np
import pytest

from mnistreader.calibrate import fit_logistic, fit_verifier, review_threshold
from mnistreader.truth import (NEAR, PURE, REJECT, _owner_map, candidate_crops, candidate_pool,
                               label_candidates, straight_stroke)
from mnistreader.documents import compose_document, make_documents
from mnistreader.preprocess import preprocess


def test_candidates_of_a_clean_document_hold_its_digits(digit_images):
    rng = np.random.default_rng(7)
    number = "30517"
    doc = compose_document([digit_images[int(d)][1] for d in number], [int(d) for d in number],
                           rng, height=40, busy=0.0)
    labelled = label_candidates(doc)
    assert labelled.found.sum() >= len(number) - 1  # (two may touch where no cut separates)
    classes, owners = np.concatenate(labelled.classes), np.concatenate(labelled.owners)
    assert set(owners[owners >= 0].tolist()) == set(np.flatnonzero(labelled.found).tolist())
    for k in np.flatnonzero(labelled.found):  # every candidate holding digit k whole is k
        assert set(classes[owners == k].tolist()) == {int(number[k])}
    assert (classes == REJECT).sum() >= 1  # wrong joins and cuts are there too, as rejects
    images, crop_classes = candidate_crops([labelled])
    assert images.shape[1:] == (28, 28) and images.dtype == np.uint8
    assert len(images) == len(crop_classes) <= len(classes)


def test_a_digit_cut_with_a_bit_of_its_neighbour_is_taught_neither_way():
    rng = np.random.default_rng(11)
    for _ in range(60):  # numbers written with touching digits give near misses
        doc = make_documents(1, rng, busy=0.0)[0]
        labelled = label_candidates(doc)
        if any(near.any() for near in labelled.near):
            break
    else:
        pytest.fail("no near miss in 60 synthetic numbers")
    owner, n = _owner_map(doc, preprocess(doc.image)), len(doc.text)
    for line, classes, near in zip(labelled.lines, labelled.classes, labelled.near):
        x, y, w, h = line.box
        for s in np.flatnonzero(near):
            i, j = line.spans[s]
            ink = np.bincount(owner[y:y + h, x:x + w][(line.pieces > i) & (line.pieces <= j)],
                              minlength=n + 2)
            assert NEAR <= ink[:n].max() / ink[:n + 1].sum() < PURE  # mostly one digit ...
            assert classes[s] == REJECT  # ... which it is not, whole
    _, crop_classes = candidate_crops([labelled])
    spans = sum(len(classes) for classes in labelled.classes)
    assert len(crop_classes) <= spans - sum(int(near.sum()) for near in labelled.near)


def test_candidate_pool_is_the_same_however_many_processes():
    one = candidate_pool(4, seed=3, jobs=1)
    two = candidate_pool(4, seed=3, jobs=2)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    assert (one[1] < 10).any() and (one[1] == REJECT).any()


def test_straight_strokes_are_ones_by_shape(mnist_test):
    images, labels = mnist_test
    flagged = straight_stroke(images[:2000])
    assert flagged.sum() > 50 and (labels[:2000][flagged] == 1).mean() > 0.98
    bar = np.zeros((1, 28, 28), np.uint8)
    bar[0, 13:15, 4:24] = 255  # a dash is no 1
    assert not straight_stroke(bar)[0]


def test_fit_logistic_recovers_known_weights():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(20000), rng.normal(size=(20000, 2))])
    truth = np.array([-0.5, 2.0, -1.0])
    y = rng.random(20000) < 1 / (1 + np.exp(-x @ truth))
    assert fit_logistic(x, y, l2=0.0) == pytest.approx(truth, abs=0.1)


def test_fit_verifier_learns_a_band():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 2, (4000, 1))
    y = (x[:, 0] > 0.7) & (x[:, 0] < 1.3)  # "about one digit height tall"
    verifier = fit_verifier(x, y, epochs=30)
    z = verifier.logodds(np.array([[0.3], [1.0], [1.8]]))
    assert z[1] > 0 > max(z[0], z[2])


def test_review_threshold_keeps_the_sure_readings():
    confidence = np.array([0.99, 0.98, 0.95, 0.9, 0.8, 0.6, 0.5])
    right = np.array([True, True, True, True, False, True, False])
    assert review_threshold(confidence, right, 0.99) == 0.9
    assert review_threshold(confidence, right, 0.8) == 0.6
    assert review_threshold(confidence, ~right, 0.99) == 1.0
