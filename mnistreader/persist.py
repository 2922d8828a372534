"""Save and load networks as ``.npz`` files with JSON metadata, safely.

A model file is a NumPy ``.npz`` archive holding the arrays ``w0, b0, w1, b1, ...`` and one
string array ``meta``: JSON with the architecture, activation, loss, preset, seed, epochs,
accuracy, package version and training history. A :class:`~mnistreader.committee.Committee`
is one file too (format version 2): member ``k``'s arrays are ``m{k}_w0, m{k}_b0, ...`` and
``meta["members"]`` lists each member's metadata. It is loaded with ``allow_pickle=False``, so
loading a model never runs code; a pickle is refused. Saving writes a temporary file beside the
target and renames it over the target, so an interrupted save never destroys an existing model.
"""

from __future__ import annotations

import json
import os
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

from ._atomic import atomic_open
from .committee import Committee, networks_of
from .network import Network

__all__ = ["ModelFileError", "save_model", "load_model", "shipped_models", "model_path"]

FORMAT = "mnistreader-model"
FORMAT_VERSION = 2  # 2: committees; a single network is still written as version 1
SHIPPED = ("paper", "best")


class ModelFileError(ValueError):
    """A model file is missing, unreadable, corrupted or not a mnistreader model."""


def save_model(net: Network | Committee, path: str | os.PathLike, *,
               dtype: str = "float32") -> Path:
    """Write ``net`` (a network or a committee) and its ``meta`` to ``path`` atomically.

    Parameters
    ----------
    dtype : {"float32", "float16"}
        Storage precision of the weights (``float16`` halves the file; loading casts back).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from . import __version__

    if dtype not in ("float32", "float16"):
        raise ValueError(f"dtype must be 'float32' or 'float16', not {dtype!r}")
    path = Path(path)
    members, committee = networks_of(net), isinstance(net, Committee)
    meta = dict(net.meta)
    meta.update(format=FORMAT, format_version=FORMAT_VERSION if committee else 1,
                dtype=dtype, package_version=__version__)
    arrays = {}
    for k, member in enumerate(members):
        prefix = f"m{k}_" if committee else ""
        for i, (w, b) in enumerate(zip(member.weights, member.biases)):
            arrays[f"{prefix}w{i}"] = w.astype(dtype)
            arrays[f"{prefix}b{i}"] = b.astype(dtype)
    shapes = [dict(sizes=m.sizes, activation=m.activation, loss=m.loss) for m in members]
    if committee:
        meta["members"] = [dict(m.meta, **shape) for m, shape in zip(members, shapes)]
    else:
        meta.update(shapes[0])
    arrays["meta"] = np.array(json.dumps(meta))
    with atomic_open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def model_path(name_or_path: str | os.PathLike) -> Path:
    """Resolve ``"paper"``/``"best"`` to the shipped model file, anything else to a path."""
    if str(name_or_path) in SHIPPED:
        return Path(str(resources.files("mnistreader") / "models" / f"{name_or_path}.npz"))
    return Path(name_or_path)


def shipped_models() -> tuple[str, ...]:
    """Names of the models shipped with the package."""
    return SHIPPED


def load_model(name_or_path: str | os.PathLike = "best") -> Network | Committee:
    """Load a shipped model (``"paper"`` or ``"best"``) or a model file: a network, or a
    committee of networks.

    Raises
    ------
    ModelFileError
        With a one-line message naming the file and the problem.
    """
    path = model_path(name_or_path)
    if not path.exists():
        hint = "" if Path(str(name_or_path)).suffix else f" (shipped models: {', '.join(SHIPPED)})"
        raise ModelFileError(f"{path}: model file not found{hint}")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a model file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    if head[:1] == b"\x80":
        raise ModelFileError(f"{path}: is a pickle file; mnistreader never loads pickles "
                             "(they can run arbitrary code)")
    if head != b"PK\x03\x04":
        raise ModelFileError(f"{path}: not a mnistreader model (.npz) file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        reason = "contains pickled data, which is never loaded" if "pickle" in str(exc) else \
            f"corrupted or truncated ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        raise ModelFileError(f"{path}: {reason}") from exc
    return _network_from_arrays(path, arrays)


def _network_from_arrays(path: Path, arrays: dict) -> Network | Committee:
    try:
        meta = json.loads(str(arrays["meta"]))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: missing or unreadable metadata") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a mnistreader model (metadata has no format tag)")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(f"{path}: made by a newer mnistreader (format "
                             f"{meta['format_version']}); upgrade mnistreader to load it")
    if "members" not in meta:
        net = _layers(path, arrays, meta, "")
        net.meta = meta
        return net
    members = meta.pop("members")
    if not isinstance(members, list) or not members:
        raise ModelFileError(f"{path}: a committee without members")
    nets = []
    for k, member_meta in enumerate(members):
        net = _layers(path, arrays, member_meta, f"m{k}_")
        net.meta = member_meta
        nets.append(net)
    try:
        return Committee(nets, meta)
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from exc


def _layers(path: Path, arrays: dict, meta: dict, prefix: str) -> Network:
    """The network whose arrays are ``{prefix}w0, {prefix}b0, ...``, checked against ``meta``."""
    sizes = meta.get("sizes", []) if isinstance(meta, dict) else []
    layers = len(sizes) - 1
    try:
        weights = [arrays[f"{prefix}w{i}"] for i in range(layers)]
        biases = [arrays[f"{prefix}b{i}"] for i in range(layers)]
    except KeyError as exc:
        raise ModelFileError(f"{path}: array {exc.args[0]} is missing") from exc
    for i, w in enumerate(weights):
        expected = (sizes[i], sizes[i + 1])
        if w.shape != expected or biases[i].shape != expected[1:]:
            raise ModelFileError(f"{path}: layer {i} has shape {w.shape}, metadata says {expected}")
        if not (np.issubdtype(w.dtype, np.floating) and np.isfinite(w).all()
                and np.isfinite(biases[i]).all()):
            raise ModelFileError(f"{path}: layer {i} holds non-finite or non-float values")
    try:
        return Network(weights, biases, activation=meta.get("activation", "sigmoid"),
                       loss=meta.get("loss", "mse"))
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from exc
