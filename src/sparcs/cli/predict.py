"""``sparcs predict DIR DATA``: apply a saved search to new rows."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ..app.outfolder import check_output_file
from ..app.saved import SavedSearch
from ..app.tabular import read_table
from ..errors import ConfigError
from ..io import write_csv


def add_parser(subparsers: argparse._SubParsersAction, name: str, help_text: str):
    p = subparsers.add_parser(
        name, help=help_text, description=help_text,
        epilog="Example: sparcs predict price-search new.csv --out predictions.csv",
    )
    p.add_argument("dir", help="output folder of sparcs search")
    p.add_argument("data", help="CSV (same columns as in fitting; the target may be absent) "
                   "or .npz with an array X")
    p.add_argument("--out", help="write predictions to this CSV file (default: print them)")
    p.add_argument("--proba", action="store_true",
                   help="classification: also write one probability column per class")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing --out file (never the input data or a file of the "
                   "search folder)")
    return p


def run(args: argparse.Namespace) -> int:
    if args.out:
        check_output_file(Path(args.out), overwrite=args.overwrite, inputs=[Path(args.data)],
                          keep=[Path(args.dir)])
    saved = SavedSearch.load(args.dir)
    if args.proba and saved.task != "classification":
        raise ConfigError(
            f"--proba needs a classification model; {args.dir} holds a {saved.task} model, "
            "which predicts values, not class probabilities"
        )
    table = read_table(args.data)
    X = saved.features(table)
    name = saved.schema.target or "prediction"
    if saved.schema.kind == "npz" or name == "y":
        name = "prediction"
    preds = saved.predict(X)
    fields = [name]
    rows = [{name: _cell(v)} for v in preds]
    if args.proba:
        proba = saved.predict_proba(X)
        for c, label in enumerate(saved.classes):
            fields.append(f"p({label})")
            for row, p in zip(rows, proba[:, c], strict=True):
                row[f"p({label})"] = f"{p:.6g}"
    if args.out:
        write_csv(Path(args.out), rows, fieldnames=fields)
        print(f"wrote {len(rows)} predictions to {args.out}", file=sys.stderr)
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return 0


def _cell(value: object) -> str:
    return f"{value:.10g}" if isinstance(value, float) else str(value)
