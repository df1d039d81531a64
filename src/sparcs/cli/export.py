"""``sparcs export DIR --onnx model.onnx``: a saved search as an ONNX file."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..app.export import export_search
from ..app.saved import SavedSearch

DESCRIPTION = """\
Write the model of a saved search as an ONNX file, with its scalers inside: the file takes the
numeric features (float64, one row per sample) and returns the predicted values in the target's
units, or one probability per class (in the order of the classes).

One-hot encoding of text columns stays outside the file: encode each text column into one column
per category ('name=category': 1 or 0) first. Beside model.onnx the command writes
model.columns.json: the input columns in order, the raw columns and their categories, the task,
the classes and what the output columns mean. Needs the onnx extra:
pip install 'sparcs-nas[onnx]'."""


def add_parser(subparsers: argparse._SubParsersAction, name: str, help_text: str):
    p = subparsers.add_parser(
        name, help=help_text, description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: sparcs export price-search --onnx price.onnx "
        "(writes price.onnx and price.columns.json)",
    )
    p.add_argument("dir", help="output folder of sparcs search")
    p.add_argument("--onnx", required=True, metavar="FILE",
                   help="write the ONNX model to this file, and its input columns to "
                   "FILE.columns.json beside it (FILE without its .onnx suffix)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing files at those paths (never a file of the search "
                   "folder: nothing is written into it)")
    return p


def run(args: argparse.Namespace) -> int:
    saved = SavedSearch.load(args.dir)
    exported = export_search(saved, Path(args.onnx), overwrite=args.overwrite)
    for line in exported.summary():
        print(line)
    return 0
