"""The ``report.md`` of a ``sparcs search`` folder, and the metrics table it shares with
``sparcs show``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..search.engine import SearchResult
from .config import SearchConfig
from .markdown import Report

__all__ = ["cv_table", "search_report", "selection_note", "summary_table", "training_note"]


def summary_table(metrics: dict[str, Any]) -> str:
    name = metrics["metric"]
    label = "R²" if name == "r2" else "accuracy"
    test = metrics["test"]
    par = metrics["parameters"]
    chosen = test["chosen"] if "chosen" in test else test["pruned"]  # older folders: "pruned"
    rows = [
        ("model", f"test {label}", "parameters"),
        ("chosen (compact)", f"{chosen[name]:.4f}", str(par["compact"])),
        ("full spectral", f"{test['full'][name]:.4f}", str(par["spectral"])),
        ("linear baseline", f"{test['linear_baseline'][name]:.4f}", str(par["linear_baseline"])),
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    return "\n".join(
        "  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    )


def training_note(fitted: SearchResult, epochs: int, finetune_epochs: int) -> str:
    """One sentence on early stopping and fine-tuning, as far as they ran."""
    history, tuned = fitted.history, fitted.finetune_history
    note = ("The final network: " + history.describe(epochs)
            + " (epochs are numbered from 1)")
    if tuned is not None and "before_finetune" in fitted.losses:
        note += (f"; then fine-tuned the chosen compact model: {tuned.describe(finetune_epochs)} "
                 f"(validation loss {fitted.losses['before_finetune']:.4g} → "
                 f"{fitted.losses['validation']:.4g})")
    return note + "."


_KINDS = {"network": "pruned network", "floor": "linear floor (ridge or L2 logistic "
          "regression)", "constant": "constant"}


def _candidate(row: dict[str, Any]) -> str:
    if row["kind"] != "network":
        return _KINDS[row["kind"]]
    return (f"network, penalty {row['penalty']:g}, seed {row['seed']}, at most "
            f"{row['budget']} parameters")


def cv_table(cv: list[dict[str, Any]], choice: dict[str, Any]) -> str:
    """The cross-validation table in Markdown: every candidate's mean held-out loss ± its
    standard error over the folds; the best and the chosen one are marked."""
    lines = ["| candidate | parameters (mean over folds) | held-out loss | |",
             "|---|---:|---:|---|"]
    chosen, best = choice.get("chosen", {}), choice.get("best", {})

    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return bool(b) and all(a.get(k) == b.get(k) for k in ("kind", "penalty", "seed", "budget"))

    for row in cv:
        mark = " ".join(m for m, hit in (("**chosen**", same(row, chosen)),
                                         ("best", same(row, best))) if hit)
        lines.append(f"| {_candidate(row)} | {row['parameters']:.0f} | "
                     f"{row['mean']:.4g} ± {row['se']:.2g} | {mark} |")
    return "\n".join(lines)


def selection_note(fitted: SearchResult, one_se: float) -> str:
    """How the model was chosen, in words."""
    chosen, best = fitted.choice["chosen"], fitted.choice["best"]
    where = (f"{fitted.folds}-fold cross-validation of the training rows" if fitted.folds > 1
             else "one validation split (the data is large)")
    loss = "squared error of the standardized target" if fitted.task == "regression" else (
        "log-loss")
    note = (f"Chosen by {where}, on the held-out {loss}: the smallest candidate within "
            f"{one_se:g} standard errors of the best mean ({best['mean']:.4g} ± "
            f"{best['se']:.2g}, {_candidate(best)}) is the {_candidate(chosen)}, "
            f"{chosen['mean']:.4g} ± {chosen['se']:.2g}.")
    if fitted.choice.get("floor_bound"):
        note += (" The linear floor bounds the networks: the network the rule picked was worse "
                 "than it, so the floor was kept.")
    return note


def search_report(
    config: SearchConfig, fitted: SearchResult, metrics: dict, figures: list[str]
) -> Report:
    """The search folder's report: data and result, test metrics, the architecture found, the
    figures in ``figures`` (file names in the folder) and the command that repeats the run."""
    rows = metrics["rows"]
    report = Report(f"SPARCS search: {Path(config.data).name}")
    report.paragraph("\n".join([
        f"Task: **{fitted.task}**; rows: {rows['train']} train, {rows['validation']} validation "
        f"(early stopping, pruned structures), {rows['test']} test"
        + (f"; {rows['dropped']} dropped for missing values" if rows["dropped"] else "") + ".",
        f"Maximal architecture searched: hidden widths {metrics['architecture']['max_hidden']}; "
        f"chosen: {_KINDS[fitted.kind]}, hidden widths "
        f"{metrics['architecture']['hidden_widths']}.",
        training_note(fitted, config.epochs, config.finetune_epochs),
    ]))
    report.heading("Test metrics")
    report.paragraph(f"```text\n{summary_table(metrics)}\n```")
    report.paragraph(
        f"Direct-space parameters of the maximal network with every skip: "
        f"{metrics['parameters']['direct']}."
    )
    if fitted.cv:
        report.heading("How the model was chosen")
        report.paragraph(selection_note(fitted, config.one_se))
        report.paragraph(cv_table(fitted.cv, fitted.choice))
    report.heading("Chosen architecture")
    report.paragraph(f"```text\n{fitted.architecture}\n```")
    captions = {
        "architecture.png": ("Architecture", "Live layers and skip connections of the chosen "
                             "model."),
        "cv_curve.png": (
            "Cross-validation curve",
            "Mean held-out loss over the folds against the parameters of each candidate, with "
            "±1 standard error; the star is the best, the circle the chosen one, the dotted "
            "line the rule's threshold (same units as the curve).",
        ),
        "eigenvalues.png": ("Eigenvalues", "Histograms of the trained eigenvalues per layer."),
        "loss.png": ("Training", "Task loss per epoch (numbered from 1; the circle marks the "
                     "epoch kept, dashed lines the fine-tuning of the chosen model): "
                     + ("mean squared error of the standardized target."
                        if fitted.task == "regression" else "cross-entropy.")),
    }
    for name in figures:
        title, caption = captions[name]
        report.heading(title)
        report.paragraph(caption)
        report.image(name, title)
    report.heading("Repeat this run")
    report.paragraph(f"```sh\n{config.command_line()}\n```")
    return report
