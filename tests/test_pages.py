"""PDF and multi-page TIFF scans: every page read as its own image, named FILE#PAGE."""

import csv
import subprocess
import sys

import cv2
import matplotlib
import numpy as np
import pytest

from conftest import ROOT

from mnistreader.batch import _left_to_read
from mnistreader.export import append_rows
from mnistreader.pages import iter_pages, split_page_name
from mnistreader.preprocess import ImageError

matplotlib.use("Agg")

EXAMPLES = {p.stem: p for p in (ROOT / "examples").glob("*.png") if p.stem.isdigit()}
PDF_NUMBERS = ["880", "0215", "59014"]
TIFF_NUMBERS = ["32", "19"]


def _gray(number):
    return cv2.imread(str(EXAMPLES[number]), cv2.IMREAD_GRAYSCALE)


def write_pdf(path, numbers):
    """A PDF with one scanned number per page, at 200 dpi."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        for number in numbers:
            image = _gray(number)
            fig = plt.figure(figsize=(image.shape[1] / 100, image.shape[0] / 100), dpi=100)
            fig.figimage(image, cmap="gray", vmin=0, vmax=255)
            pdf.savefig(fig)
            plt.close(fig)


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans")
    write_pdf(folder / "form.pdf", PDF_NUMBERS)
    assert cv2.imwritemulti(str(folder / "ledger.tif"), [_gray(n) for n in TIFF_NUMBERS])
    return folder


def test_every_page_is_its_own_image(scans):
    pdf = list(iter_pages(scans / "form.pdf"))
    assert [name for name, _ in pdf] == [f"{scans / 'form.pdf'}#{k}" for k in (1, 2, 3)]
    for (_, page), number in zip(pdf, PDF_NUMBERS):  # rendered at 200 dpi from 100 dpi
        assert abs(page.shape[0] - 2 * _gray(number).shape[0]) <= 2
    tiff = list(iter_pages(scans / "ledger.tif"))
    assert [name for name, _ in tiff] == [f"{scans / 'ledger.tif'}#1", f"{scans / 'ledger.tif'}#2"]
    assert np.array_equal(tiff[1][1], _gray("19"))
    assert [name for name, _ in iter_pages(scans / "form.pdf", skip={1, 3})] == [pdf[1][0]]
    one = list(iter_pages(EXAMPLES["32"]))
    assert len(one) == 1 and one[0][0] == str(EXAMPLES["32"])  # a plain image keeps its name


def _bad_pdfs(folder):
    from pypdf import PdfWriter

    good = (folder / "form.pdf").read_bytes()
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.4 this is not a PDF")
    (folder / "cut.pdf").write_bytes(good[:len(good) // 3])
    writer = PdfWriter(clone_from=folder / "form.pdf")
    writer.encrypt("secret", algorithm="RC4-128")
    writer.write(folder / "locked.pdf")
    return {"empty.pdf": "empty", "garbage.pdf": "damaged", "cut.pdf": "damaged",
            "locked.pdf": "encrypted"}


def test_bad_pdfs_are_named_with_the_reason(scans, tmp_path):
    for name in ("form.pdf",):
        (tmp_path / name).write_bytes((scans / name).read_bytes())
    for name, reason in _bad_pdfs(tmp_path).items():
        with pytest.raises(ImageError, match=f"{name}.*{reason}"):
            list(iter_pages(tmp_path / name))


def test_command_line_reads_pages_and_reports_bad_pdfs(scans, tmp_path):
    folder = tmp_path / "office"
    folder.mkdir()
    for name in ("form.pdf", "ledger.tif"):
        (folder / name).write_bytes((scans / name).read_bytes())
    bad = _bad_pdfs(folder)
    (folder / "form.pdf").rename(folder / "a-form.pdf")  # read before the bad ones
    out = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, "-m", "mnistreader", "read", str(folder),
                             "--csv", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(bad)
    for name, reason in bad.items():
        assert sum(name in line and reason in line for line in errors) == 1
    rows = list(csv.reader(out.open()))[1:]
    expected = [(f"{folder / 'a-form.pdf'}#{k + 1}", n) for k, n in enumerate(PDF_NUMBERS)]
    expected += [(f"{folder / 'ledger.tif'}#{k + 1}", n) for k, n in enumerate(TIFF_NUMBERS)]
    assert [(row[0], row[1]) for row in rows] == expected
    assert [line.split(",")[0] for line in result.stdout.splitlines()] == [e[0] for e in expected]


def test_resume_skips_the_pages_already_read(scans, tmp_path):
    out = tmp_path / "out.csv"
    pdf, tiff = scans / "form.pdf", scans / "ledger.tif"
    append_rows(out, [(f"{pdf}#1", "880", "0.990", ""), (f"{pdf}#3", "59014", "0.990", ""),
                      (f"{tiff}#1", "32", "0.990", ""), (f"{tiff}#2", "19", "0.990", "")])
    left, skips = _left_to_read([pdf, tiff, EXAMPLES["880"]], out)
    assert left == [pdf, tiff, EXAMPLES["880"]] and skips == [{1, 3}, {1, 2}, set()]
    pages = [name for f, skip in zip(left, skips) for name, _ in iter_pages(f, skip)]
    assert pages == [f"{pdf}#2", str(EXAMPLES["880"])]
    assert split_page_name("a#b.png#12") == ("a#b.png", 12)
    assert split_page_name("scan#.png") == ("scan#.png", None)


def test_teaching_reads_a_page_by_its_name(scans):
    from mnistreader.teach import digit_examples

    pdf = scans / "form.pdf"
    examples = digit_examples([(f"{pdf}#2", "0215"), (f"{pdf}#9", "1")], "best")
    assert examples.used == [f"{pdf}#2"] and examples.read_right == 1
    assert examples.problems == [f"{pdf}#9: no such page; not used"]
