"""``sparcs search DATA --target COLUMN``: search an architecture for a CSV or .npz file.

Every flag is generated from a field of :class:`sparcs.app.config.SearchConfig` (the search's
:class:`~sparcs.search.settings.SearchSettings` plus the run's input and output), so the flags,
the estimators' parameters and ``config.json`` cannot drift apart.
"""

from __future__ import annotations

import argparse

from ..app.folder import SearchConfig, run_search
from .common import add_dataclass_arguments, dataclass_from_args


def add_parser(subparsers: argparse._SubParsersAction, name: str, help_text: str):
    p = subparsers.add_parser(
        name, help=help_text, description=help_text,
        epilog="Example: sparcs search data.csv --target price --out price-search",
    )
    p.add_argument("data", help=SearchConfig.__dataclass_fields__["data"].metadata["help"])
    add_dataclass_arguments(p, SearchConfig, skip=("data",), defaults=SearchConfig(data=""))
    return p


def run(args: argparse.Namespace) -> int:
    run_search(dataclass_from_args(SearchConfig, SearchConfig(data=args.data), args))
    return 0
