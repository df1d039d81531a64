"""``sparcs demo``: a one-minute architecture search on synthetic data."""

from __future__ import annotations

import argparse

from ..experiments.demo import DemoConfig, run_demo
from .common import add_dataclass_arguments, dataclass_from_args


def add_parser(
    sub: argparse._SubParsersAction, name: str, help_text: str
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    add_dataclass_arguments(parser, DemoConfig)
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def run(args: argparse.Namespace) -> int:
    config = dataclass_from_args(DemoConfig, DemoConfig(), args)
    print(
        f"Maximal network [3, {', '.join(map(str, config.hidden))}, 1] + bias, perceptron start, "
        f"penalty {config.penalty:g} on hidden eigenvalues, {config.epochs} epochs, "
        f"pruned at {config.tolerance:.0%} validation-loss tolerance.\n"
    )
    for result in run_demo(config, progress=not args.no_progress):
        arch = result["architecture"]
        recruited = [k + 1 for k, w in enumerate(arch.hidden_widths) if w > 0]
        means = ", ".join(f"{m:.2g}" for m in result["mean_abs_eigenvalues"][:-1])
        verdict = (
            f"hidden layer(s) {', '.join(map(str, recruited))} recruited, widths "
            f"{arch.hidden_widths}" if recruited else "no hidden layer recruited (a perceptron)"
        )
        print(f"== {result['target']}")
        print(f"   mean |λ| of input and hidden layers: {means}")
        print(f"   validation MSE after pruning: {result['val_mse_pruned']:.2e}")
        print(f"   -> {verdict}")
        print("   " + str(arch).replace("\n", "\n   ") + "\n")
    return 0
