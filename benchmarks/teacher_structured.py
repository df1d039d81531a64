"""Structured pruning of finished ``sparcs reproduce teacher`` runs, without training again.

Each run folder keeps its trained student in ``checkpoints/train.pt``. This script rebuilds the
run's data from its ``config.json`` (the data are a function of the seed), prunes the student by
the paper's eigenvalue threshold and then takes the experiment's structured-pruning steps with
today's code. It prints one row per run and a summary, and writes ``teacher_structured.json``
and ``.csv`` next to ``--out``.

    for s in 0 1 2 3 4; do
        sparcs reproduce teacher --preset quick --no-study --seed $s --out runs/teacher-$s
    done
    python benchmarks/teacher_structured.py runs/teacher-* --out runs/teacher-structured
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path

import torch

from sparcs.experiments.teacher.config import Config
from sparcs.experiments.teacher.data import make_data
from sparcs.experiments.teacher.experiment import structured_steps
from sparcs.experiments.teacher.student import make_student
from sparcs.io import read_json, write_csv, write_json
from sparcs.pruning import prune

STEPS = ("structured", "r2_drop_0.01", "smallest_r2_0.98")


def evaluate(folder: Path) -> dict:
    saved = read_json(folder / "config.json")
    names = {f.name for f in dataclasses.fields(Config)}
    config = Config(**{k: v for k, v in saved.items() if k in names})
    device = torch.device("cpu")
    data = make_data(config, device)
    net = make_student(config, config.hidden, device, config.seed)
    state = torch.load(folder / "checkpoints" / "train.pt", map_location="cpu", weights_only=False)
    net.load_state_dict(state["model"])
    result = prune(net, data["X_val"], data["y_val"], tolerance=config.tolerance)
    row = {"run": str(folder), "seed": config.seed,
           "eigenvalue_widths": list(result.architecture.hidden_widths),
           "eigenvalue_parameters": result.compact.num_parameters()}
    for step, out in structured_steps(net, result, data, config).items():
        row.update({f"{step}.{k}": v for k, v in out.items()})
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished teacher run folders")
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSON and CSV")
    args = parser.parse_args(argv)
    rows = []
    for folder in args.runs:
        if not (folder / "checkpoints" / "train.pt").is_file():
            print(f"{folder}: no checkpoints/train.pt; skipped", file=sys.stderr)
            continue
        rows.append(evaluate(folder))
        row = rows[-1]
        print(f"seed {row['seed']}: eigenvalue {row['eigenvalue_widths']} "
              f"{row['eigenvalue_parameters']} | " + " | ".join(
                  f"{s} {row[s + '.hidden_widths']} {row[s + '.compact_parameters']} "
                  f"R² {row[s + '.r2']:.4f}" for s in STEPS), flush=True)
    if not rows:
        print("no finished runs given", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "teacher_structured.json", rows)
    write_csv(args.out / "teacher_structured.csv", [
        {k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()}
        for r in rows])
    for step in STEPS:
        removed = sum(r[f"{step}.first_hidden_layer_removed"] for r in rows)
        params = [r[f"{step}.compact_parameters"] for r in rows]
        r2 = [r[f"{step}.r2"] for r in rows]
        widths = [r[f"{step}.hidden_widths"][-1] for r in rows]
        print(f"{step}: first layer removed {removed}/{len(rows)}; parameters median "
              f"{statistics.median(params):.0f} (max {max(params)}); last hidden width "
              f"{min(widths)}–{max(widths)}; test R² min {min(r2):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
