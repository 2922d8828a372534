"""Load the MNIST data set from verified IDX files.

Where the files are looked for, in order:

1. an explicit ``path`` argument,
2. the folder named by the ``MNISTREADER_DATA`` environment variable,
3. the user cache folder (``pooch.os_cache("mnistreader")``),

and, if none of them has the files, they are downloaded from public mirrors (several, tried in
order) into the cache. Every file is checked against the SHA-256 of its *decompressed* bytes,
because mirrors serve differently compressed archives of the same data. A corrupted, truncated
or wrong file is refused with an error naming it; it is never used silently.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = [
    "FILES",
    "MIRRORS",
    "MNISTError",
    "MNISTNotFoundError",
    "ChecksumError",
    "read_idx",
    "find_file",
    "download_file",
    "load_mnist",
    "cache_dir",
]

ENV_VAR = "MNISTREADER_DATA"

#: file name -> (SHA-256 of the decompressed bytes, size of the decompressed bytes)
FILES: dict[str, tuple[str, int]] = {
    "train-images-idx3-ubyte": (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47_040_016),
    "train-labels-idx1-ubyte": (
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60_008),
    "t10k-images-idx3-ubyte": (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7_840_016),
    "t10k-labels-idx1-ubyte": (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10_008),
}

#: Public mirrors serving ``<name>.gz``, tried in this order.
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

_SPLITS = {"train": "train", "test": "t10k"}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MNISTError(Exception):
    """Base class for MNIST loading problems."""


class MNISTNotFoundError(MNISTError, FileNotFoundError):
    """No copy of an MNIST file was found and none could be downloaded."""


class ChecksumError(MNISTError, ValueError):
    """A file's decompressed bytes do not have the expected SHA-256."""


def cache_dir() -> Path:
    """Return the per-user cache folder where downloaded MNIST files are kept."""
    import pooch

    return Path(pooch.os_cache("mnistreader")) / "mnist"


def _read_bytes(path: Path) -> bytes:
    """Return the (decompressed) bytes of ``path``, raising `MNISTError` if unreadable."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise MNISTError(f"{path}: cannot be read ({exc}); delete it to fetch a fresh copy") from exc


def _verify(path: Path, data: bytes, name: str) -> None:
    expected, size = FILES[name]
    if len(data) != size:
        raise ChecksumError(
            f"{path}: {len(data):,} bytes once decompressed, expected {size:,} "
            "(truncated or wrong file); delete it to fetch a fresh copy")
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise ChecksumError(
            f"{path}: SHA-256 {digest[:12]}... does not match the MNIST file {name} "
            f"({expected[:12]}...); delete it to fetch a fresh copy")


def read_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an IDX file into an array.

    Parameters
    ----------
    data : bytes
        The decompressed IDX bytes.
    source : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray
        The array, with the shape and dtype given by the IDX header (native byte order).
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise MNISTError(f"{source}: not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MNISTError(f"{source}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    count = int(np.prod(shape)) if shape else 1
    if len(data) != header + count * dtype.itemsize:
        raise MNISTError(f"{source}: IDX body has {len(data) - header} bytes, "
                         f"shape {shape} needs {count * dtype.itemsize}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _candidates(folder: Path, name: str) -> list[Path]:
    return [folder / f"{name}.gz", folder / name]


def _search_folders(path: str | os.PathLike | None) -> list[Path]:
    folders = []
    if path is not None:
        folders.append(Path(path))
    if os.environ.get(ENV_VAR):
        folders.append(Path(os.environ[ENV_VAR]))
    folders.append(cache_dir())
    return folders


def find_file(name: str, path: str | os.PathLike | None = None) -> Path | None:
    """Return the first existing copy of MNIST file ``name`` in the search folders, or None."""
    for folder in _search_folders(path):
        for candidate in _candidates(folder, name):
            if candidate.is_file():
                return candidate
    return None


def download_file(name: str, mirrors: tuple[str, ...] = MIRRORS,
                  folder: str | os.PathLike | None = None, progress: bool = False) -> Path:
    """Download ``name`` from the first mirror that serves a verified copy.

    The archive is fetched with :mod:`pooch`, decompressed, and its SHA-256 checked. A mirror
    that fails or serves a bad copy is skipped; the bad copy is deleted.

    Returns
    -------
    pathlib.Path
        The verified, decompressed file in ``folder`` (default: the user cache).
    """
    import pooch

    pooch.get_logger().setLevel("WARNING")  # errors are ours to report, in one line
    folder = Path(folder) if folder is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    problems = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{name}.gz"
        target = folder / name
        try:
            pooch.retrieve(url, known_hash=None, fname=f"{name}.gz", path=folder,
                           processor=pooch.Decompress(method="gzip", name=name),
                           progressbar=progress)
            _verify(target, _read_bytes(target), name)
            (folder / f"{name}.gz").unlink(missing_ok=True)
            return target
        except Exception as exc:  # network errors, truncated gzip, bad checksum: next mirror
            problems.append(f"{url}: {_short(exc)}")
            for leftover in (target, folder / f"{name}.gz"):
                leftover.unlink(missing_ok=True)
    raise MNISTNotFoundError(f"could not download {name}: " + "; ".join(problems))


def _short(exc: Exception) -> str:
    """A short reason for a failed download."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "NameResolution" in text or "Failed to resolve" in text:
        return "no network (host name not resolved)"
    if "ConnectionError" in type(exc).__name__ or "Max retries" in text:
        return "cannot connect"
    return f"{type(exc).__name__}: {text[:80]}" if text else type(exc).__name__


def _load_file(name: str, path, download: bool) -> np.ndarray:
    found = find_file(name, path)
    if found is None:
        if not download:
            raise MNISTNotFoundError(_not_found_message(name, path))
        try:
            found = download_file(name)
        except MNISTNotFoundError as exc:
            raise MNISTNotFoundError(_not_found_message(name, path) + f" ({exc})") from exc
    data = _read_bytes(found)
    _verify(found, data, name)
    return read_idx(data, str(found))


def _not_found_message(name: str, path) -> str:
    looked = ", ".join(str(f) for f in _search_folders(path))
    return (f"MNIST file {name}(.gz) not found (looked in: {looked}) and could not be "
            f"downloaded; put the four MNIST files in a folder and set {ENV_VAR} to it")


@functools.lru_cache(maxsize=4)
def _load_cached(split: str, path: str | None, env: str | None,
                 download: bool) -> tuple[np.ndarray, np.ndarray]:
    # ``env`` is only part of the cache key: a changed $MNISTREADER_DATA is looked up afresh.
    prefix = _SPLITS[split]
    images = _load_file(f"{prefix}-images-idx3-ubyte", path, download)
    labels = _load_file(f"{prefix}-labels-idx1-ubyte", path, download)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_mnist(split: str = "train", path: str | os.PathLike | None = None,
               download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    path : path-like, optional
        Folder to look in first.
    download : bool
        Download into the user cache when no copy is found.

    Returns
    -------
    images : numpy.ndarray
        ``(N, 28, 28)`` uint8, white digit on black, read-only.
    labels : numpy.ndarray
        ``(N,)`` uint8 digits 0-9, read-only.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    return _load_cached(split, None if path is None else str(path), os.environ.get(ENV_VAR),
                        download)
