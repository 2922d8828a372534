import csv
import os

import pytest

from mnistreader.export import HEADER, CSVError, append_rows, format_rows, neutralise, written_paths


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
    real_write = os.write

    def disk_full(fd, data):  # half of the append lands, then the disk is full
        real_write(fd, bytes(data[:len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(CSVError, match="out.csv.*left as it was"):
        append_rows(path, [("b.png", "2"), ("c.png", "3")])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary or lock file


def test_an_append_writes_only_the_new_rows(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    append_rows(path, [(f"{i}.png", str(i), "0.990", "") for i in range(5000)])
    before, inode = path.read_bytes(), path.stat().st_ino
    written = []
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: written.append(len(data))
                        or real_write(fd, data))
    rows = [(f"new{i}.png", "7", "0.500", "review") for i in range(16)]
    append_rows(path, rows)
    assert sum(written) == len(format_rows(rows).encode())  # the old rows are not written again
    assert path.stat().st_ino == inode and path.read_bytes().startswith(before)


def test_a_line_cut_short_by_a_crash_is_removed_on_the_next_append(tmp_path):
    path = tmp_path / "out.csv"
    append_rows(path, [("a.png", "123", "0.990", ""), ("b.png", "45", "0.400", "review")])
    whole = path.read_bytes()
    for torn in ("c.png,6", "c.png,678,0.9", "c.png,678,0.310,rev", '"c, d.png'):
        path.write_bytes(whole + torn.encode())
        with pytest.warns(UserWarning, match="out.csv.*cut short"):
            append_rows(path, [("d.png", "9", "0.950", "")])
        assert path.read_bytes() == whole + b"d.png,9,0.950,\n"
        assert written_paths(path) == {"a.png", "b.png", "d.png"}
    path.write_bytes(whole + b"c.png,678,0.990,")  # only the line end was lost: a whole row
    append_rows(path, [("d.png", "9", "0.950", "")])
    assert path.read_bytes() == whole + b"c.png,678,0.990,\nd.png,9,0.950,\n"
    for mark in ("checked", "corrected"):  # rows a person saved from the Review tab, too
        path.write_bytes(whole + f"c.png,678,0.990,{mark}".encode())
        append_rows(path, [("d.png", "9", "0.950", "")])
        assert path.read_bytes() == whole + f"c.png,678,0.990,{mark}\nd.png,9,0.950,\n".encode()
    path.write_bytes(b"path,numb")  # a crash while the header was written
    with pytest.warns(UserWarning):
        append_rows(path, [("d.png", "9", "0.950", "")])
    assert list(csv.reader(path.open())) == [list(HEADER), ["d.png", "9", "0.950", ""]]


def test_written_paths_are_the_whole_rows(tmp_path):
    path = tmp_path / "out.csv"
    append_rows(path, [("=a.png", "1", "0.9", ""), ("b, c.png", "2", "0.9", "")])
    with path.open("a") as fh:
        fh.write("d.png,3,0.")  # torn
    assert written_paths(path) == {neutralise("=a.png"), "b, c.png"}


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
