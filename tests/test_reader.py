import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import ROOT
from mnistreader.preprocess import ImageError
from mnistreader.reader import NoDigitsError, Reading, read_number, read_numbers

EXAMPLES = sorted((ROOT / "examples").glob("*.png"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_read_correctly(path, best_model):
    reading = read_number(path, best_model)
    truth = path.stem.rsplit("-", 1)[-1]  # "0215.png" -> 0215, "mnist-digit-7.png" -> 7
    assert reading.number == truth
    assert len(reading.boxes) == len(truth) == len(reading.confidences)
    assert reading.path == str(path)


def test_mnist_digit_is_classified_directly(mnist_test, best_model):
    images, labels = mnist_test
    reading = read_number(images[0], best_model)
    assert reading.boxes == [(0, 0, 28, 28)] and reading.number == str(labels[0])
    assert reading.confidence > 0.9 and not reading.needs_review
    assert len(read_number(255 - images[1], best_model).number) == 1


def test_paper_model_reads_too(best_model):
    reading = read_number(EXAMPLES[0], "paper")
    assert len(reading.number) == len(EXAMPLES[0].stem)


def test_blank_image_has_no_digits():
    with pytest.raises(NoDigitsError, match="no digits"):
        read_number(np.full((80, 300, 3), 235, np.uint8))


def test_a_scribble_is_never_read_as_a_sure_number(best_model):
    import cv2

    for seed in range(5):
        scribble = np.full((100, 100), 255, np.uint8)
        rng = np.random.default_rng(seed)
        for _ in range(12):  # a tangle of random strokes is no digit
            x1, y1, x2, y2 = rng.integers(10, 90, 4)
            cv2.line(scribble, (int(x1), int(y1)), (int(x2), int(y2)), 0, 3)
        result = read_numbers([scribble], best_model)[0]
        assert isinstance(result, NoDigitsError) or result.needs_review


def test_batch_reports_errors_per_image(best_model, digit_images):
    import cv2

    good = 255 - cv2.resize(digit_images[3][0], (84, 84))
    results = read_numbers([good, np.zeros((0, 5)), np.full((30, 30), 200, np.uint8)], best_model)
    assert isinstance(results[0], Reading)
    assert isinstance(results[1], ImageError) and isinstance(results[2], NoDigitsError)


_SHAPES = st.one_of(st.tuples(st.integers(1, 80), st.integers(1, 80)),
                   st.tuples(st.integers(1, 60), st.integers(1, 60), st.sampled_from([1, 3, 4])))
_IMAGES = st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.bool_]).flatmap(
    lambda dtype: arrays(dtype, _SHAPES))


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(_IMAGES)
def test_reader_never_crashes_on_arbitrary_arrays(best_model, image):
    result = read_numbers([image], best_model)[0]
    assert isinstance(result, (Reading, ImageError))
    if isinstance(result, Reading):
        assert result.number.replace(" ", "").isdigit()
