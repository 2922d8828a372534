"""A fully connected neural network in NumPy: the paper's ANN and its deeper cousins.

The network maps flattened 28x28 images (784 values in [0, 1]) through hidden layers with a
sigmoid (the paper), ReLU or tanh activation to a softmax over the ten digits. It is trained
with mean squared error (the paper) or cross-entropy. Everything is float32 and vectorised over
the batch; :mod:`mnistreader.train` holds the optimisers and the training loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Network", "ACTIVATIONS", "LOSSES", "INITS", "softmax", "one_hot"]

ACTIVATIONS = ("sigmoid", "relu", "tanh")
LOSSES = ("mse", "cross_entropy")
INITS = ("normal", "he", "glorot")


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``z``, computed in place (``z`` is overwritten and returned)."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def one_hot(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    """Return float32 one-hot rows for integer ``labels``."""
    out = np.zeros((len(labels), classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _activate(z: np.ndarray, kind: str) -> np.ndarray:
    """Apply the hidden activation to ``z`` in place and return it."""
    if kind == "sigmoid":  # 0.5 * (1 + tanh(z / 2)) never overflows
        z *= 0.5
        np.tanh(z, out=z)
        z += 1.0
        z *= 0.5
    elif kind == "relu":
        np.maximum(z, 0.0, out=z)
    else:
        np.tanh(z, out=z)
    return z


def _activation_grad(delta: np.ndarray, a: np.ndarray, kind: str) -> np.ndarray:
    """Multiply ``delta`` in place by the activation's derivative, given its output ``a``."""
    if kind == "sigmoid":
        delta *= a
        delta *= 1.0 - a
    elif kind == "relu":
        delta *= a > 0
    else:
        delta *= 1.0 - a * a
    return delta


@dataclass(eq=False)
class Network:
    """A multilayer perceptron with a softmax output.

    Parameters
    ----------
    weights : list of numpy.ndarray
        ``weights[i]`` has shape ``(sizes[i], sizes[i + 1])``.
    biases : list of numpy.ndarray
        ``biases[i]`` has shape ``(sizes[i + 1],)``.
    activation : {"sigmoid", "relu", "tanh"}
        Activation of every hidden layer.
    loss : {"mse", "cross_entropy"}
        Loss used by :meth:`loss_and_gradients`.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activation: str = "sigmoid"
    loss: str = "mse"
    meta: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {self.activation!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, not {self.loss!r}")
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError("need one bias vector per weight matrix, and at least one layer")
        self.weights = [np.ascontiguousarray(w, dtype=np.float32) for w in self.weights]
        self.biases = [np.ascontiguousarray(b, dtype=np.float32) for b in self.biases]
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            if w.ndim != 2 or b.shape != (w.shape[1],):
                raise ValueError(f"layer {i}: weights {w.shape} and biases {b.shape} do not fit")
            if i and w.shape[0] != self.weights[i - 1].shape[1]:
                raise ValueError(f"layer {i}: expects {w.shape[0]} inputs, "
                                 f"layer {i - 1} gives {self.weights[i - 1].shape[1]}")

    @classmethod
    def create(cls, sizes: list[int] | tuple[int, ...], *, activation: str = "sigmoid",
               loss: str = "mse", init: str = "normal",
               rng: np.random.Generator | int | None = 0) -> "Network":
        """Create a network with freshly initialised weights.

        Parameters
        ----------
        sizes : sequence of int
            Neurons per layer, input first, e.g. ``(784, 75, 10)`` for the paper.
        init : {"normal", "he", "glorot"}
            ``"normal"`` draws every weight and bias from the standard normal distribution, as
            the paper does; ``"he"`` and ``"glorot"`` scale it by the fan-in (biases zero).
        rng : numpy.random.Generator or int
            Source of randomness, or a seed for one.
        """
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, not {init!r}")
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ValueError(f"sizes must list at least two positive layer sizes, not {sizes!r}")
        rng = np.random.default_rng(rng)
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            w = rng.standard_normal((fan_in, fan_out), dtype=np.float32)
            if init == "normal":
                b = rng.standard_normal(fan_out, dtype=np.float32)
            else:
                w *= np.sqrt((2.0 if init == "he" else 1.0) / fan_in, dtype=np.float32)
                b = np.zeros(fan_out, dtype=np.float32)
            weights.append(w)
            biases.append(b)
        return cls(weights, biases, activation=activation, loss=loss)

    @property
    def sizes(self) -> list[int]:
        """Neurons per layer, input first."""
        return [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Return the activations of every layer for a batch ``x`` of shape ``(n, 784)``.

        The first entry is ``x`` itself, the last the softmax probabilities.
        """
        activations = [x]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = activations[-1] @ w
            z += b
            activations.append(softmax(z) if i == last else _activate(z, self.activation))
        return activations

    def predict_proba(self, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Softmax probabilities ``(n, 10)`` for images ``x`` of shape ``(n, 784)`` or ``(n, 28, 28)``.

        ``uint8`` input is scaled to [0, 1]; float input is taken as already scaled.
        """
        x = as_input(x)
        out = np.empty((len(x), self.sizes[-1]), dtype=np.float32)
        for start in range(0, len(x), batch_size):
            out[start:start + batch_size] = self.forward(x[start:start + batch_size])[-1]
        return out

    def digit_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, 10)`` of the ten digits.

        A network with an eleventh, "not a digit" output leaves it out here, so a row sums to
        the probability that the image is a digit at all.
        """
        return self.predict_proba(x)[:, :10]

    @property
    def rejects(self) -> bool:
        """True if the network has an eleventh, "not a digit", output."""
        return self.sizes[-1] == 11

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Most probable digit for each image."""
        return self.digit_proba(x).argmax(axis=1)

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of ``images`` whose predicted digit equals ``labels``."""
        return float(np.mean(self.predict(images) == np.asarray(labels)))

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray, reduction: str = "mean",
                           scale: float = 1.0, reuse: bool = False):
        """Loss of a batch and its gradients with respect to every weight and bias.

        Parameters
        ----------
        x : numpy.ndarray
            ``(n, 784)`` float32 inputs.
        y : numpy.ndarray
            ``(n, 10)`` one-hot targets.
        reduction : {"mean", "sum"}
            Whether the gradient is of the mean or of the sum of the per-example losses. The
            paper adds up the error of its 20 examples before each update (``"sum"``).
        scale : float
            Multiply every gradient by this (plain SGD passes its learning rate, saving a pass
            over the parameters).
        reuse : bool
            Write the weight gradients into buffers kept by the network and reused by the next
            call (the training loop's choice: it saves allocating large arrays every batch).
            The returned gradients are then only valid until the next call.

        Returns
        -------
        loss : float
            Mean per-example loss: half the squared error summed over the outputs (``"mse"``,
            the quadratic cost) or the negative log-probability of the true class
            (``"cross_entropy"``).
        grad_w, grad_b : list of numpy.ndarray
            Gradients, shaped like ``weights`` and ``biases``.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', not {reduction!r}")
        activations = self.forward(x)
        p = activations[-1]
        n = len(x)
        delta = p - y
        if self.loss == "mse":
            flat = delta.ravel()
            loss = 0.5 * float(np.dot(flat, flat)) / n
            # back through the softmax Jacobian: dz = p * (g - <g, p>)
            delta -= (delta * p).sum(axis=1, keepdims=True)
            delta *= p
        else:
            loss = float(-np.log(np.maximum(p[y > 0], 1e-12)).sum()) / n
        factor = scale / n if reduction == "mean" else scale
        if factor != 1.0:
            delta *= np.float32(factor)
        last = len(self.weights) - 1
        grad_w = [None] * (last + 1)
        grad_b = [None] * (last + 1)
        buffers = self._gradient_buffers() if reuse else [None] * (last + 1)
        for i in range(last, -1, -1):
            grad_w[i] = np.matmul(activations[i].T, delta, out=buffers[i])
            grad_b[i] = delta.sum(axis=0)
            if i:
                delta = _activation_grad(delta @ self.weights[i].T, activations[i], self.activation)
        return loss, grad_w, grad_b

    def _gradient_buffers(self) -> list[np.ndarray]:
        buffers = self.__dict__.get("_buffers")
        if buffers is None or [b.shape for b in buffers] != [w.shape for w in self.weights]:
            buffers = self.__dict__["_buffers"] = [np.empty_like(w) for w in self.weights]
        return buffers

    def copy(self) -> "Network":
        """An independent copy (weights are copied)."""
        return Network([w.copy() for w in self.weights], [b.copy() for b in self.biases],
                       self.activation, self.loss, dict(self.meta))

    def __str__(self) -> str:
        return f"{' -> '.join(map(str, self.sizes))}, {self.activation} hidden, {self.loss} loss"


def as_input(images: np.ndarray) -> np.ndarray:
    """Flatten images to ``(n, 784)`` float32 in [0, 1] (``uint8`` is divided by 255)."""
    images = np.asarray(images)
    flat = images.reshape(len(images), -1) if images.ndim > 1 else images.reshape(1, -1)
    if flat.dtype == np.uint8:
        return flat.astype(np.float32) * np.float32(1 / 255)
    return np.ascontiguousarray(flat, dtype=np.float32)
