import json
import pickle

import numpy as np
import pytest

from mnistreader.network import Network
from mnistreader.persist import ModelFileError, load_model, save_model


@pytest.fixture
def net():
    net = Network.create([784, 30, 10], rng=1)
    net.meta.update(preset="test", seed=1, history={"epoch": [1], "test_accuracy": [0.5]})
    return net


def test_round_trip(tmp_path, net):
    path = save_model(net, tmp_path / "m.npz")
    loaded = load_model(path)
    assert loaded.sizes == [784, 30, 10] and loaded.activation == "sigmoid"
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, loaded.weights))
    assert loaded.meta["history"]["test_accuracy"] == [0.5]
    assert loaded.meta["format"] == "mnistreader-model" and "package_version" in loaded.meta


def test_float16_storage_is_close(tmp_path, net):
    loaded = load_model(save_model(net, tmp_path / "m.npz", dtype="float16"))
    assert loaded.weights[0].dtype == np.float32
    assert np.allclose(loaded.weights[0], net.weights[0], atol=2e-3, rtol=1e-3)


def test_interrupted_save_keeps_the_old_model(tmp_path, net, monkeypatch):
    path = save_model(net, tmp_path / "m.npz")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        save_model(Network.create([784, 5, 10], rng=2), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left


def _error(path) -> str:
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_missing_file(tmp_path):
    assert "not found" in _error(tmp_path / "nope.npz")


def test_truncated_file(tmp_path, net):
    path = save_model(net, tmp_path / "m.npz")
    path.write_bytes(path.read_bytes()[:5000])
    assert "corrupted or truncated" in _error(path)


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"this is not a model" * 10)
    assert "not a mnistreader model" in _error(path)


def test_wrong_shape(tmp_path, net):
    path = save_model(net, tmp_path / "m.npz")
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["w1"] = np.zeros((31, 10), np.float32)
    np.savez(path, **arrays)
    assert "shape" in _error(path)


def test_npz_without_metadata(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w0=np.zeros((784, 10)))
    assert "metadata" in _error(path)


class _Exploit:
    def __reduce__(self):
        import os
        return (os.system, ("touch PWNED",))


def test_pickle_is_never_loaded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": _Exploit()}))
    assert "pickle" in _error(path)
    # a pickled object array hidden inside an npz is refused too
    inside = tmp_path / "sneaky.npz"
    np.savez(inside, meta=np.array(json.dumps({"format": "mnistreader-model", "sizes": [2, 2]})),
             w0=np.array([_Exploit()], dtype=object), b0=np.zeros(2))
    assert "pickle" in _error(inside)
    assert not (tmp_path / "PWNED").exists()


def test_shipped_models_carry_their_history():
    from mnistreader.committee import networks_of

    for name in ("paper", "best"):
        model = load_model(name)
        assert model.meta["preset"] == name
        for net in networks_of(model):
            history = net.meta["history"]
            assert len(history["test_accuracy"]) == net.meta["epochs"] == len(history["seconds"])


def test_committee_round_trip_and_vote(tmp_path, net, mnist_test):
    from mnistreader.committee import Committee

    other = Network.create([784, 20, 10], rng=2)
    other.meta.update(preset="other")
    committee = Committee([net, other], {"preset": "committee", "decoder": {"weight": 0.5}})
    images = mnist_test[0][:200]
    mean = (net.predict_proba(images) + other.predict_proba(images)) / 2
    assert np.allclose(committee.predict_proba(images), mean, atol=1e-6)
    path = save_model(committee, tmp_path / "c.npz")
    loaded = load_model(path)
    assert isinstance(loaded, Committee) and len(loaded.members) == 2
    assert loaded.meta["format_version"] == 2 and loaded.meta["decoder"] == {"weight": 0.5}
    assert [m.meta["preset"] for m in loaded.members] == ["test", "other"]
    assert [m.sizes for m in loaded.members] == [[784, 30, 10], [784, 20, 10]]
    assert np.allclose(loaded.predict_proba(images), mean, atol=1e-6)
    with np.load(path) as archive:  # a member's layer missing: named in the error
        arrays = {k: archive[k] for k in archive.files if k != "m1_w1"}
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(ModelFileError, match="broken.npz: array m1_w1 is missing"):
        load_model(tmp_path / "broken.npz")


def test_committee_members_must_agree():
    from mnistreader.committee import Committee

    with pytest.raises(ValueError, match="disagree"):
        Committee([Network.create([784, 30, 10]), Network.create([784, 30, 11])])
    with pytest.raises(ValueError, match="at least one"):
        Committee([])
