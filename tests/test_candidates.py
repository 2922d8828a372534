"""Lines, pieces and candidate digits on constructed masks with known digits."""

import cv2
import numpy as np

from mnistreader.candidates import MAX_PIECES
from mnistreader.lines import find_lines
from mnistreader.cuts import (_paths, _paths_apart, cut_points, cut_sides, cuts_through, notch_cuts,
                               path_cuts)

from test_segment import compose


def _spans(line):
    return set(map(tuple, line.spans.tolist()))


def _holds_every_digit(line, boxes) -> bool:
    """Some candidate of the line has each true box (to within 2 pixels)."""
    x0, y0 = line.box[:2]
    found = [tuple(np.add(line.span_box(i, j), (x0, y0, 0, 0))) for i, j in _spans(line)]
    return all(any(np.abs(np.subtract(f, b)).max() <= 2 for f in found) for b in boxes)


def test_clean_number_is_one_line_whose_candidates_hold_every_digit(digit_images):
    mask, boxes = compose(digit_images, "40719")
    lines = find_lines(mask)
    assert len(lines) == 1
    assert 0.8 * boxes[0][3] < lines[0].height < 1.25 * boxes[0][3]
    assert _holds_every_digit(lines[0], boxes)


def test_clutter_taller_or_longer_than_digits_is_left_out(digit_images):
    mask, boxes = compose(digit_images, "2604", size=(400, 700), top=150)
    digits = mask.copy()
    mask[:, :20] = 255  # a scan-edge band
    mask[:, 650:653] = 255  # a vertical rule
    cv2.line(mask, (60, 260), (500, 262), 255, 3)  # an underline clear of the digits
    cv2.rectangle(mask, (560, 20), (620, 80), 255, -1)  # an ink blot
    lines = find_lines(mask)
    assert len(lines) == 1 and _holds_every_digit(lines[0], boxes)
    x0, y0, w, h = lines[0].box
    assert x0 >= min(b[0] for b in boxes) - 2 and x0 + w <= max(b[0] + b[2] for b in boxes) + 2
    assert (lines[0].pieces > 0).sum() == (digits > 0).sum()


def test_touching_digits_get_the_cut_between_them(digit_images):
    mask, boxes = compose(digit_images, "38", gaps=[4, 0])
    touch = boxes[1][0] - 2
    cv2.line(mask, (touch - 20, 80), (touch + 20, 80), 255, 5)  # the 3 runs into the 8
    line, = find_lines(mask)
    assert len(line.boxes) >= 2 and line.cut.any()
    touch -= line.box[0]  # where the digits meet, in the line's coordinates
    cuts = [line.extents[i, 1] for i in range(len(line.boxes) - 1)]
    assert min(abs(c - touch) for c in cuts) < 0.15 * line.height
    # the lattice can read the two digits whole: a span ends at the cut nearest the touch
    k = int(np.argmin([abs(c - touch) for c in cuts]))
    assert (0, k + 1) in _spans(line) and (k + 1, len(line.boxes)) in _spans(line)


def test_cut_points_are_profile_valleys():
    along = np.concatenate([np.repeat(np.arange(0, 40), 30), np.repeat(np.arange(40, 44), 2),
                            np.repeat(np.arange(44, 84), 30)])  # two blobs joined thinly
    cuts = cut_points(along.astype(float), height=60)
    assert len(cuts) >= 1 and min(abs(cuts - 42)) <= 3


def test_cuts_follow_the_slant_that_crosses_least_ink():
    strokes = np.zeros((2, 60, 80), np.uint8)
    for k, x in enumerate((20, 34)):  # two 1s leaning right (dx/dy = -0.24, y down) ...
        cv2.line(strokes[k], (x + 12, 5), (x, 55), 255, 3)
    mask = strokes.max(axis=0)
    cv2.line(mask, (20, 54), (36, 54), 255, 2)  # ... joined at the foot
    ys, xs = np.nonzero(mask)
    cuts, slant = cuts_through(xs.astype(float), ys.astype(float), 30.0, 0.0, height=40)
    assert slant == -0.25  # upright cuts would run through both strokes
    along = xs - slant * (ys - 30.0)
    above = ys < 50
    first, second = ((strokes[k][ys, xs] > 0) & above for k in (0, 1))
    assert len(cuts) == 1 and along[first].max() <= cuts[0] <= along[second].min()


def test_cut_paths_bend_around_strokes_where_no_straight_cut_is_clear():
    rows, width = 60, 70
    ink = np.ones((rows, width), bool)
    channel = (35 + 6 * np.sin(np.arange(rows) / 6)).astype(int)  # a winding gap of paper
    for y, x in enumerate(channel):
        ink[y, x - 1:x + 2] = False
    assert ink.any(axis=0).all()  # every straight upright cut crosses ink
    ys, xs = np.nonzero(ink)
    paths = path_cuts(xs, ys, height=50)
    assert len(paths) >= 1
    crossed = [int(ink[np.arange(rows), p].sum()) for p in paths]
    assert min(crossed) == 0  # one cut follows the gap
    count, side = cut_sides(xs.astype(float), ys.astype(float), 30.0, 0.0, height=50)
    left = xs < channel[ys]
    assert count >= 1 and any((side[left] < c).all() and (side[~left] >= c).all()
                              for c in range(1, count + 1))


def test_paths_through_grids_side_by_side_are_each_grids_own():
    # the three slants a component is cut along are searched in one pass, walled apart
    rng = np.random.default_rng(3)
    grids = [(rng.random((30, w)) < 0.35).astype(np.int64) for w in (17, 40, 1, 25)]
    for grid, (cost, paths) in zip(grids, _paths_apart(grids)):
        alone_cost, alone_paths = _paths((grid > 0).astype(np.float64))
        assert np.array_equal(cost, alone_cost) and np.array_equal(paths, alone_paths)
        assert paths.min() >= 0 and paths.max() < grid.shape[1]
    # a path pays the ink it crosses: through a wall of ink with one gap, it takes the gap
    wall = np.ones((10, 9))
    wall[:, 6] = 0
    cost, paths = _paths(wall)
    assert cost[6] == 0 and (paths[:, 6] == 6).all()


def test_notch_cuts_join_the_outline_notches_where_two_rings_meet():
    mask = np.zeros((70, 120), np.uint8)
    for x in (35, 78):  # two 0s side by side, touching along their sides
        cv2.ellipse(mask, (x, 35), (23, 30), 0, 0, 360, 255, 5)
    ys, xs = np.nonzero(mask)
    cuts = notch_cuts(xs - xs.min(), ys - ys.min(), height=60)
    meet = (35 + 23 + 78 - 23) / 2 - xs.min()
    assert len(cuts) >= 1 and np.abs(cuts.mean(axis=1) - meet).min() <= 3
    # where the profile of ink counted per column peaks, not a valley of it
    profile = np.bincount(xs - xs.min())
    assert profile[int(round(meet))] > np.median(profile)
    assert len(notch_cuts(*np.nonzero(mask[:, :62])[::-1], height=60)) == 0  # one ring: none


def test_spans_stay_small():
    mask = np.zeros((80, 900), np.uint8)
    for k in range(20):  # twenty narrow strokes close together: "1111..."
        cv2.line(mask, (20 + 40 * k, 15), (20 + 40 * k, 65), 255, 4)
    line, = find_lines(mask)
    sizes = line.spans[:, 1] - line.spans[:, 0]
    assert sizes.max() <= MAX_PIECES and len(line.spans) < 20 * MAX_PIECES


def test_nothing_to_find():
    assert find_lines(np.zeros((50, 50), np.uint8)) == []
    specks = np.zeros((100, 100), np.uint8)
    specks[10, 10] = specks[50, 60] = 255
    assert find_lines(specks) == []


def test_lines_chained_apart_over_the_same_digits_are_joined():
    from mnistreader.lines import _merge_interleaved

    # x, y, w, h, area: pieces of broken digits alternately high and low on one line ...
    stats = np.array([[10, 40, 30, 40, 300], [50, 60, 30, 40, 300], [90, 42, 30, 40, 300],
                      [130, 58, 30, 40, 300],
                      [10, 200, 30, 50, 400], [60, 200, 30, 50, 400]])  # ... and a line below
    lines, _ = _merge_interleaved([[0, 2], [1, 3], [4, 5]], stats)
    assert lines == [[0, 1, 2, 3], [4, 5]]
    touching, _ = _merge_interleaved([[0, 1], [2, 3]], stats)  # level, a quarter digit apart
    assert touching == [[0, 1, 2, 3]]
    apart = stats.copy()
    apart[2:4, 0] += 60  # a digit and more apart: two groups, read as one row later
    assert _merge_interleaved([[0, 1], [2, 3]], apart)[0] == [[0, 1], [2, 3]]
    # "9771" broken across a third of the way down: upper strokes on one line, lower strokes
    # (up to 0.7 of the digits' height) on the next, together 1.42 times the tallest stroke
    halves = np.array([[52, 44, 76, 41, 1620], [177, 56, 74, 32, 1457], [287, 44, 57, 41, 1043],
                       [56, 89, 59, 56, 1238], [171, 92, 65, 71, 1421], [311, 89, 26, 49, 649]])
    lines, bands = _merge_interleaved([[0, 1, 2], [3, 4, 5]], halves)
    assert lines == [[0, 3, 4, 1, 2, 5]] and bands[0] == (44, 145)


def test_digits_broken_across_are_one_line_of_whole_digits(digit_images):
    mask, boxes = compose(digit_images, "5027")
    for x, y, w, h in boxes:  # a pen skipping: every digit loses a band across it
        mask[y + int(0.4 * h):y + int(0.4 * h) + 3, x:x + w] = 0
    line, = find_lines(mask)
    assert line.height > 0.8 * boxes[0][3]
    assert _holds_every_digit(line, boxes)
    # two lines of whole digits, one just below the other, stay two lines
    two, boxes = compose(digit_images, "5027", size=(300, 700))
    top, h = boxes[0][1], max(b[3] for b in boxes)
    two[top + h + 4:top + 2 * h + 4] |= two[top:top + h]
    assert len(find_lines(two)) == 2


def test_a_hairline_of_a_ruled_column_is_no_digit(digit_images):
    mask, boxes = compose(digit_images, "46", size=(200, 400), top=50)
    x, y, w, h = boxes[-1]
    right = x + w  # the number's right end
    hairline = mask.copy()
    hairline[y:y + h, right + 30:right + 32] = 255  # what rule removal left of a column line
    line, = find_lines(hairline)
    assert line.box[0] + line.box[2] <= right + 2  # left out: the number ends at the 6
    one = mask.copy()  # ... while a 1 written in the pen's width stays
    cv2.line(one, (right + 30, y + 2), (right + 30, y + h - 2), 255, 9)
    line, = find_lines(one)
    assert line.box[0] + line.box[2] >= right + 30


def test_a_ruled_column_line_broken_into_dashes_is_no_digit(digit_images):
    # a register's column line, scanned broken into dashes as thick as the pen, beside the
    # number: the dashes stand one above another from the top of the cell down, which no
    # number's digits do; each dash alone is a 1
    from test_segment import compose

    mask, boxes = compose(digit_images, "15", size=(400, 300), top=150)
    x = boxes[0][0] - 25
    for y in range(5, 330, 60):
        cv2.line(mask, (x, y), (x, y + 45), 255, 7)
    lines = find_lines(mask)
    assert len(lines) == 1 and lines[0].box[0] >= boxes[0][0] - 2  # the line starts at the 1
    assert _holds_every_digit(lines[0], boxes)


def test_an_underline_is_never_cut_nor_part_of_a_digit(digit_images):
    # "39." underlined in a parish register: cut like touching digits, the underline's pieces
    # joined the 9's into a candidate read as a 1 ("31")
    mask, boxes = compose(digit_images, "39", size=(250, 400))
    x, y, w, h = boxes[1]
    start, length = x - int(0.3 * h), int(1.35 * h)  # long enough to be cut, short of a rule
    cv2.line(mask, (start, y + h + 6), (start + length, y + h + 12), 255, 4)
    line, = find_lines(mask)
    below = [k for k, b in enumerate(line.boxes) if b[1] + line.box[1] > y + h]
    assert len(below) == 1 and not line.cut[below[0]]  # one piece, uncut
    assert [tuple(s) for s in line.spans.tolist() if s[0] <= below[0] < s[1]] == \
        [(below[0], below[0] + 1)]  # a candidate of its own only
    assert _holds_every_digit(line, boxes)
