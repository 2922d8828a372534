"""mnistreader: read handwritten multi-digit numbers from images.

The pipeline, one module per stage: :mod:`~mnistreader.data` (verified MNIST),
:mod:`~mnistreader.preprocess` (grayscale, binarize, invert, dilate),
:mod:`~mnistreader.segment` (digits left to right, MNIST-style),
:mod:`~mnistreader.network` and :mod:`~mnistreader.train` (the NumPy ANN;
:mod:`~mnistreader.committee`: several voting),
:mod:`~mnistreader.persist` (safe model files), :mod:`~mnistreader.reader` (numbers),
:mod:`~mnistreader.batch` (folders of images), :mod:`~mnistreader.export` (CSV),
:mod:`~mnistreader.cli` and :mod:`~mnistreader.widgets`.

>>> from mnistreader import read_number
>>> read_number("examples/0215.png").number   # doctest: +SKIP
'0215'
"""

__version__ = "0.1.0"

from .committee import Committee  # noqa: E402
from .data import load_mnist  # noqa: E402
from .network import Network  # noqa: E402
from .persist import load_model, save_model  # noqa: E402
from .reader import Reading, read_number, read_numbers  # noqa: E402
from .train import PRESETS, train  # noqa: E402

__all__ = ["__version__", "load_mnist", "Network", "Committee", "load_model", "save_model", "Reading",
           "read_number", "read_numbers", "PRESETS", "train"]
