"""Figures and ``report.md`` of the ``teacher`` experiment."""

from __future__ import annotations

from typing import Any

from ...app.rundir import RunDir
from ...io import read_json
from ...spectral.network import SpectralNetwork
from ...training.trainer import History
from .config import PENALTY_LAYERS, Config
from .study import collapsed

__all__ = ["STUDY_FIGURE", "figures", "write_report"]

STUDY_FIGURE = "layer-death study: mean |λ| per epoch"


def figures(net: SpectralNetwork, history: History, curve: list[dict[str, Any]],
             threshold: float, config: Config, rundir: RunDir) -> dict[str, str]:
    """Write the PNGs; matplotlib is an optional extra, so without it a note replaces them."""
    from ...plots import spectrum
    from ...plots import teacher as plots

    jobs = [
        ("eigenvalue histograms per hidden layer (Fig. 9)", lambda: spectrum.eigenvalue_histograms(
            net, rundir.file("eigenvalues.png"), layers=list(PENALTY_LAYERS), threshold=threshold)),
        ("pruning curve (Fig. 10)", lambda: spectrum.plot_pruning_curve(
            curve, rundir.file("pruning_curve.png"), tolerance=config.tolerance,
            chosen=threshold)),
        ("loss and mean |λ| per hidden layer, per epoch", lambda: plots.plot_training_dynamics(
            history.to_dict(), rundir.file("training.png"))),
    ]
    if config.study:
        jobs.append((STUDY_FIGURE, lambda: plots.plot_study_trajectories(
            read_json(rundir.file("study_trajectories.json")), rundir.file("study.png"))))
    figures: dict[str, str] = {}
    for name, job in jobs:
        try:
            figures[name] = str(job())
        except ImportError as err:
            figures["_skipped"] = str(err)
            break
    return figures


def _death_epoch(history: History, ratio: float) -> int | None:
    """First epoch from which mean|λ_1| <= ratio · mean|λ_2| holds to the end, if any."""
    means = history.mean_abs_eigenvalues
    dead = [row[1] <= ratio * row[2] for row in means]
    if not dead or not dead[-1]:
        return None
    epoch = len(dead)
    while epoch > 1 and dead[epoch - 2]:
        epoch -= 1
    return epoch


def _depth_finding(widths: list[int]) -> str:
    if widths[0] == 0 and any(w > 0 for w in widths[1:]):
        return ("the redundant first hidden layer died, so the student found the teacher's depth "
                "(one hidden layer).")
    if not any(widths):
        return "both hidden layers were pruned away: the pruned student is linear."
    return ("the first hidden layer stayed active at this width, penalty and training length, "
            "so the student did not reduce to the teacher's depth of one hidden layer.")


def write_report(config: Config, results: dict[str, Any], study_rows: list[dict[str, Any]],
                  figures: dict[str, str], rundir: RunDir) -> None:
    from ...app.markdown import Report

    history = History(**read_json(rundir.file("history.json")))
    ev = results["eigenvalues"]
    lam1, lam2 = ev["layer_1"]["mean_abs"], ev["layer_2"]["mean_abs"]
    widths = results["hidden_widths_pruned"]
    rep = Report("Teacher–student depth selection (paper Figs. 9, 10)")
    rep.paragraph(
        f"Teacher y = R ReLU(R x), R a Haar-random rotation of SO({config.dim}), x ~ U[−1, 1]^"
        f"{config.dim}; {config.samples} training points ({config.val_fraction:.0%} of them held "
        f"out for pruning) and {config.test_samples} test points. Student: spectral network "
        f"[{config.dim}, {config.hidden}, {config.hidden}, {config.dim}], ReLU, no bias, "
        f"perceptron start, λ_0 frozen at 0; Adam lr {config.lr:g}, batch {config.batch_size}, "
        f"{config.epochs} epochs, penalty {config.penalty:g}·(‖λ_1‖₂ + ‖λ_2‖₂). Trained on "
        f"{results['device']} in {results['train_time_s']:.1f} s."
    )
    rep.heading("Results")
    rep.table([
        {"quantity": "R² full student (test)", "value": results["r2_full"]},
        {"quantity": "R² pruned student (test)", "value": results["r2_pruned"]},
        {"quantity": "R² linear least squares (test)", "value": results["r2_linear"]},
        {"quantity": "mean |λ_1| (first hidden layer)", "value": lam1},
        {"quantity": "mean |λ_2| (second hidden layer)", "value": lam2},
        {"quantity": "pruning threshold", "value": results["threshold"]},
        {"quantity": "live hidden widths after pruning", "value": str(widths)},
        {"quantity": "parameters: spectral / direct / compact",
         "value": "{spectral} / {direct} / {compact}".format(**results["parameters"])},
    ])
    death = _death_epoch(history, config.death_ratio)
    findings = [
        f"After training, mean |λ_1| = {lam1:.3g} and mean |λ_2| = {lam2:.3g} "
        f"(ratio {lam1 / lam2 if lam2 else float('inf'):.3g}); "
        f"{ev['layer_1']['fraction_below_1e-3']:.1%} of λ_1 and "
        f"{ev['layer_2']['fraction_below_1e-3']:.1%} of λ_2 are below 1e-3.",
        f"Spectral pruning at {config.tolerance:.0%} tolerance (threshold "
        f"{results['threshold']:.3g}) keeps {results['active_hidden_layers']} hidden layer(s), "
        f"live widths {widths}: "
        + _depth_finding(widths),
        (f"mean |λ_1| fell below {config.death_ratio:g}·mean |λ_2| from epoch {death} on."
         if death is not None else
         f"mean |λ_1| never stayed below {config.death_ratio:g}·mean |λ_2| until the end of "
         "training."),
        f"Test R²: pruned {results['r2_pruned']:.4f}, full {results['r2_full']:.4f}, linear "
        f"{results['r2_linear']:.4f} (the paper reports ≥ 0.98 after pruning against a clearly "
        "lower linear score).",
    ]
    for key, what in (("structured", f"within the same {config.tolerance:.0%} tolerance"),
                      ("r2_drop_0.01", "within a validation R² drop of 0.01 (the search's "
                       "default rule)"),
                      ("smallest_r2_0.98", "to the smallest model with validation R² ≥ 0.98")):
        if key in results:
            st = results[key]
            findings.append(
                f"Structured pruning (nodes, skip blocks, whole layers) {what}: hidden widths "
                f"{st['hidden_widths']}, {st['compact_parameters']} compact parameters, test R² "
                f"{st['r2']:.4f}.")
    rep.bullets(findings)
    rep.paragraph("The compact model of the pruned student is saved in `compact/` "
                  "(`sparcs.CompactNetwork.load`).")
    if "_skipped" in figures:
        rep.paragraph(f"Figures were skipped: {figures['_skipped']}")
    for alt, path in figures.items():
        if not alt.startswith("_") and alt != STUDY_FIGURE:
            rep.heading(alt[0].upper() + alt[1:], level=3)
            rep.image(path, alt, base=rundir.path)
    if study_rows:
        _study_section(rep, config, study_rows)
        if STUDY_FIGURE in figures:
            rep.image(figures[STUDY_FIGURE], STUDY_FIGURE, base=rundir.path)
    rep.write(rundir.file("report.md"))


def _study_section(rep: Any, config: Config, rows: list[dict[str, Any]]) -> None:
    rep.heading("What decides whether the redundant layer dies")
    rows = [{**r, "collapsed": collapsed(r["mean_abs_lambda1"], r["mean_abs_lambda2"],
                                          config.death_ratio)} for r in rows]
    rep.paragraph(
        f"One student per (H, c), {config.study_samples} training points of the same teacher, "
        f"batch {config.batch_size}, read at epochs {sorted(set(config.study_epochs))}. "
        f"'died' means mean |λ_1| <= {config.death_ratio:g}·mean |λ_2|. Numbers also in "
        "`study.csv`."
    )
    rep.paragraph(
        "'collapsed' names the hidden layer whose mean |λ| fell below that ratio times the "
        "other's ('both': both below 1e-3). Only a collapsed layer 1 removes a layer: with "
        "λ_2 = 0, layer 2 still receives φ_1 Λ_1 x_1, so the student keeps both hidden layers."
    )
    rep.table(rows, ["hidden", "penalty", "epochs", "steps", "mean_abs_lambda1",
                     "mean_abs_lambda2", "ratio", "collapsed", "layer1_died", "r2"], digits=3)
    last = max(r["epochs"] for r in rows)
    final = [r for r in rows if r["epochs"] == last]

    def tally(group: list[dict[str, Any]]) -> str:
        counts: dict[str, int] = {}
        for r in group:
            counts[r["collapsed"]] = counts.get(r["collapsed"], 0) + 1
        best = max(r["r2"] for r in group)
        return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f" (best R² {best:.3f})"

    lines = [f"At epoch {last}, layer 1 died in {sum(r['layer1_died'] for r in final)} of "
             f"{len(final)} configurations; collapsed: {tally(final)}."]
    for key, name in (("penalty", "penalty c"), ("hidden", "width H")):
        groups: dict[Any, list[dict[str, Any]]] = {}
        for r in final:
            groups.setdefault(r[key], []).append(r)
        lines.append(f"By {name} at epoch {last}: "
                     + "; ".join(f"{v:g} → {tally(groups[v])}" for v in sorted(groups)) + ".")
    by_config: dict[tuple[int, float], list[dict[str, Any]]] = {}
    for r in rows:
        by_config.setdefault((r["hidden"], r["penalty"]), []).append(r)
    shrinking = sum(
        g[-1]["ratio"] < g[0]["ratio"] for g in by_config.values() if len(g) > 1)
    multi = sum(len(g) > 1 for g in by_config.values())
    if multi:
        lines.append(f"With more epochs the ratio |λ_1|/|λ_2| fell in {shrinking} of {multi} "
                     "configurations.")
    rep.bullets(lines)
