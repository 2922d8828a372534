"""Shared fixtures. Tests run on the real MNIST files: ``$MNISTREADER_DATA`` if set, else the
offline copy in ``../shared/mnist`` beside the project when there is one, else the user cache
(downloading once)."""

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
_SHARED = ROOT.parent / "shared" / "mnist"
if not os.environ.get("MNISTREADER_DATA") and _SHARED.is_dir():
    os.environ["MNISTREADER_DATA"] = str(_SHARED)


@pytest.fixture(scope="session")
def mnist_test():
    from mnistreader.data import load_mnist

    return load_mnist("test")


@pytest.fixture(scope="session")
def mnist_train():
    from mnistreader.data import load_mnist

    return load_mnist("train")


@pytest.fixture(scope="session")
def best_model():
    from mnistreader.persist import load_model

    return load_model("best")


@pytest.fixture(scope="session")
def digit_images(mnist_test):
    """A few MNIST test digits per class, for building number images: {digit: [images]}."""
    images, labels = mnist_test
    return {d: [images[i] for i in np.flatnonzero(labels == d)[:20]] for d in range(10)}
