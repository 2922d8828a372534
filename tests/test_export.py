import csv
import os

import pytest

from mnistreader.export import CSVError, append_rows, format_rows, neutralise


def test_header_once_and_rows_appended(tmp_path):
    path = tmp_path / "out.csv"
    append_rows(path, [("a.png", "123", "0.990", "")])
    append_rows(path, [("b.png", "0042", "0.500", "review")])
    rows = list(csv.reader(path.open()))
    assert rows == [["path", "number", "confidence", "review"], ["a.png", "123", "0.990", ""],
                    ["b.png", "0042", "0.500", "review"]]
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_existing_content_is_kept_byte_for_byte(tmp_path):
    path = tmp_path / "ledger.csv"
    original = "my,own,header\r\nkept,exactly,as is"  # CRLF and no final newline
    path.write_bytes(original.encode())
    os.chmod(path, 0o640)
    append_rows(path, [("c.png", "7")])
    text = path.read_bytes().decode()
    assert text.startswith(original) and text.endswith("c.png,7\n")
    assert "path,number" not in text  # no second header
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)


def test_formula_cells_are_neutralised():
    assert neutralise("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    for start in "=+-@":
        assert neutralise(start + "1") == "'" + start + "1"
    assert neutralise("0123") == "0123"
    line = format_rows([("=cmd|' /C calc'!A0.png", "12")])
    assert line.startswith("\"'=cmd|' /C calc'!A0.png\"") or line.startswith("'=cmd")


def test_commas_quotes_and_newlines_in_paths(tmp_path):
    path = tmp_path / "out.csv"
    name = 'scan, "page 2"\nfinal.png'
    append_rows(path, [(name, "5")])
    assert list(csv.reader(path.open(newline="")))[1] == [name, "5"]


def test_failed_write_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    append_rows(path, [("a.png", "1")])
    before = path.read_bytes()

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(CSVError, match="out.csv.*left as it was"):
        append_rows(path, [("b.png", "2")])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary or lock file


def test_refuses_binary_file_and_folder(tmp_path):
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0 jpeg bytes")
    with pytest.raises(CSVError, match="photo.csv.*UTF-8"):
        append_rows(binary, [("a.png", "1")])
    assert binary.read_bytes() == b"\xff\xd8\xff\xe0 jpeg bytes"
    with pytest.raises(CSVError, match="folder"):
        append_rows(tmp_path, [("a.png", "1")])


def _append_many(args):
    path, worker = args
    for i in range(25):
        append_rows(path, [(f"w{worker}-{i}.png", str(i))])


def test_concurrent_appends_lose_nothing(tmp_path):
    import multiprocessing

    path = tmp_path / "shared.csv"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_append_many, [(path, w) for w in range(4)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["path", "number", "confidence", "review"]
    assert sorted(r[0] for r in rows[1:]) == sorted(f"w{w}-{i}.png" for w in range(4)
                                                    for i in range(25))
