"""``sparcs show DIR``: print the architecture and metrics of a saved search."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..app.report import summary_table
from ..app.saved import read_search_file
from ..errors import DataError


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
    arch_dict = read_search_file(path / "architecture.json")
    config = read_search_file(path / "config.json")
    try:
        arch = Architecture.from_dict(arch_dict)
        rows = metrics.get("rows", {})
        lines = [
            f"search of {config.get('data')} ({metrics['task']}; {rows.get('train')} train, "
            f"{rows.get('validation')} validation, {rows.get('test')} test rows)",
            str(arch),
            summary_table(metrics),
        ]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        raise DataError(
            f"{path} holds a damaged search result ({err!r} in metrics.json, architecture.json "
            "or config.json); run sparcs search again"
        ) from None
    print("\n".join(lines))
    return 0
