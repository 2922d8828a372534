import functools
import gzip
import http.server
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from mnistreader import data
from mnistreader.data import (ChecksumError, MNISTError, MNISTNotFoundError, download_file,
                              load_mnist, read_idx)


def test_load_mnist_shapes_and_content(mnist_train, mnist_test):
    images, labels = mnist_train
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and set(np.unique(labels)) == set(range(10))
    test_images, test_labels = mnist_test
    assert test_images.shape == (10000, 28, 28)
    # the first test digit of MNIST is a 7, the first training digit a 5
    assert test_labels[0] == 7 and labels[0] == 5
    assert not images.flags.writeable


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


def _copy_mnist(tmp_path: Path) -> Path:
    source = Path(data.find_file("t10k-labels-idx1-ubyte")).parent
    for name in data.FILES:
        shutil.copy(source / f"{name}.gz", tmp_path / f"{name}.gz")
    return tmp_path


def _isolate(monkeypatch, tmp_path, folder):
    """Point the search at ``folder`` only, with an empty cache, and forget cached loads."""
    monkeypatch.setenv("MNISTREADER_DATA", str(folder))
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "empty-cache")
    data._load_cached.cache_clear()


def test_corrupted_file_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "copy"
    folder.mkdir()
    _copy_mnist(folder)
    raw = bytearray(gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one wrong label
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    _isolate(monkeypatch, tmp_path, folder)
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz.*SHA-256"):
        load_mnist("test", download=False)
    data._load_cached.cache_clear()


def test_truncated_file_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "copy"
    folder.mkdir()
    _copy_mnist(folder)
    gz = folder / "t10k-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[: gz.stat().st_size // 2])
    _isolate(monkeypatch, tmp_path, folder)
    with pytest.raises(MNISTError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist("test", download=False)
    data._load_cached.cache_clear()


def test_missing_data_offline_says_where_it_looked(tmp_path, monkeypatch):
    _isolate(monkeypatch, tmp_path, tmp_path / "nothing-here")
    with pytest.raises(MNISTNotFoundError) as info:
        load_mnist("test", download=False)
    message = str(info.value)
    assert "nothing-here" in message and "MNISTREADER_DATA" in message
    data._load_cached.cache_clear()


def test_read_idx_rejects_garbage():
    with pytest.raises(MNISTError, match="magic"):
        read_idx(b"hello world", "x.idx")
    with pytest.raises(MNISTError, match="body"):
        read_idx(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]), "short.idx")
    assert read_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9])).tolist() == [7, 9]


@pytest.fixture
def mirror(tmp_path):
    """Two local 'mirrors' on loopback: one good, one serving a truncated archive."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    _copy_mnist(good)
    name = "t10k-labels-idx1-ubyte.gz"
    (bad / name).write_bytes((good / name).read_bytes()[:2000])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_skips_a_bad_mirror_and_verifies(mirror, tmp_path):
    target = tmp_path / "cache"
    path = download_file("t10k-labels-idx1-ubyte", (f"{mirror}/bad/", f"{mirror}/good/"),
                         folder=target)
    assert path == target / "t10k-labels-idx1-ubyte"
    assert read_idx(path.read_bytes())[:3].tolist() == [7, 2, 1]
    assert not (target / "t10k-labels-idx1-ubyte.gz").exists()


def test_truncated_download_is_refused(mirror, tmp_path):
    target = tmp_path / "cache"
    with pytest.raises(MNISTNotFoundError, match="bad/t10k-labels-idx1-ubyte.gz"):
        download_file("t10k-labels-idx1-ubyte", (f"{mirror}/bad/", f"{mirror}/missing/"),
                      folder=target)
    assert list(target.iterdir()) == []  # nothing half-downloaded is left behind
