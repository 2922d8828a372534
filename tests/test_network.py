import numpy as np
import pytest

from mnistreader.network import Network, as_input, one_hot, softmax
from mnistreader.train import PRESETS, TrainConfig, train


def _numeric_gradient(net, x, y, reduction, layer, kind, index, eps=1e-2):
    params = net.weights if kind == "w" else net.biases
    old = params[layer][index]
    params[layer][index] = old + eps
    plus = net.loss_and_gradients(x, y, reduction)[0]
    params[layer][index] = old - eps
    minus = net.loss_and_gradients(x, y, reduction)[0]
    params[layer][index] = old
    scale = len(x) if reduction == "sum" else 1
    return (plus - minus) / (2 * eps) * scale


@pytest.mark.parametrize("activation,loss,reduction,init", [
    ("sigmoid", "mse", "sum", "normal"),
    ("sigmoid", "mse", "mean", "glorot"),
    ("relu", "cross_entropy", "mean", "he"),
    ("tanh", "cross_entropy", "sum", "glorot"),
])
def test_gradients_match_finite_differences(mnist_test, activation, loss, reduction, init):
    images, labels = mnist_test
    x, y = as_input(images[:8]), one_hot(labels[:8])
    net = Network.create([784, 12, 9, 10], activation=activation, loss=loss, init=init, rng=3)
    # float64 copies make the finite differences exact enough to compare
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [b.astype(np.float64) for b in net.biases]
    x = x.astype(np.float64)
    _, grad_w, grad_b = net.loss_and_gradients(x, y, reduction)
    rng = np.random.default_rng(0)
    for layer in range(3):
        for kind, grads in (("w", grad_w), ("b", grad_b)):
            for _ in range(4):
                shape = grads[layer].shape
                index = tuple(int(rng.integers(0, s)) for s in shape)
                if kind == "w" and layer == 0:  # pick an input pixel that is not always 0
                    index = (int(rng.choice(np.flatnonzero(x.any(axis=0)))), index[1])
                numeric = _numeric_gradient(net, x, y, reduction, layer, kind, index, eps=1e-5)
                assert grads[layer][index] == pytest.approx(numeric, rel=1e-4, abs=1e-7)


def test_softmax_and_one_hot():
    z = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]], np.float32)
    p = softmax(z.copy())
    assert np.allclose(p, [[0.5, 0.5], [0.25, 0.75]])
    assert one_hot(np.array([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]


def test_paper_initialisation_is_standard_normal():
    net = Network.create([784, 75, 10], init="normal", rng=0)
    w = net.weights[0]
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01 and net.biases[0].std() > 0.5


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="activation"):
        Network.create([784, 10], activation="softplus")
    with pytest.raises(ValueError, match="do not fit"):
        Network([np.zeros((784, 5))], [np.zeros(6)])


def test_paper_preset_is_the_papers():
    paper = PRESETS["paper"]
    assert (paper.sizes, paper.activation, paper.loss, paper.batch_size, paper.lr, paper.epochs) \
        == ((784, 75, 10), "sigmoid", "mse", 20, 0.002, 350)


def _small_data(mnist_train, mnist_test, n=6000):
    images, labels = mnist_train
    test_images, test_labels = mnist_test
    return images[:n], labels[:n], test_images[:2000], test_labels[:2000]


def test_training_is_reproducible_bit_for_bit(mnist_train, mnist_test):
    config = PRESETS["paper"].replace(epochs=1)
    data = _small_data(mnist_train, mnist_test, 2000)
    a, history_a = train(config, data=data, progress=False)
    b, history_b = train(config, data=data, progress=False)
    assert all(np.array_equal(u, v) for u, v in zip(a.weights, b.weights))
    assert history_a["loss"] == history_b["loss"]
    c, _ = train(config.replace(seed=1), data=data, progress=False)
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_paper_network_learns_like_the_paper_first_epoch(mnist_train, mnist_test):
    # the paper reports 33.14% test accuracy after its first epoch over all 60,000 images
    net, history = train(PRESETS["paper"].replace(epochs=1), progress=False)
    assert set(history) == {"epoch", "train_accuracy", "test_accuracy", "loss", "seconds"}
    assert 0.25 < history["test_accuracy"][0] < 0.45
    assert net.meta["preset"] == "paper"


def test_short_modern_training_learns(mnist_train, mnist_test):
    config = TrainConfig(name="quick", sizes=(784, 64, 10), activation="relu",
                         loss="cross_entropy", init="he", batch_size=64, lr=2e-3, epochs=3,
                         optimizer="adam", reduction="mean", augment=False)
    seen = []
    net, history = train(config, data=_small_data(mnist_train, mnist_test, 10000), progress=False,
                         on_epoch=lambda n, h: seen.append(h["test_accuracy"][-1]))
    assert len(seen) == 3 and history["loss"][2] < history["loss"][0]
    assert history["test_accuracy"][-1] > 0.9


def test_shipped_models_meet_their_accuracy(mnist_test):
    from mnistreader.persist import load_model

    images, labels = mnist_test
    assert load_model("paper").accuracy(images, labels) >= 0.91
    assert load_model("best").accuracy(images, labels) >= 0.985
