"""Train networks on MNIST: the paper's preset, a better one, optimisers and the sweep.

>>> from mnistreader.train import PRESETS, train
>>> net, history = train(PRESETS["paper"].replace(epochs=1), progress=False)  # doctest: +SKIP

A run is reproducible bit for bit on one machine: every random draw (initial weights, shuffling,
distortions) comes from one :class:`numpy.random.Generator` seeded by ``config.seed``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from .augment import distort, non_digits, renormalise
from .data import load_mnist
from .network import Network, as_input, one_hot

__all__ = ["TrainConfig", "PRESETS", "SGD", "Adam", "train", "evaluate", "sweep", "load_sweep",
           "HISTORY_KEYS"]

#: batches up to this size train with one BLAS thread
SMALL_BATCH = 64
HISTORY_KEYS = ("epoch", "train_accuracy", "test_accuracy", "loss", "seconds")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run.

    Attributes
    ----------
    name : str
        Preset name, stored with the model.
    sizes : tuple of int
        Neurons per layer, input first.
    activation, loss, init : str
        See :class:`mnistreader.network.Network`.
    batch_size : int
        Examples per update.
    lr : float
        Learning rate (the peak rate when ``schedule="cosine"``).
    epochs : int
        Passes over the 60,000 training images.
    optimizer : {"sgd", "adam"}
        Plain/momentum SGD or Adam.
    momentum : float
        SGD momentum (0 for the paper's plain SGD).
    schedule : {"constant", "cosine"}
        Learning rate over the run.
    reduction : {"mean", "sum"}
        Gradient of the mean or of the sum of the batch's losses.
    augment : bool
        Train on randomly distorted digits (:func:`mnistreader.augment.distort`).
    elastic : float
        With ``augment``, the fraction of digits also warped elastically.
    reject : float
        If above 0, add an eleventh output, "not a digit", trained on this many non-digits
        per training image (:func:`mnistreader.augment.non_digits`): slices of digits and
        digits squeezed together, as a segmenter produces when it cuts wrongly.
    documents : int
        If above 0, also train on the candidate digits the segmenter finds in this many
        synthetic documents (:func:`mnistreader.truth.candidate_pool`): whole digits as
        digits, wrong cuts, joins and clutter as "not a digit" (with ``reject``).
    candidates : float
        Candidates drawn afresh from that pool every epoch, per MNIST training image (half
        whole digits, half "not a digit").
    documents_seed : int
        Seed of the synthetic documents.
    seed : int
        Seed of the run's random generator.
    """

    name: str = "custom"
    sizes: tuple[int, ...] = (784, 75, 10)
    activation: str = "sigmoid"
    loss: str = "mse"
    init: str = "normal"
    batch_size: int = 20
    lr: float = 0.002
    epochs: int = 350
    optimizer: str = "sgd"
    momentum: float = 0.0
    schedule: str = "constant"
    reduction: str = "sum"
    augment: bool = False
    elastic: float = 0.0
    reject: float = 0.0
    documents: int = 0
    candidates: float = 0.0
    documents_seed: int = 2026
    seed: int = 0

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def with_hidden(self, hidden: int) -> "TrainConfig":
        """A copy whose every hidden layer has ``hidden`` neurons."""
        sizes = (self.sizes[0],) + (int(hidden),) * (len(self.sizes) - 2) + (self.sizes[-1],)
        return self.replace(sizes=sizes)


PRESETS: dict[str, TrainConfig] = {
    # The paper: 784-75-10, sigmoid, softmax, squared error summed over batches of 20,
    # standard-normal weights and biases, plain SGD with learning rate 0.002, 350 epochs.
    "paper": TrainConfig(name="paper"),
    # Ours: two ReLU layers, cross-entropy, He initialisation, Adam with a cosine schedule,
    # randomly distorted digits so that it generalises to real handwriting, and the candidate
    # digits the segmenter finds in 20,000 synthetic documents (whole digits, and wrong cuts,
    # joins and clutter as "not a digit").
    "best": TrainConfig(name="best", sizes=(784, 800, 800, 11), activation="relu",
                        loss="cross_entropy", init="he", batch_size=128, lr=1e-3, epochs=50,
                        optimizer="adam", schedule="cosine", reduction="mean", augment=True,
                        elastic=0.5, reject=0.15, documents=20000, candidates=1.0),
}


class SGD:
    """Stochastic gradient descent, optionally with (heavy-ball) momentum."""

    def __init__(self, params: list[np.ndarray], momentum: float = 0.0) -> None:
        self.params = params
        self.momentum = momentum
        self.velocity = [np.zeros_like(p) for p in params] if momentum else None

    #: plain SGD lets the network scale its gradients by the learning rate as it goes
    prescaled = property(lambda self: self.velocity is None)

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        """Update the parameters in place (``grads`` may be overwritten).

        Without momentum the gradients come already multiplied by ``lr`` (see ``prescaled``).
        """
        if self.velocity is None:
            for p, g in zip(self.params, grads):
                p -= g
            return
        lr = np.float32(lr)
        for p, g, v in zip(self.params, grads, self.velocity):
            v *= self.momentum
            v += g
            p -= lr * v


class Adam:
    """Adam (Kingma & Ba, 2015)."""

    prescaled = False

    def __init__(self, params: list[np.ndarray], beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.params = params
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        """Update the parameters in place."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            g *= g
            g *= 1 - b2
            v += g
            denom = np.sqrt(v)
            denom += self.eps
            p -= np.float32(step) * m / denom


def _optimizer(config: TrainConfig, net: Network):
    params = net.weights + net.biases
    if config.optimizer == "sgd":
        return SGD(params, config.momentum)
    if config.optimizer == "adam":
        return Adam(params)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', not {config.optimizer!r}")


def _lr_at(config: TrainConfig, progress: float) -> float:
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1 + math.cos(math.pi * progress))
    return config.lr


def evaluate(net: Network, split: str = "test") -> float:
    """Accuracy of ``net`` on the MNIST ``"test"`` or ``"train"`` split."""
    images, labels = load_mnist(split)
    return net.accuracy(images, labels)


def _pool_draw(pool, count: int, rng: np.random.Generator):
    """``count`` candidates from the pool, half whole digits and half "not a digit"."""
    images, classes = pool
    digits, rejects = np.flatnonzero(classes < 10), np.flatnonzero(classes >= 10)
    half = count // 2 if len(rejects) else count
    take = np.concatenate([rng.choice(digits, half), rng.choice(rejects, count - half)
                           if len(rejects) else np.zeros(0, np.int64)])
    return images[take], classes[take]


def _epoch_inputs(config: TrainConfig, train_images: np.ndarray, targets: np.ndarray,
                  fixed: np.ndarray | None, rng: np.random.Generator, pool=None):
    """The epoch's inputs and targets, and the order in which to take them.

    With ``fixed`` (the same images every epoch) only the order is new; otherwise the epoch's
    images are made afresh (non-digits added, candidates drawn from ``pool``, distorted)
    already in the shuffled order.
    """
    order = rng.permutation(len(targets))
    if fixed is not None:
        return fixed, targets, order
    images = train_images
    n_extra = len(targets) - len(train_images)
    n_pool = int(round(config.candidates * len(train_images))) if pool is not None else 0
    if n_extra - n_pool:
        images = np.concatenate([renormalise(train_images, 0.5, rng),
                                 non_digits(train_images, n_extra - n_pool, rng)])
    if n_pool:
        drawn, classes = _pool_draw(pool, n_pool, rng)
        images = np.concatenate([images, drawn])
        targets = targets.copy()
        targets[-n_pool:] = np.eye(targets.shape[1], dtype=targets.dtype)[
            np.minimum(classes, targets.shape[1] - 1)]
    images = images[order]
    if config.augment:
        images = distort(images, rng, elastic=config.elastic)
    return as_input(images), targets[order], np.arange(len(targets))


def _run_epoch(net: Network, optimizer, config: TrainConfig, x: np.ndarray, y: np.ndarray,
               order: np.ndarray, rates: list[float]) -> float:
    """One pass of mini-batch updates over ``x`` in ``order``; return the mean loss."""
    total, bs = 0.0, config.batch_size
    for b, lo in enumerate(range(0, len(order), bs)):
        take = order[lo:lo + bs]
        xb, yb = x[take], y[take]
        scale = rates[b] if optimizer.prescaled else 1.0
        loss, grad_w, grad_b = net.loss_and_gradients(xb, yb, config.reduction, scale,
                                                      reuse=True)
        total += loss * len(xb)
        grad_w += grad_b
        optimizer.step(grad_w, rates[b])
    return total / len(order)


def train(config: TrainConfig, *, data=None, progress: bool = True,
          on_epoch: Callable[[Network, dict], None] | None = None,
          stop: Callable[[], bool] | None = None, pool=None) -> tuple[Network, dict]:
    """Train a network as ``config`` says.

    Parameters
    ----------
    config : TrainConfig
        For example ``PRESETS["paper"]``.
    data : tuple, optional
        ``(train_images, train_labels, test_images, test_labels)``; MNIST by default.
    progress : bool
        Show a tqdm progress bar over the epochs.
    on_epoch : callable, optional
        Called as ``on_epoch(net, history)`` after every epoch (live plots, widgets).
    stop : callable, optional
        Polled after every epoch; training ends early when it returns True.
    pool : tuple, optional
        ``(images, classes)`` of labelled candidates to use instead of making
        ``config.documents`` synthetic documents.

    Returns
    -------
    net : Network
        The trained network; ``net.meta`` records the configuration and final accuracies.
    history : dict
        Lists ``epoch``, ``train_accuracy``, ``test_accuracy``, ``loss`` (mean training loss)
        and ``seconds`` (wall time of the epoch's training, evaluation excluded).
    """
    from tqdm.auto import tqdm

    if data is None:
        data = (*load_mnist("train"), *load_mnist("test"))
    train_images, train_labels, test_images, test_labels = data
    train_labels = np.asarray(train_labels)
    rng = np.random.default_rng(config.seed)
    net = Network.create(config.sizes, activation=config.activation, loss=config.loss,
                         init=config.init, rng=rng)
    optimizer = _optimizer(config, net)
    n_extra = int(round(config.reject * len(train_images)))  # the "not a digit" examples
    if config.documents and pool is None:
        from .truth import candidate_pool

        pool = candidate_pool(config.documents, config.documents_seed,
                              jobs=os.cpu_count() or 1, progress=progress)
    if pool is not None and config.sizes[-1] == 10:  # no "not a digit" output: digits only
        pool = (pool[0][pool[1] < 10], pool[1][pool[1] < 10])
    n_extra += int(round(config.candidates * len(train_images))) if pool is not None else 0
    bs = config.batch_size
    batches_per_epoch = math.ceil((len(train_images) + n_extra) / bs)
    labels = np.concatenate([train_labels, np.full(n_extra, 10, train_labels.dtype)])
    targets = one_hot(labels, config.sizes[-1])
    history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
    fixed = as_input(train_images) if not (config.augment or n_extra) else None
    bar = tqdm(range(1, config.epochs + 1), desc=f"train {config.name}", unit="epoch",
               disable=not progress)
    # small batches make small matrix products, which BLAS threads only slow down
    with threadpool_limits(1 if bs <= SMALL_BATCH else None):
        for epoch in bar:
            start = time.perf_counter()
            x, y, order = _epoch_inputs(config, train_images, targets, fixed, rng, pool)
            first = (epoch - 1) * batches_per_epoch
            rates = [_lr_at(config, (first + b) / (config.epochs * batches_per_epoch))
                     for b in range(batches_per_epoch)]
            loss = _run_epoch(net, optimizer, config, x, y, order, rates)
            seconds = time.perf_counter() - start
            history["epoch"].append(epoch)
            history["train_accuracy"].append(net.accuracy(train_images, train_labels))
            history["test_accuracy"].append(net.accuracy(test_images, test_labels))
            history["loss"].append(loss)
            history["seconds"].append(seconds)
            bar.set_postfix(test=f"{history['test_accuracy'][-1]:.4f}", loss=f"{loss:.4f}")
            if on_epoch is not None:
                on_epoch(net, history)
            if stop is not None and stop():
                break
    net.meta.update(preset=config.name, config=dataclasses.asdict(config),
                    epochs=len(history["epoch"]),
                    train_accuracy=history["train_accuracy"][-1] if history["epoch"] else None,
                    test_accuracy=history["test_accuracy"][-1] if history["epoch"] else None,
                    history=history)
    return net, history


def sweep(lrs, hiddens, config: TrainConfig | None = None, *, progress: bool = True,
          data=None) -> list[dict]:
    """Train one network per (learning rate, hidden size) pair.

    Returns
    -------
    list of dict
        One record per pair: ``lr``, ``hidden``, ``test_accuracy``, ``train_accuracy``,
        ``seconds`` (training time) and the per-epoch ``test_curve``.
    """
    config = config or PRESETS["paper"]
    if data is None:
        data = (*load_mnist("train"), *load_mnist("test"))
    results = []
    for hidden in hiddens:
        for lr in lrs:
            _, history = train(config.with_hidden(hidden).replace(lr=float(lr)), data=data,
                               progress=progress)
            results.append({"lr": float(lr), "hidden": int(hidden),
                            "test_accuracy": history["test_accuracy"][-1],
                            "train_accuracy": history["train_accuracy"][-1],
                            "seconds": float(sum(history["seconds"])),
                            "test_curve": history["test_accuracy"]})
    return results


def load_sweep(path=None) -> dict:
    """The recorded learning-rate x hidden-size sweep shipped with the package.

    Returns
    -------
    dict
        ``{"epochs": ..., "lrs": [...], "hiddens": [...], "results": [...]}``, the results as
        :func:`sweep` returns them.
    """
    import json
    from importlib import resources

    path = path or resources.files("mnistreader") / "results" / "sweep.json"
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
