"""``sparcs compare DATA | --suite teacher|sklearn | --manifest FILE``: architecture-search
methods head to head.

Every setting of :class:`~sparcs.experiments.compare.CompareSettings` is a flag, and so is every
setting of the budget it contains (a :class:`~sparcs.search.settings.SearchSettings`) but those
each trial sets (``PER_TRIAL``). A preset gives the defaults and flags override single ones.
Re-running into the same ``--out`` resumes (only missing trials run), refuses (different
settings) or, with ``--overwrite``, starts again.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import ConfigError
from ..experiments.backends import BACKENDS, Backend
from ..experiments.compare import METHOD_NAMES, PRESETS, SUITES, preset, run_compare
from ..experiments.compare.methods import variants
from ..experiments.compare.report import aggregate, verdicts
from ..experiments.compare.settings import PER_TRIAL, CompareSettings
from .common import add_dataclass_arguments, dataclass_from_args

__all__ = ["add_parser", "run"]

# Settings with an argument of their own (DATA, --suite, --manifest, --methods), not a
# generated flag.
NOT_FLAGS = ("data", "suite", "manifest", "methods")

EXAMPLES = """examples:
  sparcs compare --suite teacher --preset quick
  sparcs compare data.csv --target price --methods sparcs,mlp-search,hgb --seeds 0,1,2
  sparcs compare --manifest benchmarks/data/realdata/manifest.json --roles holdout
  sparcs compare --suite sklearn --backend ray --address HEAD_IP:6379 --cpus-per-trial 2
"""


def _methods(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in METHOD_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(METHOD_NAMES)}")
    return names


def _run_name(args: argparse.Namespace, settings: CompareSettings) -> str:
    """The suite, the data file's stem, or the manifest's (its folder's, for "manifest.json")
    with the roles chosen: the default output folder's middle part."""
    if args.suite:
        return args.suite
    if args.manifest is None:
        return Path(args.data).stem
    path = args.manifest.resolve()
    name = path.parent.name if path.stem == "manifest" and path.parent.name else path.stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join([name, *settings.roles]))


def add_parser(subparsers: argparse._SubParsersAction, name: str, help_text: str):
    p = subparsers.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="?", default=None,
                   help="CSV file with a header line, or .npz with arrays X and y (or --suite, "
                   "or --manifest)")
    run_opts = p.add_argument_group("run options")
    run_opts.add_argument("--preset", choices=list(PRESETS), default="quick",
                          help="settings to start from (default quick); flags override them")
    run_opts.add_argument("--methods", type=_methods, default=None, metavar="M,M",
                          help=f"methods to compare (default all: {','.join(METHOD_NAMES)})")
    run_opts.add_argument("--out", type=Path, default=None,
                          help="output folder (default runs/compare-SUITE-PRESET)")
    run_opts.add_argument("--overwrite", action="store_true",
                          help="replace an existing run folder instead of resuming it")
    run_opts.add_argument("--backend", choices=BACKENDS, default="local",
                          help="local: trials in order in this process; ray: one Ray task per "
                          "trial (pip install 'sparcs-nas[ray]')")
    run_opts.add_argument("--address", default=None,
                          help="Ray cluster to join, e.g. HEAD_IP:6379 (default: a local one)")
    run_opts.add_argument("--cpus-per-trial", type=float, default=1.0,
                          help="CPUs each trial declares and the torch threads it uses "
                          "(default 1)")
    run_opts.add_argument("--gpus-per-trial", type=float, default=0.0,
                          help="GPUs each Ray trial declares (default 0)")
    run_opts.add_argument("--max-retries", type=int, default=2,
                          help="Ray: retries of a trial whose worker died (default 2)")
    run_opts.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                          help="show a progress bar")
    settings = p.add_argument_group("settings (default: the preset's value)")
    settings.add_argument("--suite", choices=SUITES, default=None,
                          help="built-in problems instead of DATA")
    settings.add_argument("--manifest", type=Path, default=None, metavar="FILE",
                          help="a suite of your datasets instead of DATA: a JSON list of "
                          '{"file", "target", "task", "name", "categorical", "dropna", "role"} '
                          "objects, files relative to it (see --roles)")
    add_dataclass_arguments(settings, CompareSettings, skip=(*NOT_FLAGS, *PER_TRIAL))
    return p


def run(args: argparse.Namespace) -> int:
    sources = [label for label, value in (("DATA", args.data), ("--suite", args.suite),
                                          ("--manifest", args.manifest)) if value is not None]
    if len(sources) > 1:
        raise ConfigError(f"give one of DATA, --suite and --manifest, not {' and '.join(sources)}")
    if not sources:
        raise ConfigError("nothing to compare on: give a data file (DATA --target COLUMN), "
                          f"--suite {'|'.join(SUITES)} or --manifest FILE")
    chosen = {"methods": args.methods} if args.methods is not None else {}
    manifest = str(args.manifest) if args.manifest is not None else None
    base = preset(args.preset, data=args.data, suite=args.suite, manifest=manifest, **chosen)
    settings = dataclass_from_args(CompareSettings, base, args, skip=NOT_FLAGS)
    out = args.out or Path("runs") / f"compare-{_run_name(args, settings)}-{args.preset}"
    backend = Backend(args.backend, address=args.address, cpus=args.cpus_per_trial,
                      gpus=args.gpus_per_trial, max_retries=args.max_retries)
    result = run_compare(settings, out, backend=backend, overwrite=args.overwrite,
                         progress=args.progress)
    methods = [v for m in settings.methods for v in variants(m)]
    print(f"sparcs compare: {len(result.ran)} trials run, {len(result.skipped)} already done, "
          f"{len(result.failed)} failed; results in {result.path} (report.md, results.csv)")
    for line in verdicts(aggregate(result.rows, methods)):
        print(f"  {line}")
    if result.failed:
        print(f"sparcs compare: {len(result.failed)} trials failed (see report.md); rerun the "
              "same command to retry them")
        return 1
    return 0
