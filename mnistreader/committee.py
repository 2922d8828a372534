"""A committee of networks: several networks trained alike, voting with their probabilities.

Networks trained with different random seeds make partly different mistakes, most of all on
handwriting unlike their training digits; the mean of their probabilities is right more often
than any one of them (an ensemble). A :class:`Committee` answers like a
:class:`~mnistreader.network.Network` (``predict_proba``, ``digit_proba``, ``predict``,
``accuracy``), so the reader, the decoder's calibration and the evaluation take either. It is
saved as one model file (:mod:`mnistreader.persist`).

>>> from mnistreader.persist import load_model
>>> committee = Committee([load_model("best"), load_model("best")])   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .network import Network, as_input

__all__ = ["Committee", "networks_of"]


def networks_of(model: Network | "Committee") -> list[Network]:
    """The networks of a model: a committee's members, or the network itself."""
    return list(model.members) if isinstance(model, Committee) else [model]


@dataclass(eq=False)
class Committee:
    """Networks with the same inputs and outputs whose probabilities are averaged.

    Parameters
    ----------
    members : list of Network
        At least one network; all map 784 inputs to the same number of outputs.
    meta : dict
        The committee's own metadata (its decoder, review threshold, what it was made of).
    """

    members: list[Network]
    meta: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.members = list(self.members)
        if not self.members or not all(isinstance(m, Network) for m in self.members):
            raise ValueError("a committee needs at least one Network")
        shapes = {(m.sizes[0], m.sizes[-1]) for m in self.members}
        if len(shapes) > 1:
            raise ValueError(f"committee members disagree on inputs and outputs: {sorted(shapes)}")

    @property
    def sizes(self) -> list[int]:
        """Neurons per layer of the first member (all share the first and last)."""
        return self.members[0].sizes

    @property
    def rejects(self) -> bool:
        """True if the members have an eleventh, "not a digit", output."""
        return self.members[0].rejects

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """The members' mean softmax probabilities for images ``x``."""
        x = as_input(x)  # once, not once per member
        total = self.members[0].predict_proba(x)
        for member in self.members[1:]:
            total += member.predict_proba(x)
        total /= len(self.members)
        return total

    def digit_proba(self, x: np.ndarray) -> np.ndarray:
        """The members' mean probabilities of the ten digits (see :meth:`Network.digit_proba`)."""
        return self.predict_proba(x)[:, :10]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Most probable digit for each image."""
        return self.digit_proba(x).argmax(axis=1)

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of ``images`` whose predicted digit equals ``labels``."""
        return float(np.mean(self.predict(images) == np.asarray(labels)))

    def copy(self) -> "Committee":
        """An independent copy (every member's weights are copied)."""
        return Committee([m.copy() for m in self.members], dict(self.meta))

    def __str__(self) -> str:
        return (f"a committee of {len(self.members)} networks "
                f"{' -> '.join(map(str, self.sizes))}, {self.members[0].activation} hidden")
