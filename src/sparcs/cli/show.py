"""``sparcs show DIR``: print the architecture and metrics of a saved search."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import DataError
from ..estimators.saved import read_search_file
from ..experiments.search import summary_table


def add_parser(subparsers: argparse._SubParsersAction, name: str, help_text: str):
    p = subparsers.add_parser(name, help=help_text, description=help_text)
    p.add_argument("dir", help="output folder of sparcs search")
    return p


def run(args: argparse.Namespace) -> int:
    from ..pruning.architecture import Architecture

    path = Path(args.dir)
    if not path.is_dir():
        raise DataError(f"{path} is not a folder; give the --out folder of a sparcs search")
    metrics = read_search_file(path / "metrics.json")
    arch = Architecture.from_dict(read_search_file(path / "architecture.json"))
    config = read_search_file(path / "config.json")
    rows = metrics.get("rows", {})
    print(f"search of {config.get('data')} ({metrics['task']}; {rows.get('train')} train, "
          f"{rows.get('validation')} validation, {rows.get('test')} test rows)")
    print(arch)
    print(summary_table(metrics))
    return 0
