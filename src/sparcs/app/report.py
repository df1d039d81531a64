"""The ``report.md`` of a ``sparcs search`` folder, and the metrics table it shares with
``sparcs show``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..search.engine import SearchResult
from .config import SearchConfig
from .markdown import Report

__all__ = ["search_report", "summary_table", "training_note"]


def summary_table(metrics: dict[str, Any]) -> str:
    name = metrics["metric"]
    label = "R²" if name == "r2" else "accuracy"
    test = metrics["test"]
    par = metrics["parameters"]
    rows = [
        ("model", f"test {label}", "parameters"),
        ("pruned (compact)", f"{test['pruned'][name]:.4f}", str(par["compact"])),
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
    note = history.describe(epochs).capitalize() + " (epochs are numbered from 1)"
    if tuned is not None:
        losses = fitted.losses
        note += (f"; then fine-tuned the pruned network: {tuned.describe(finetune_epochs)} "
                 f"(validation loss {losses['pruned']:.4g} → {losses['finetuned']:.4g})")
    if fitted.linear_floor:
        note += ("; the regularized linear model (ridge or L2 logistic regression on the "
                 "training rows) was kept instead: within the tolerance and no larger")
    return note + "."


def path_table(path: list[dict[str, Any]]) -> str:
    """The members of a regularization path as a Markdown table; the kept one is marked."""
    lines = ["Every (penalty, seed) pair was trained; each pruned within the same limit, and the "
             "smallest kept (validation values: loss or error rate, lower is better).", "",
             "| penalty | seed | epochs | trained | pruned | parameters | hidden widths | |",
             "|---:|---:|---:|---:|---:|---:|---|---|"]
    for row in path:
        pruned = row.get("pruned")
        lines.append(
            f"| {row['penalty']:g} | {row['seed']} | {row['epochs']} | {row['trained']:.4g} | "
            + (f"{pruned:.4g} | {row['parameters']} | {row['hidden_widths']}"
               if pruned is not None else "– | – | outside the tolerance")
            + f" | {'**kept**' if row['selected'] else ''} |")
    return "\n".join(lines)


def search_report(
    config: SearchConfig, fitted: SearchResult, metrics: dict, figures: list[str]
) -> Report:
    """The search folder's report: data and result, test metrics, the architecture found, the
    figures in ``figures`` (file names in the folder) and the command that repeats the run."""
    rows = metrics["rows"]
    report = Report(f"SPARCS search: {Path(config.data).name}")
    report.paragraph("\n".join([
        f"Task: **{fitted.task}**; rows: {rows['train']} train, {rows['validation']} validation "
        f"(pruning), {rows['test']} test"
        + (f"; {rows['dropped']} dropped for missing values" if rows["dropped"] else "") + ".",
        f"Maximal architecture searched: hidden widths {metrics['architecture']['max_hidden']}; "
        f"found: {metrics['architecture']['hidden_widths']} "
        f"(eigenvalue threshold {fitted.threshold:.3g}).",
        training_note(fitted, config.epochs, config.finetune_epochs),
    ]))
    report.heading("Test metrics")
    report.paragraph(f"```text\n{summary_table(metrics)}\n```")
    report.paragraph(
        f"Direct-space parameters of the maximal network with every skip: "
        f"{metrics['parameters']['direct']}."
    )
    report.heading("Found architecture")
    report.paragraph(f"```text\n{fitted.architecture}\n```")
    if fitted.path:
        report.heading("Regularization path")
        report.paragraph(path_table(fitted.path))
    captions = {
        "architecture.png": ("Architecture", "Live layers and skip connections after pruning."),
        "pruning_curve.png": (
            "Pruning curve",
            "Relative increase of validation loss against the eigenvalues kept; the chosen "
            f"point is the smallest network within {config.prune_tolerance:.0%}."
            if config.prune_tolerance is not None else "",
        ),
        "eigenvalues.png": ("Eigenvalues", "Histograms of the trained eigenvalues per layer."),
        "loss.png": ("Training", "Task loss per epoch (numbered from 1; the circle marks the "
                     "epoch kept, dashed lines the fine-tuning after pruning): "
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
