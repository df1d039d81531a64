"""``sparcs search DATA --target COLUMN``: search an architecture for a CSV or .npz file."""

from __future__ import annotations

import argparse

from ..search.folder import TASK_CHOICES, SearchConfig, run_search
from ..search.settings import TOLERANCE_KINDS
from ..search.tabular import CATEGORICAL_MODES
from .common import parse_int_list


def _tolerance(text: str) -> float | None:
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number such as 0.05, or none to skip pruning, got {text!r}"
        ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0 (0.05 = 5 %), got {text!r}")
    return value


def _patience(text: str) -> int | None:
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer such as 20, or none, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def add_parser(subparsers: argparse._SubParsersAction, name: str, help_text: str):
    d = SearchConfig(data="")
    p = subparsers.add_parser(
        name, help=help_text, description=help_text,
        epilog="Example: sparcs search data.csv --target price --out price-search",
    )
    p.add_argument("data", help="CSV file with a header line, or .npz with arrays X and y")
    p.add_argument("--target", help="name of the target column (CSV only)")
    p.add_argument("--task", choices=TASK_CHOICES, default=d.task,
                   help="auto: classification for text or few integer values, else regression")
    p.add_argument("--max-hidden", type=parse_int_list, default=d.max_hidden, metavar="W,W",
                   help="hidden widths of the maximal architecture (default: 200,200)")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"default {d.epochs}")
    p.add_argument("--penalty", type=float, default=d.penalty,
                   help=f"eigenvalue penalty c (default {d.penalty:g})")
    p.add_argument("--penalty-norm", type=float, choices=(1.0, 2.0), default=d.penalty_norm,
                   help="p of the penalty norm (default 2)")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help=f"default {d.batch_size}")
    p.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate (default {d.lr:g})")
    p.add_argument("--prune-tolerance", type=_tolerance, default=d.prune_tolerance,
                   metavar="TOL", help="how far pruning may fall behind the trained network "
                   "on validation (default 0.05); none: no pruning")
    p.add_argument("--tolerance-kind", choices=TOLERANCE_KINDS, default=d.tolerance_kind,
                   help="loss: TOL is a relative increase of the validation loss; metric: an "
                   "absolute drop of the validation R² or accuracy (default loss)")
    p.add_argument("--prune-structure", action=argparse.BooleanOptionalAction,
                   default=d.prune_structure, help="after eigenvalue pruning, remove hidden "
                   "nodes, skip blocks and whole layers by their contribution (default on)")
    p.add_argument("--validation-fraction", type=float, default=d.validation_fraction,
                   help="share of training rows used to choose the pruning (default 0.1)")
    p.add_argument("--early-stopping", action=argparse.BooleanOptionalAction,
                   default=d.early_stopping, help="keep the epoch with the lowest validation "
                   f"loss (default {'on' if d.early_stopping else 'off'})")
    p.add_argument("--n-iter-no-change", type=_patience, default=d.n_iter_no_change,
                   metavar="N", help="with early stopping, stop after N epochs without "
                   f"improvement; none: run every epoch (default {d.n_iter_no_change})")
    p.add_argument("--recruit-steps", type=int, default=d.recruit_steps, metavar="N",
                   help="optimizer steps before early stopping judges the run, while the hidden "
                   f"layers switch on (default {d.recruit_steps})")
    p.add_argument("--finetune-epochs", type=int, default=d.finetune_epochs, metavar="N",
                   help="epochs of training the pruned compact model, keeping the epoch best "
                   f"on validation (default {d.finetune_epochs})")
    p.add_argument("--test-fraction", type=float, default=d.test_fraction,
                   help="share of rows held out for the test metrics (default 0.2)")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed (default 0)")
    p.add_argument("--device", default=d.device, choices=("auto", "cpu", "cuda"),
                   help="where to train (default auto)")
    p.add_argument("--categorical", choices=CATEGORICAL_MODES, default=d.categorical,
                   help="text feature columns: error (default) or onehot encoding")
    p.add_argument("--dropna", action="store_true",
                   help="drop rows with missing, NaN or infinite values")
    p.add_argument("--out", help="output folder (default: sparcs-search-<data name>)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=d.progress,
                   help="show a progress bar while training")
    return p


def run(args: argparse.Namespace) -> int:
    config = SearchConfig(
        data=args.data, target=args.target, task=args.task, max_hidden=args.max_hidden,
        epochs=args.epochs, penalty=args.penalty, penalty_norm=args.penalty_norm,
        batch_size=args.batch_size, lr=args.lr, prune_tolerance=args.prune_tolerance,
        tolerance_kind=args.tolerance_kind, prune_structure=args.prune_structure,
        validation_fraction=args.validation_fraction, early_stopping=args.early_stopping,
        n_iter_no_change=args.n_iter_no_change, recruit_steps=args.recruit_steps,
        finetune_epochs=args.finetune_epochs,
        test_fraction=args.test_fraction,
        seed=args.seed, device=args.device, categorical=args.categorical, dropna=args.dropna,
        out=args.out, overwrite=args.overwrite, progress=args.progress,
    )
    run_search(config)
    return 0
