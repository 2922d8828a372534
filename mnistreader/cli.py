"""The ``mnistreader`` command line: train, evaluate and read numbers from images.

Errors are reported as one line on stderr (``mnistreader: error: ...``) with a non-zero exit
status, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]

EXIT_ERROR = 2
EXIT_SOME_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mnistreader`` command."""
    from . import __version__
    from .train import PRESETS

    parser = argparse.ArgumentParser(
        prog="mnistreader",
        description="Read handwritten multi-digit numbers with a NumPy network trained on MNIST.")
    parser.add_argument("--version", action="version", version=f"mnistreader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a network on MNIST and save it")
    p.add_argument("--preset", choices=sorted(PRESETS), default="paper")
    p.add_argument("--epochs", type=_positive_int, help="number of passes over the data")
    p.add_argument("--hidden", type=_positive_int, help="neurons in every hidden layer")
    p.add_argument("--lr", type=_positive_float, help="learning rate")
    p.add_argument("--seed", type=int, help="random seed (default: the preset's)")
    p.add_argument("--out", required=True, type=Path, help="model file to write (.npz)")
    p.add_argument("--history", type=Path, help="also write the per-epoch history as JSON")
    p.add_argument("--float16", action="store_true", help="store weights as float16")
    p.add_argument("--calibrate", type=int, metavar="N",
                   help="fit the decoder on N synthetic numbers after training (default: 3000 "
                        "for networks with a 'not a digit' output, else 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("evaluate", help="print a model's accuracy on the MNIST test set")
    p.add_argument("--model", default="best", help="'paper', 'best' (default) or a model file")

    p = sub.add_parser("read", help="read the number in each image; print 'path,number'")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="image files or folders of images")
    p.add_argument("--model", default="best", help="'paper', 'best' (default) or a model file")
    p.add_argument("--csv", type=Path, help="append 'path,number,...' rows to this CSV file")
    p.add_argument("--resume", action="store_true",
                   help="skip the images that already have a row in the --csv file")
    p.add_argument("--jobs", type=_positive_int, default=min(2, os.cpu_count() or 1),
                   help="worker processes for large batches (default: 2)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="read on the Dask cluster whose scheduler is at ADDRESS "
                        "(tcp://host:8786) instead of local processes")
    p.add_argument("--digits", metavar="N|LO-HI",
                   help="expected number of digits, e.g. 8 or 2-3: the best reading that fits")
    p.add_argument("--range", dest="value_range", metavar="LO-HI",
                   help="expected value range, e.g. 0-100: the best reading that fits")

    p = sub.add_parser("teach", help="fine-tune a model on corrected readings (a CSV of "
                                     "'path,number' rows) and save it as a new model")
    p.add_argument("csv", type=Path, metavar="CSV",
                   help="'path,number' rows, e.g. a 'read --csv' file with numbers corrected")
    p.add_argument("--out", required=True, type=Path, help="model file to write (.npz)")
    p.add_argument("--model", default="best", help="'paper', 'best' (default) or a model file")
    p.add_argument("--epochs", type=_positive_int, default=5, help="passes (default: 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("calibrate", help="fit a model's decoder and review threshold on "
                                         "synthetic numbers and save the model with it")
    p.add_argument("--model", default="best", help="'paper', 'best' (default) or a model file")
    p.add_argument("--out", required=True, type=Path, help="model file to write (.npz)")
    p.add_argument("--documents", type=_positive_int, default=3000,
                   help="synthetic numbers to fit on (default: 3000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    p.add_argument("--weight", type=float, help="keep the geometry's weight at this value "
                                                "(default: chosen on the documents)")
    p.add_argument("--bonus", type=float, help="keep the per-digit bonus at this value "
                                               "(default: chosen on the documents)")

    p = sub.add_parser("committee", help="join networks trained alike into one model whose "
                                         "members vote, fit its decoder and save it")
    p.add_argument("members", nargs="+", metavar="MODEL",
                   help="'best', 'paper' or model files, each a network or a committee")
    p.add_argument("--out", required=True, type=Path, help="model file to write (.npz)")
    p.add_argument("--documents", type=_positive_int, default=3000,
                   help="synthetic numbers to fit the decoder on (default: 3000)")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _train(args) -> int:
    from .persist import save_model
    from .train import PRESETS, train

    config = PRESETS[args.preset]
    if args.hidden:
        config = config.with_hidden(args.hidden)
    changes = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr), ("seed", args.seed))
               if v is not None}
    config = config.replace(**changes)
    net, history = train(config, progress=not args.quiet)
    documents = args.calibrate if args.calibrate is not None else 3000 * net.rejects
    if documents > 0:
        from .calibrate import calibrate

        net.meta["decoder"] = calibrate(net, documents=documents,
                                        jobs=min(2, os.cpu_count() or 1)).to_meta()
    save_model(net, args.out, dtype="float16" if args.float16 else "float32")
    if args.history:
        from .export import write_text_atomic

        write_text_atomic(args.history, json.dumps(history, indent=1) + "\n")
    print(f"saved {args.out}: test accuracy {history['test_accuracy'][-1]:.4f}")
    return 0


def _evaluate(args) -> int:
    from .persist import load_model
    from .train import evaluate

    net = load_model(args.model)
    accuracy = evaluate(net, "test")
    print(f"model {args.model}: {net}")
    print(f"test accuracy {accuracy:.4f}")
    return 0


def _read(args) -> int:
    from .decode import NumberFormat
    from .batch import read_many

    if args.resume and args.csv is None:
        raise ValueError("--resume needs --csv: the file whose rows say what was read")
    number_format = None
    if args.digits or args.value_range:
        number_format = NumberFormat.parse(args.digits, args.value_range)
    return read_many(args.paths, model=args.model, csv_path=args.csv, jobs=args.jobs,
                     resume=args.resume, dask=args.dask, number_format=number_format)


def _teach(args) -> int:
    from .persist import load_model, save_model
    from .teach import corrections, digit_examples, teach, whole_number_accuracy
    from .train import evaluate

    source = Path(args.model)
    if source.suffix == ".npz" and source.exists() and source.resolve() == args.out.resolve():
        raise ValueError(f"{args.out}: is the model taught from; write the taught model to "
                         "another file")
    pairs = corrections(args.csv)
    base = load_model(args.model)
    examples = digit_examples(pairs, base)
    for problem in examples.problems:
        print(f"mnistreader: {problem}", file=sys.stderr)
    net = teach(base, examples, epochs=args.epochs, seed=args.seed, source=args.csv.name,
                progress=not args.quiet)
    save_model(net, args.out, dtype=base.meta.get("dtype", "float32"))
    kept = set(examples.used)
    used = [(p, n) for p, n in pairs if p in kept]
    print(f"saved {args.out}: taught on {len(examples.labels)} digits of {len(used)} of "
          f"{len(pairs)} images; whole numbers right on them: before "
          f"{examples.read_right / max(1, len(used)):.1%}, after "
          f"{whole_number_accuracy(net, used):.1%}; MNIST test accuracy "
          f"{evaluate(net, 'test'):.4f}")
    return 1 if examples.problems else 0


def _calibrate(args) -> int:
    from .calibrate import calibrate
    from .persist import load_model, save_model

    net = load_model(args.model)
    decoder = calibrate(net, documents=args.documents, seed=args.seed,
                        jobs=min(2, os.cpu_count() or 1), weight=args.weight, bonus=args.bonus)
    net.meta["decoder"] = decoder.to_meta()
    save_model(net, args.out, dtype=net.meta.get("dtype", "float32"))
    print(f"saved {args.out}: decoder fitted on {args.documents} synthetic numbers, "
          f"review below {decoder.review_below:.3f}")
    return 0


def _committee(args) -> int:
    from .calibrate import calibrate
    from .committee import Committee, networks_of
    from .persist import load_model, save_model
    from .train import evaluate

    loaded = [load_model(m) for m in args.members]
    members = [n for net in loaded for n in networks_of(net)]
    committee = Committee(members, {"preset": "committee", "made_of": [str(m) for m in args.members]})
    committee.meta["decoder"] = calibrate(committee, documents=args.documents,
                                          jobs=min(2, os.cpu_count() or 1)).to_meta()
    committee.meta["test_accuracy"] = evaluate(committee, "test")
    dtype = "float16" if all(n.meta.get("dtype") == "float16" for n in loaded) else "float32"
    save_model(committee, args.out, dtype=dtype)
    print(f"saved {args.out}: {committee}, test accuracy {committee.meta['test_accuracy']:.4f}; "
          f"decoder fitted on {args.documents} synthetic numbers")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from .data import MNISTError
    from .export import CSVError
    from .preprocess import ImageError
    from .persist import ModelFileError

    args = build_parser().parse_args(argv)
    handlers = {"train": _train, "evaluate": _evaluate, "read": _read, "calibrate": _calibrate,
                "teach": _teach, "committee": _committee}
    try:
        return handlers[args.command](args)
    except (MNISTError, ModelFileError, CSVError, ImageError, OSError, ValueError) as exc:
        print(f"mnistreader: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("mnistreader: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
