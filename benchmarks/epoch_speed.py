"""How long one epoch of the paper's network takes: mnistreader (NumPy) against PyTorch CPU.

The same network (784-75-10, sigmoid, softmax, squared error summed over batches of 20, plain
SGD with learning rate 0.002) is trained for one epoch on the 60,000 MNIST training images by
each implementation, in this one process, alternating, and the median of the repeats is kept.
Timings on shared machines are noisy, so the result is the *ratio* of the two medians, not
the seconds. scikit-learn's MLPClassifier (sgd, batch 20, logistic, 75 hidden) is timed too when
installed. Run:

    python benchmarks/epoch_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time

import numpy as np

from mnistreader.data import load_mnist
from mnistreader.network import as_input, one_hot
from mnistreader.train import PRESETS, train

BATCH, LR, HIDDEN = 20, 0.002, 75


def time_numpy(images, labels) -> float:
    config = PRESETS["paper"].replace(epochs=1)
    _, history = train(config, data=(images, labels, images[:1000], labels[:1000]),
                       progress=False)
    return history["seconds"][0]


def time_torch(images, labels, seed: int = 0) -> float:
    import torch

    torch.manual_seed(seed)
    x_all = torch.from_numpy(as_input(images))
    y_all = torch.from_numpy(one_hot(labels))
    model = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.Sigmoid(),
                                torch.nn.Linear(HIDDEN, 10), torch.nn.Softmax(dim=1))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    start = time.perf_counter()
    order = torch.randperm(len(x_all))
    x_all, y_all = x_all[order], y_all[order]
    for lo in range(0, len(x_all), BATCH):
        x, y = x_all[lo:lo + BATCH], y_all[lo:lo + BATCH]
        optimizer.zero_grad(set_to_none=True)
        loss = 0.5 * ((model(x) - y) ** 2).sum()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def time_sklearn(images, labels) -> float:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="logistic", solver="sgd",
                        batch_size=BATCH, learning_rate_init=LR, momentum=0.0, max_iter=1,
                        shuffle=True, random_state=0)
    x = as_input(images)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, labels)
    return time.perf_counter() - start


def measure(runners: dict, images, labels, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            times[name].append(run(images, labels))
    return {name: statistics.median(t) for name, t in times.items()}


def report(title: str, medians: dict[str, float]) -> None:
    ours = medians["mnistreader (numpy)"]
    print(title)
    for name, seconds in medians.items():
        print(f"  {name:28s} {seconds:7.2f} s   mnistreader / this = {ours / seconds:.3f}")
    if "pytorch cpu" in medians:
        print(f"  epoch-time ratio mnistreader / pytorch = {ours / medians['pytorch cpu']:.3f} "
              "(target <= 0.25)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images, labels = load_mnist("train")
    runners = {"mnistreader (numpy)": time_numpy}
    torch = None
    try:
        import torch

        runners["pytorch cpu"] = time_torch
    except ImportError:
        print("pytorch not installed: pip install torch (the reference this ratio needs)")
    if importlib.util.find_spec("sklearn"):
        runners["scikit-learn MLPClassifier"] = time_sklearn
    else:
        print("scikit-learn not installed: skipped")
    print(f"one epoch of the paper network (60,000 images, batch {BATCH}), median of "
          f"{args.repeats}, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch else ""))
    report(f"each library's default threads (torch: {torch.get_num_threads() if torch else '-'}; "
           "mnistreader uses one BLAS thread for small batches)",
           measure(runners, images, labels, args.repeats))
    from threadpoolctl import threadpool_limits

    if torch:
        torch.set_num_threads(1)
    with threadpool_limits(1):
        report("one thread each", measure(runners, images, labels, args.repeats))


if __name__ == "__main__":
    main()
