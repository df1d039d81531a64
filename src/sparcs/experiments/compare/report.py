"""``report.md`` of a comparison: per-dataset tables (mean ± std over seeds), a Pareto plot of
test metric against compact parameters, a search-cost plot, and verdicts computed from the
numbers. ``summary.csv`` holds the aggregated numbers."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...app.markdown import Report
from ...io import write_csv
from .methods import METHODS
from .problems import Problem
from .settings import CompareSettings

__all__ = ["aggregate", "verdicts", "write_report"]

METRIC_LABEL = {"r2": "R²", "accuracy": "accuracy"}
TASK_OF = {"r2": "regression", "accuracy": "classification"}
SUMMARY_COLUMNS = [
    "dataset", "method", "metric", "seeds", "test_mean", "test_std", "val_mean", "val_std",
    "parameters_mean", "parameters_std", "flops_mean", "skip_blocks_mean", "hidden_widths",
    "trainings", "epochs_mean", "wall_s_mean", "wall_s_std",
]


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def aggregate(rows: list[dict[str, Any]], methods: list[str]) -> list[dict[str, Any]]:
    """One summary per (dataset, method): means and standard deviations over seeds."""
    out = []
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    for dataset in datasets:
        for method in methods:
            group = [r for r in rows if r["dataset"] == dataset and r["method"] == method]
            if not group:
                continue
            col = {k: [_num(r[k]) for r in group] for k in
                   ("test_metric", "val_metric", "parameters", "flops", "skip_blocks",
                    "trainings", "epochs", "wall_s")}
            entry: dict[str, Any] = {"dataset": dataset, "method": method, "seeds": len(group)}
            entry["test_mean"], entry["test_std"] = _mean_std(col["test_metric"])
            entry["val_mean"], entry["val_std"] = _mean_std(col["val_metric"])
            entry["parameters_mean"], entry["parameters_std"] = _mean_std(col["parameters"])
            entry["flops_mean"] = _mean_std(col["flops"])[0]
            entry["skip_blocks_mean"] = _mean_std(col["skip_blocks"])[0]
            entry["hidden_widths"] = " | ".join(
                str(r["hidden_widths"]) for r in group if r["hidden_widths"] not in (None, ""))
            entry["trainings"] = _mean_std(col["trainings"])[0]
            entry["epochs_mean"] = _mean_std(col["epochs"])[0]
            entry["wall_s_mean"], entry["wall_s_std"] = _mean_std(col["wall_s"])
            entry["metric"] = group[0]["metric"]
            out.append(entry)
    return out


def _pm(mean: float | None, std: float | None, digits: int = 3) -> str:
    if mean is None:
        return "–"
    if abs(mean) >= 100:
        return f"{mean:,.0f} ± {std:,.0f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _size_text(ours: float, theirs: float, method: str) -> str:
    """"6.1× fewer parameters than M", "as many parameters as M" (within 5 %), ..."""
    if ours <= 0 or theirs <= 0:
        return f"parameters not comparable with {method}"
    ratio = theirs / ours
    if abs(ratio - 1) < 0.05:
        return f"as many parameters as {method}"
    size = f"{ratio:.1f}× fewer" if ratio >= 1 else f"{1 / ratio:.1f}× more"
    return f"{size} parameters than {method}"


def verdicts(summary: list[dict[str, Any]], reference: str = "sparcs") -> list[str]:
    """Lines such as "teacher-d1: sparcs: 6.1× fewer parameters than mlp-search at −0.004 R²",
    per dataset and across datasets (median parameter ratio, mean metric difference)."""
    lines = []
    datasets = list(dict.fromkeys(e["dataset"] for e in summary))
    # (metric, method) -> (parameter ratio, metric difference) per dataset: R² and accuracy
    # differences are averaged apart.
    across: dict[tuple[str, str], list[tuple[float | None, float]]] = {}
    for dataset in datasets:
        entries = {e["method"]: e for e in summary if e["dataset"] == dataset}
        ours = entries.get(reference)
        if ours is None or ours["test_mean"] is None:
            continue
        label = METRIC_LABEL.get(ours["metric"], ours["metric"])
        parts = []
        for method, e in entries.items():
            if method == reference or e["test_mean"] is None:
                continue
            diff = ours["test_mean"] - e["test_mean"]
            if e["parameters_mean"] is not None and ours["parameters_mean"] is not None:
                size = _size_text(ours["parameters_mean"], e["parameters_mean"], method)
                parts.append(f"{size} at {diff:+.3f} {label}")
                ratio = (e["parameters_mean"] / ours["parameters_mean"]
                         if ours["parameters_mean"] > 0 else None)
            else:
                parts.append(f"{diff:+.3f} {label} against {method}")
                ratio = None
            across.setdefault((ours["metric"], method), []).append((ratio, diff))
        best = max(entries.values(), key=lambda e: e["test_mean"] if e["test_mean"] is not None
                   else -math.inf)
        tail = (f"; best here: {best['method']} ({best['test_mean']:.3f})"
                if best["method"] != reference else "; the most accurate here")
        lines.append(f"{dataset}: {reference}: " + "; ".join(parts) + tail)
    mixed = len({metric for metric, _ in across}) > 1
    for (metric, method), pairs in sorted(across.items(), key=lambda kv: kv[0][0] != "r2"):
        ratios = [r for r, _ in pairs if r is not None]
        diffs = [d for _, d in pairs]
        size = (f"{method} has {statistics.median(ratios):.2g}× the parameters (median), "
                if ratios else "")
        label = METRIC_LABEL.get(metric, metric)
        kind = f" {TASK_OF.get(metric, metric)}" if mixed else ""
        lines.append(
            f"across {len(pairs)}{kind} datasets, {reference} against {method}: {size}"
            f"{reference}'s {label if mixed else 'metric'} minus {method}'s is "
            f"{statistics.fmean(diffs):+.3f} on average (worst {min(diffs):+.3f})"
        )
    return lines


def _count_ticks(lo: float, hi: float, counts: list[float]) -> list[float]:
    """Ticks of a log axis of parameter counts from ``lo`` to ``hi``: 1, 2 and 5 of each decade
    (only 1 over more than two decades); on an axis with fewer than two of those, the counts
    plotted (matplotlib's own ticks label minor ticks there, and they run into each other)."""
    subs = (1.0, 2.0, 5.0) if math.log10(hi / lo) < 2 else (1.0,)
    ticks = [m * 10.0**k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             for m in subs if lo <= m * 10.0**k <= hi]
    if len(ticks) >= 2:
        return ticks
    values = sorted(set(counts))
    return values if len(values) <= 3 else [values[0], values[-1]]


def _pareto(rows: list[dict[str, Any]], methods: list[str],
            path: Path) -> Path:
    from ...plots.canvas import figure, save_figure

    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    ncols = min(4, len(datasets))
    nrows = math.ceil(len(datasets) / ncols)
    fig = figure(figsize=(3.6 * ncols, 3.0 * nrows))
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    markers = "osD^vPX*<>"
    for n, dataset in enumerate(datasets):
        ax = fig.add_subplot(nrows, ncols, n + 1)
        counts: list[float] = []
        for k, method in enumerate(methods):
            pts = [r for r in rows if r["dataset"] == dataset and r["method"] == method]
            xs = [_num(r["parameters"]) for r in pts]
            ys = [_num(r["test_metric"]) for r in pts]
            style = {"color": f"C{k}", "label": method}
            if pts and all(x is not None for x in xs):
                ax.scatter(xs, ys, marker=markers[k % len(markers)], s=28, alpha=0.8, **style)
                counts += [x for x in xs if x > 0]
            elif pts:  # no parameter count: the mean as a horizontal reference line
                ax.axhline(statistics.fmean(ys), ls="--", lw=1, **style)
        ax.set_xscale("log")
        if counts:
            lo, hi = min(counts) / 1.4, max(counts) * 1.4
            ax.set_xlim(lo, hi)
            ax.xaxis.set_major_locator(FixedLocator(_count_ticks(lo, hi, counts)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1
                                                       else f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.tick_params(labelsize=8)
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("compact parameters")
        metric = next(r["metric"] for r in rows if r["dataset"] == dataset)
        ax.set_ylabel(f"test {METRIC_LABEL.get(metric, metric)}")
        ax.grid(alpha=0.3)
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    # Below the panels, in one row, so that it covers no panel title.
    fig.tight_layout(rect=(0, 0.14 / nrows, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 8),
               bbox_to_anchor=(0.5, 0.0), fontsize=8)
    return save_figure(fig, path, dpi=110)


def _cost(rows: list[dict[str, Any]], methods: list[str], path: Path) -> Path:
    from ...plots.canvas import figure, save_figure

    fig = figure(figsize=(9, 3.2))
    for n, (key, label) in enumerate((("wall_s", "wall seconds per trial"),
                                      ("epochs", "epochs trained per trial"))):
        ax = fig.add_subplot(1, 2, n + 1)
        for k, method in enumerate(methods):
            vals = [_num(r[key]) for r in rows if r["method"] == method]
            vals = [v for v in vals if v is not None]
            if not vals:
                continue
            ax.bar(k, statistics.fmean(vals), color=f"C{k}", alpha=0.5)
            ax.scatter([k] * len(vals), vals, color=f"C{k}", s=10)
        ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def _overview(summary: list[dict[str, Any]], methods: list[str]) -> list[dict[str, str]]:
    """One row per dataset, one column per method: "0.912 · 395"."""
    shown = [m for m in methods if any(e["method"] == m for e in summary)]
    table = []
    for dataset in dict.fromkeys(e["dataset"] for e in summary):
        entries = {e["method"]: e for e in summary if e["dataset"] == dataset}
        metric = next(iter(entries.values()))["metric"]
        row = {"dataset": dataset, "metric": METRIC_LABEL.get(metric, metric)}
        for method in shown:
            e = entries.get(method)
            if e is None or e["test_mean"] is None:
                row[method] = "–"
                continue
            params = e["parameters_mean"]
            row[method] = f"{e['test_mean']:.3f}" + ("" if params is None else f" · {params:,.0f}")
        table.append(row)
    return table


def write_report(path: Path, settings: CompareSettings, problems: list[Problem],
                 rows: list[dict[str, Any]], failed: dict[str, str],
                 methods: list[str]) -> Path:
    """Write ``summary.csv``, the figures and ``report.md`` into the run folder ``path``."""
    summary = aggregate(rows, methods)
    write_csv(path / "summary.csv", summary, SUMMARY_COLUMNS)
    report = Report("sparcs compare")
    budget = settings.search
    if settings.manifest is not None:
        roles = (f" (role {', '.join(settings.roles)})" if settings.roles else "")
        source = f"the {len(problems)} datasets of {settings.manifest}{roles}"
    else:
        source = settings.data or f"the {settings.suite} suite"
    stopping = (f"early stopping after {budget.n_iter_no_change} without improvement"
                if budget.early_stopping else "no early stopping")
    report.paragraph(
        f"Methods {', '.join(settings.methods)} on {source}; seeds {settings.seeds}. Every method "
        f"gets the same split (test {settings.test_fraction:g} of the rows, validation "
        f"{budget.validation_fraction:g} of the rest), maximal hidden widths "
        f"{list(budget.max_hidden)}, {budget.epochs} epochs per training ({stopping}), "
        f"{budget.finetune_epochs} fine-tuning epochs and tolerance {settings.tolerance:g} "
        "(relative validation loss) "
        f"when shrinking; mlp-search runs {settings.trials} Optuna trials."
    )
    notes = [METHODS[m].describe(settings) for m in settings.methods]
    if any(notes):
        report.heading("Method settings")
        report.bullets(n for n in notes if n)
    if failed:
        report.heading("Failed trials")
        report.bullets(f"{key}: {err}" for key, err in failed.items())
    lines = verdicts(summary)
    if lines:
        report.heading("Verdicts")
        report.bullets(lines)
    figures = []
    if rows:
        try:
            figures = [_pareto(rows, methods, path / "pareto.png"),
                       _cost(rows, methods, path / "cost.png")]
        except ImportError:
            report.paragraph("No figures: matplotlib is not installed.")
    for fig in figures:
        report.image(fig, base=path)
    if len({e["dataset"] for e in summary}) > 1:
        report.heading("Overview")
        report.paragraph("Test metric (R² for regression, accuracy for classification), mean "
                         "over seeds · compact parameters (mean); details per dataset below.")
        report.table(_overview(summary, methods))
    report.heading("Results per dataset")
    report.paragraph("Mean ± std over seeds; hidden widths per seed (0: layer removed); "
                     "skips: blocks beyond a plain chain; cost: trainings from scratch and all "
                     "epochs trained. One row per trial in results.csv.")
    truth = {p.name: p for p in problems}
    for dataset in dict.fromkeys(e["dataset"] for e in summary):
        p = truth.get(dataset)
        report.heading(dataset, level=3)
        if p is not None and p.source:
            report.paragraph(p.source + (f" (right answer: hidden widths {p.truth or [0]})"
                                         if p.truth is not None else ""))
        label = METRIC_LABEL.get(p.metric if p else "", "metric")
        report.table([{
            "method": e["method"],
            f"test {label}": _pm(e["test_mean"], e["test_std"]),
            "parameters": _pm(e["parameters_mean"], e["parameters_std"], 0),
            "hidden widths": e["hidden_widths"] or "–",
            "skips": "–" if e["skip_blocks_mean"] is None else f"{e['skip_blocks_mean']:.1f}",
            "trainings": "–" if e["trainings"] is None else f"{e['trainings']:g}",
            "epochs": "–" if e["epochs_mean"] is None else f"{e['epochs_mean']:.0f}",
            "wall s": _pm(e["wall_s_mean"], e["wall_s_std"], 1),
        } for e in summary if e["dataset"] == dataset])
    return report.write(path / "report.md")
