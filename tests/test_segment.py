"""Segmentation on constructed images with known digits and boxes."""

import cv2
import numpy as np
import pytest

from mnistreader.lines import column_height, find_lines
from mnistreader.preprocess import preprocess
from mnistreader.reader import decoder_of, read_number
from mnistreader.normalize import to_mnist
from mnistreader.segment import lattices, line_readings, rows_of, segment

SCALE = 3  # MNIST digits drawn 3x larger, as a pen would on paper


def _glyph(image):
    big = cv2.resize(image, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_CUBIC)
    ys, xs = np.nonzero(big > 100)
    return (big[ys.min():ys.max() + 1, xs.min():xs.max() + 1] > 100).astype(np.uint8) * 255


def compose(digit_images, number, gaps=None, size=(200, 700), top=50):
    """An ink mask with the digits of ``number`` and their true boxes."""
    mask = np.zeros(size, np.uint8)
    x, boxes = 30, []
    for i, ch in enumerate(number):
        glyph = _glyph(digit_images[int(ch)][i % 5])
        h, w = glyph.shape
        mask[top:top + h, x:x + w] |= glyph
        boxes.append((x, top, w, h))
        x += w + (gaps[i] if gaps else 25)
    return mask, boxes


def _iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    return iw * ih / (aw * ah + bw * bh - iw * ih)


def test_clean_gaps_give_every_digit_and_its_box(digit_images):
    mask, boxes = compose(digit_images, "40719")
    seg = segment(mask)
    assert len(seg.lines) == 1 and len(seg.digits) == 5
    for found, true in zip(seg.boxes, boxes):
        assert _iou(found, true) > 0.8
    assert all(d.image.shape == (28, 28) for d in seg.digits)


def _segment(mask, model):
    """Segment as the reader does: with the classifier and its calibrated decoder."""
    return segment(mask, lambda x: model.digit_proba(x.reshape(len(x), -1)),
                   decoder=decoder_of(model))


def test_dots_and_dashes_are_dropped(digit_images, best_model):
    mask, _ = compose(digit_images, "3852")
    cv2.circle(mask, (20, 120), 3, 255, -1)   # a speck before the number
    cv2.circle(mask, (330, 125), 4, 255, -1)  # a decimal point
    cv2.line(mask, (600, 80), (640, 80), 255, 4)  # a dash after it
    assert len(segment(mask).digits) == 4  # by their shape alone ...
    assert read_number(255 - mask, best_model).number == "3852"  # ... and as the reader reads


def test_broken_digit_is_merged(digit_images, best_model):
    mask, boxes = compose(digit_images, "575")
    x, y, w, h = boxes[1]
    mask[y + h // 3: y + h // 3 + 4, x:x + w] = 0  # the 7's bar detached from its stem
    reading = read_number(255 - mask, best_model)
    assert reading.number == "575"
    bar_and_stem = reading.boxes[1]
    assert bar_and_stem[0] <= x + 3 and bar_and_stem[1] <= y + 3  # one box over both pieces


@pytest.mark.parametrize("number", ["4086", "7290", "3152", "1111"])
def test_touching_digits_are_split(digit_images, best_model, number):
    mask, _ = compose(digit_images, number, gaps=[-1, 25, -1, 0])  # pairs touch
    reading = read_number(255 - mask, best_model)
    assert reading.number == number


def test_touching_digits_are_read_cut_both_ways(digit_images, best_model):
    mask, _ = compose(digit_images, "4086", gaps=[-6, 25, -6, 0])  # pairs overlap
    net = best_model
    readings = line_readings(mask, lambda x: net.digit_proba(x.reshape(len(x), -1)),
                             decoder=decoder_of(net))
    straight, paths = readings  # the same line, cut straight and along paths of least ink
    assert straight.line.box == paths.line.box and paths.line.paths and not straight.line.paths
    assert paths.line.cut.any() and (paths.line.pieces > 0).sum() == (mask > 0).sum()
    # the reader keeps the second way when it is surer and reads no fewer digits
    second = paths.confidence > straight.confidence and \
        len(paths.best.digits) >= len(straight.best.digits)
    kept = _segment(mask, best_model).readings[0]
    assert kept.best.digits == (paths if second else straight).best.digits
    assert kept.line.paths == second


def test_each_candidate_is_classified_once(digit_images, best_model):
    # both lattices of a line of touching pairs share its uncut digits' candidates
    mask, _ = compose(digit_images, "40865", gaps=[-6, 25, -6, 25, 0])
    rows = []

    def classify(x):
        rows.append(len(x))
        return best_model.digit_proba(x.reshape(len(x), -1))

    (found,) = lattices([mask], classify)
    inks = [(ink.shape, ink.tobytes()) for line, _, _ in found for ink in line.inks()]
    assert len(found) == 2 and sum(rows) == len(set(inks)) < len(inks)
    for line, images, probs in found:  # each candidate as if classified alone
        alone = best_model.digit_proba(images.reshape(len(images), -1))
        assert np.allclose(probs, alone, atol=1e-5)
        assert np.array_equal(images, np.stack([to_mnist(ink) for ink in line.inks()]))


def test_two_lines_read_top_to_bottom(digit_images, best_model):
    top, _ = compose(digit_images, "123", size=(400, 700), top=40)
    bottom, _ = compose(digit_images, "4567", size=(400, 700), top=240)
    seg = _segment(top | bottom, best_model)
    assert [len(line) for line in seg.lines] == [3, 4]
    assert seg.lines[0][0].box[1] < seg.lines[1][0].box[1]
    assert read_number(255 - (top | bottom), best_model).number == "123 4567"


def test_groups_of_digits_on_one_row_are_one_number():
    from types import SimpleNamespace

    def line(name, box):
        return SimpleNamespace(name=name, line=SimpleNamespace(box=box))

    # found top to bottom: the right group sits a little higher than the left one
    right, left = line("1990", (300, 40, 260, 70)), line("0506", (20, 50, 290, 72))
    below = line("42", (30, 200, 120, 70))
    rows = rows_of([right, left, below])
    assert [[r.name for r in row] for row in rows] == [["0506", "1990"], ["42"]]
    far_apart = line("7", (40, 120, 50, 70))  # half a line lower: a row of its own
    assert len(rows_of([left, far_apart])) == 2


def test_ruled_line_through_the_digits(digit_images, best_model):
    mask, boxes = compose(digit_images, "2604")
    base = max(y + h for _, y, _, h in boxes) - 3
    cv2.line(mask, (0, base), (699, base + 4), 255, 2)
    assert read_number(255 - mask, best_model).number == "2604"


@pytest.mark.parametrize("invert", [False, True])
def test_polarity_does_not_matter(digit_images, best_model, invert):
    mask, _ = compose(digit_images, "9130")
    paper = (255 - mask) if not invert else mask
    assert read_number(paper, best_model).number == "9130"


def test_empty_mask_has_no_digits():
    assert segment(np.zeros((50, 50), np.uint8)).digits == []
    assert segment(preprocess(np.full((60, 200), 230, np.uint8)).mask).digits == []


def test_ink_written_on_a_printed_rule_is_kept(best_model):
    """A 2 whose base lies exactly on a (lighter, printed) rule keeps its base: not a 7."""
    image = np.full((120, 420), 235, np.uint8)
    cv2.putText(image, "2712", (20, 90), cv2.FONT_HERSHEY_SIMPLEX, 3, 25, 5)
    base = np.nonzero((image[:, 20:90] < 100).any(axis=1))[0].max()
    rule = np.zeros_like(image)
    cv2.line(rule, (0, base - 3), (419, base - 3), 255, 9)  # as thick as the 2's base, covering it
    image[(rule > 0) & (image > 100)] = 150
    assert read_number(image, best_model).number == "2712"


def test_wide_zero_cut_into_pieces_stays_a_candidate_whole(digit_images, best_model):
    # a 0 written 1.6 times as wide as tall is cut (it is wider than one digit) ...
    mask, boxes = compose(digit_images, "205")
    x, y, w, h = boxes[1]
    wide = cv2.resize(mask[y:y + h, x:x + w], (int(1.6 * h), h), interpolation=cv2.INTER_NEAREST)
    strip = np.zeros((mask.shape[0], wide.shape[1]), np.uint8)
    strip[y:y + h] = wide
    out = np.concatenate([mask[:, :x], strip, mask[:, x + w:]], axis=1)
    line, = (r.line for r in _segment(out, best_model).readings)
    zero = np.flatnonzero(line.component == line.component[line.cut][0])
    assert line.cut.any() and len(zero) > 1
    # ... yet all its pieces together are a candidate, and it is read whole
    assert (zero[0], zero[-1] + 1) in set(map(tuple, line.spans.tolist()))
    assert read_number(255 - out, best_model).number == "205"


@pytest.mark.parametrize("number", ["100", "500", "1000"])
def test_touching_zeros_are_cut_where_they_meet(digit_images, best_model, number):
    # 0s whose sides run together: the ink profile peaks where they meet, so only a cut
    # between the notches of the outline above and below parts them
    mask, _ = compose(digit_images, number, gaps=[25, -8, -8, 0])
    assert read_number(255 - mask, best_model).number == number


def _with_small_raised_zeros(digit_images, number, overlap=2):
    """A mask of ``number`` whose last two digits, 0s, are small and raised (an amount's
    cents), touching each other."""
    mask, boxes = compose(digit_images, number[:-2])
    _, top, _, tall = boxes[-1]
    x = max(bx + bw for bx, _, bw, _ in boxes) + 20
    for k in range(2):
        zero = _glyph(digit_images[0][k])
        f = 0.55 * tall / zero.shape[0]
        zero = cv2.resize(zero, None, fx=f, fy=f, interpolation=cv2.INTER_NEAREST)
        h, w = zero.shape
        mask[top:top + h, x:x + w] |= zero
        x += w - overlap
    return mask


@pytest.mark.parametrize("number", ["1700", "2900", "4100"])
def test_small_raised_touching_zeros_are_read(digit_images, best_model, number):
    # one component half as tall as the digits, which the classifier rejects whole: it is
    # cut too, where the 0s meet
    mask = _with_small_raised_zeros(digit_images, number)
    assert read_number(255 - mask, best_model).number == number


@pytest.mark.parametrize("number, broken", [("384", 0), ("2619", 3)])
def test_a_digit_broken_into_halves_at_different_heights_stays_in_its_line(
        digit_images, best_model, number, broken):
    # the pen skipped down the middle of one digit and its left half stands 0.4 digit heights
    # higher: the halves' bands overlap by less than half, yet the digit is read in its line
    mask, boxes = compose(digit_images, number, size=(260, 700), top=90)
    x, y, w, h = boxes[broken]
    half = x + w // 2
    left = mask[y:y + h, x:half].copy()
    mask[y:y + h, x:half + 3] = 0
    lift = int(0.4 * h)
    mask[y - lift:y - lift + h, x:half] |= left
    assert len(find_lines(mask)) == 1
    assert read_number(255 - mask, best_model).number == number


@pytest.mark.parametrize("overlap", [6, 9])
def test_a_digit_left_out_by_the_straight_cut_is_read_from_the_cut_along_paths(
        digit_images, best_model, overlap):
    # "1432" with the 1 and the 4 written into each other: cut straight along the slant, the
    # 4's piece is rejected and skipped ("132", surer); cut along paths, all four are read
    mask, _ = compose(digit_images, "1432", gaps=[-overlap, 25, 25, 0])
    assert read_number(255 - mask, best_model).number == "1432"


@pytest.mark.parametrize("number", ["1180", "1107"])
def test_two_ones_written_into_each_other_are_both_read(digit_images, best_model, number):
    # the 1s overlap by 12 pixels: one component a third of a digit height wide, which the
    # classifier doubts is one digit; recut only from 0.45 heights wide, both 1s were lost
    mask, _ = compose(digit_images, number, gaps=[-12, 25, 25, 0])
    assert read_number(255 - mask, best_model).number == number


@pytest.mark.parametrize("number, first", [("75093", 0), ("4286", 1), ("3815", 1)])
def test_digits_broken_across_are_read_whole(digit_images, best_model, number, first):
    # the pen skipped across every other digit a little below its middle: those digits are
    # two pieces each, both about half as tall as the digit; the line is still measured as
    # tall as its digits, and a first digit's upper half, far from the other digits, still
    # joins the line by its lower half (before: "759", "428", "3716")
    mask, boxes = compose(digit_images, number)
    for x, y, w, h in boxes[first::2]:
        mask[y + int(0.45 * h):y + int(0.45 * h) + 5, x:x + w] = 0
    (line,) = find_lines(mask)
    assert line.height >= 0.9 * np.median([h for _, _, _, h in boxes])
    assert len(line.boxes) >= len(number) + len(boxes[first::2])  # every half is in it
    assert read_number(255 - mask, best_model).number == number


def test_column_height_counts_stacked_strokes_as_one_digit():
    ink = np.zeros((100, 200), np.uint8)
    ink[10:40, 20:60] = 255   # the upper and lower halves of a broken digit ...
    ink[50:90, 20:60] = 255
    ink[30:90, 120:160] = 255  # ... and a whole digit beside it
    assert column_height(ink, 40) == pytest.approx(80, abs=5)
    assert column_height(np.zeros((10, 10)), 40) == 0.0


def test_column_height_of_ink_beyond_the_last_window():
    # 23 columns, windows 10 wide every 5 columns: the last starts at 10 and ends at 19, so
    # ink in columns 20-22 only was in no window (an IndexError ended a training run)
    ink = np.zeros((40, 23), np.uint8)
    ink[5:35, 20:23] = 255
    assert column_height(ink, 20) == 30.0
