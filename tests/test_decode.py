"""The decoder on hand-made lattices: best paths, k-best, digit counts, formats, confidence."""

import json

import numpy as np
import pytest

from mnistreader.candidates import Line
from mnistreader.decode import (NumberFormat, Path, best_paths, choose, confidence_features,
                                number_confidence)
from mnistreader.scores import (CONFIDENCE, DEFAULT, FEATURES, Decoder, Verifier, edge_scores,
                                span_features)


def _line(widths, height=40, gaps=None):
    """A line of pieces of the given widths (pixels), side by side, all spans up to 3 pieces."""
    gaps = gaps or [10] * len(widths)
    boxes, extents, x = [], [], 0
    for w, g in zip(widths, gaps):
        boxes.append((x, 0, w, height))
        extents.append((x, x + w - 1))
        x += w + g
    m = len(widths)
    spans = [(i, j) for i in range(m) for j in range(i + 1, min(m, i + 3) + 1)]
    return Line(box=(0, 0, x, height), height=float(height), slant=0.0,
                pieces=np.zeros((height, x), np.int32), boxes=np.array(boxes),
                extents=np.array(extents, float), areas=np.full(m, 100),
                cut=np.zeros(m, bool), spans=np.array(spans),
                components=np.zeros((height, x), np.int32), component=np.arange(m))


def _scores(line, table, skip=-9.0):
    """Digit scores from ``{(i, j): {digit: log-score}}``; everything else is very unlikely."""
    digit = np.full((len(line.spans), 10), -30.0)
    for k, span in enumerate(map(tuple, line.spans.tolist())):
        for d, score in table.get(span, {}).items():
            digit[k, d] = score
    return digit, np.full(len(line.boxes), skip)


def test_best_path_joins_pieces_and_skips_clutter():
    line = _line([20, 8, 12, 20])  # "7" | piece | piece of the same 5 | "1"
    digit, skip = _scores(line, {(0, 1): {7: -0.1}, (1, 3): {5: -0.2}, (1, 2): {1: -3.0},
                                 (2, 3): {3: -4.0}, (3, 4): {1: -0.3}})
    paths = best_paths(line, digit, skip)
    assert paths[0].text == "751" and paths[0].spans == ((0, 1), (1, 3), (3, 4))
    assert paths[0].score == pytest.approx(-0.6)
    assert [p.score for p in paths] == sorted((p.score for p in paths), reverse=True)
    skip[3] = -0.05  # the last piece is clutter after all
    assert best_paths(line, digit, skip)[0].text == "75"


def test_digit_count_and_value_range_choose_the_best_reading_that_fits():
    line = _line([20, 20, 20])
    digit, skip = _scores(line, {(0, 1): {1: -0.1}, (1, 2): {7: -0.1, 1: -2.5},
                                 (2, 3): {4: -0.2, 9: -0.9}, (1, 3): {4: -1.0}}, skip=-6.0)
    assert best_paths(line, digit, skip)[0].text == "174"
    assert best_paths(line, digit, skip, counts=(2, 2))[0].text == "14"
    best, others = choose(best_paths(line, digit, skip), NumberFormat.parse(value="0-150"))
    assert best.text == "14" and others[0].text == "174"
    fmt = NumberFormat.parse("3", "0-150")
    best, others = choose(best_paths(line, digit, skip, counts=fmt.count_range), fmt)
    assert best.text == "114" and others[0].text == "174"
    best, _ = choose(best_paths(line, digit, skip), NumberFormat.parse("5"))
    assert best is None


@pytest.mark.parametrize("digits,value,expected", [
    ("8", None, NumberFormat((8, 8), None)), (" 2-3 ", None, NumberFormat((2, 3), None)),
    (None, "0-100", NumberFormat(None, (0, 100))), (None, None, NumberFormat()),
])
def test_number_format_parse(digits, value, expected):
    assert NumberFormat.parse(digits, value) == expected


@pytest.mark.parametrize("digits,value", [("0", None), ("3-2", None), ("two", None),
                                          (None, "100-0"), (None, "-5"), ("2.5", None)])
def test_number_format_refuses_bad_formats(digits, value):
    with pytest.raises(ValueError):
        NumberFormat.parse(digits, value)


def test_number_format_fits_and_counts():
    fmt = NumberFormat.parse("2-3", "10-250")
    assert fmt.fits("42") and fmt.fits("250") and not fmt.fits("251") and not fmt.fits("7")
    assert fmt.count_range == (2, 3)
    assert NumberFormat.parse(value="0-100").count_range == (1, 3)
    assert NumberFormat().count_range is None and NumberFormat().fits("123")


def test_span_features_describe_size_and_place():
    line = _line([20, 8, 30, 8])
    features = span_features(line)
    assert features.shape == (len(line.spans), len(FEATURES))
    column = dict(zip(FEATURES, features.T))
    k = line.spans.tolist().index([2, 3])
    assert column["width"][k] == pytest.approx(30 / 40) and column["pieces"][k] == 1
    assert column["whole"][k] == 1 and column["before"][k] == pytest.approx(11 / 40)
    k = line.spans.tolist().index([0, 3])
    assert column["width"][k] > 1.5 and column["pieces"][k] == 3 and column["whole"][k] == 0
    assert column["gap"][k] == pytest.approx(11 / 40)
    assert np.array_equal(span_features(line, line.spans[[k]]), features[[k]])


def test_edge_scores_favour_whole_digits_of_the_line_height():
    line = _line([22, 22, 6])
    probs = np.full((len(line.spans), 10), 0.001)
    probs[:, 3] = 0.95
    digit, skip = edge_scores(line, probs, DEFAULT)
    spans = line.spans.tolist()
    assert digit[spans.index([0, 1]), 3] > digit[spans.index([0, 3]), 3]
    assert best_paths(line, digit, skip)[0].text == "333"


def test_confidence_grows_with_the_margin_over_the_next_reading():
    decoder = Decoder(DEFAULT.digit, DEFAULT.clutter, 1.0, 0.0,
                      (0.0, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0), 0.5)
    best = Path(-0.2, ((0, 1),), (4,), steps=(-0.2,))
    near = [Path(-0.3, ((0, 1),), (9,), steps=(-0.3,))]
    far = [Path(-8.0, ((0, 1),), (9,), steps=(-8.0,))]
    assert number_confidence(best, far, decoder) > number_confidence(best, near, decoder)
    assert confidence_features(best, near).shape == (len(CONFIDENCE),)
    assert number_confidence(None, [], decoder) == 0.0


def test_verifier_is_a_small_network():
    rng = np.random.default_rng(0)
    mean, scale = rng.normal(size=3), rng.uniform(1, 2, 3)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    biases = [rng.normal(size=4), rng.normal(size=2)]
    verifier = Verifier(mean, scale, weights, biases)
    x = rng.normal(size=(5, 3))
    hidden = np.maximum((x - mean) / scale @ weights[0] + biases[0], 0)
    z = hidden @ weights[1] + biases[1]
    assert np.allclose(verifier.logodds(x), z[:, 1] - z[:, 0])
    linear = Verifier.linear([0.5, 1.0, -2.0, 0.0])
    assert np.allclose(linear.logodds(x), 0.5 + x @ [1.0, -2.0, 0.0])


def test_decoder_round_trips_through_model_metadata():
    rng = np.random.default_rng(1)
    digit = Verifier(rng.normal(size=len(FEATURES)), np.ones(len(FEATURES)),
                     [rng.normal(size=(len(FEATURES), 4)), rng.normal(size=(4, 2))],
                     [np.zeros(4), np.zeros(2)])
    decoder = Decoder(digit, DEFAULT.clutter, 0.5, 0.25, tuple(range(len(CONFIDENCE))), 0.7)
    again = Decoder.from_meta(json.loads(json.dumps(decoder.to_meta())))
    x = rng.normal(size=(6, len(FEATURES)))
    assert np.allclose(again.digit.logodds(x), decoder.digit.logodds(x))
    assert (again.weight, again.bonus, again.confidence, again.review_below) == \
        (0.5, 0.25, tuple(range(len(CONFIDENCE))), 0.7)
    assert Decoder.from_meta({}) is DEFAULT
    stale = dict(decoder.to_meta(), features=["bias"])  # made by an older mnistreader
    assert Decoder.from_meta(stale) is DEFAULT
