"""``sparcs reproduce EXPERIMENT``: run one of the paper's experiments into a run folder.

Each experiment gets its own sub-command, so ``sparcs reproduce transition --help`` lists that
experiment's settings. A preset gives every setting; flags override single ones. The resolved
settings are saved in ``config.json``; re-running into the same ``--out`` resumes (same settings),
refuses (different settings) or, with ``--overwrite``, starts again in a staging folder that
replaces the earlier run only when the new one is complete.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from pathlib import Path
from typing import Any

from ..app.rundir import RunDir
from ..devices import resolve_device
from ..errors import ConfigError
from ..experiments.backends import BACKENDS, Backend
from ..experiments.registry import EXPERIMENTS, load
from ..io import read_json
from .common import add_dataclass_arguments, dataclass_from_args

__all__ = ["add_parser", "run", "print_summary"]

_FALLBACK_PRESETS = ("tiny", "quick", "paper")


def add_parser(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    experiments = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    for exp in EXPERIMENTS:
        try:
            module = load(exp)
        except Exception as err:  # a broken experiment must not break the others
            module, broken = None, f"{type(err).__name__}: {err}"
        else:
            broken = None
        doc = (module.__doc__ or "").strip().splitlines() if module else []
        summary = doc[0] if doc else f"the {exp} experiment"
        sub = experiments.add_parser(
            exp,
            help=summary if module else f"unavailable ({broken})",
            description=(module.__doc__ if module else None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        presets = list(module.PRESETS) if module else list(_FALLBACK_PRESETS)
        default_preset = "quick" if "quick" in presets else presets[0]
        common = sub.add_argument_group("run options")
        common.add_argument(
            "--preset", choices=presets, default=default_preset,
            help=f"settings to start from (default: {default_preset}); flags override them",
        )
        common.add_argument(
            "--out", type=Path, default=None,
            help=f"output folder (default: runs/{exp}-PRESET)",
        )
        common.add_argument(
            "--device", default="auto",
            help="where to train: auto (CUDA when available; the default), cpu, cuda or cuda:N",
        )
        common.add_argument(
            "--overwrite", action="store_true",
            help="replace an existing run folder instead of resuming it",
        )
        common.add_argument(
            "--no-progress", dest="progress", action="store_false", help="hide progress bars"
        )
        if module is not None and "backend" in inspect.signature(module.run).parameters:
            common.add_argument(
                "--backend", choices=BACKENDS, default="local",
                help="local (default), or ray: one Ray task per chunk of models "
                "(--chunk-models), one GPU each where the cluster has GPUs",
            )
            common.add_argument("--address", default=None,
                                help="Ray cluster to join, e.g. HEAD_IP:6379 (default: local)")
            common.add_argument("--cpus-per-task", type=float, default=1.0,
                                help="CPUs (and torch threads) each Ray task uses (default 1)")
        if module is not None:
            settings = sub.add_argument_group(
                "experiment settings (default: the preset's value)"
            )
            add_dataclass_arguments(settings, module.Config)
        sub.set_defaults(_broken=broken)
    return parser


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_format(v) for v in value)
    return str(value)


def print_summary(experiment: str, path: Path, summary: dict[str, Any]) -> None:
    """Print where the results are and the summary's key numbers."""
    print(f"sparcs reproduce {experiment}: results in {path}")
    for key, value in summary.items():
        if isinstance(value, dict):
            print(f"  {key}:")
            for k, v in value.items():
                print(f"    {k}: {_format(v)}")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            print(f"  {key}:")
            for v in value:
                print(f"    {v}")
        else:
            print(f"  {key}: {_format(value)}")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "_broken", None):
        raise ConfigError(f"experiment {args.experiment!r} cannot be loaded: {args._broken}")
    module = load(args.experiment)
    config = dataclass_from_args(module.Config, module.PRESETS[args.preset], args)
    out = args.out if args.out is not None else Path("runs") / f"{args.experiment}-{args.preset}"
    record = {"experiment": args.experiment, "preset": args.preset, **dataclasses.asdict(config)}
    backend = Backend(getattr(args, "backend", "local"), address=getattr(args, "address", None),
                      cpus=getattr(args, "cpus_per_task", 1.0))
    # A Ray cluster's workers may have the GPU this machine lacks: they resolve the name.
    device = resolve_device(args.device) if backend.name == "local" else args.device
    rundir = RunDir(out, record, overwrite=args.overwrite,
                    command=getattr(args, "_command", "sparcs reproduce"))
    if rundir.done:
        print(f"sparcs reproduce {args.experiment}: {out} is already complete; not re-running")
        print_summary(args.experiment, rundir.path, read_json(rundir.file("done.json")))
        return 0
    if rundir.resumed:
        print(f"sparcs reproduce {args.experiment}: resuming the run in {out}")
    extra = {"backend": backend} if backend.name != "local" else {}
    with rundir.working():
        summary = module.run(config, rundir, device=device, progress=args.progress, **extra)
        summary = rundir.mark_done(summary)
    print_summary(args.experiment, rundir.path, summary)
    return 0
