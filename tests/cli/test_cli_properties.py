"""No tracebacks anywhere in the CLI: with extreme and malformed values for its numeric and
list options, every run either succeeds (exit 0) or exits 2 with exactly one error line on stderr
(after any warnings about the settings)."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sparcs.cli.main import main

# Text that breaks parsers and arithmetic: empty, signs, overflow, NaN/inf, hex, separators.
MALFORMED = ["", " ", "-1", "0", "-0", "1e309", "-1e309", "nan", "inf", "-inf", "1e-320",
             "2.5", "abc", ",", "1,,2", "0x10", " 3 ", "1e3", "99999999999999999999", "None",
             "-2147483649", "3,-1", "1,0", "½"]
NUMBERS = st.one_of(
    st.sampled_from(MALFORMED),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
# Options whose large valid values only cost time or memory (epochs, widths) get small ones,
# so that a run that is allowed to succeed finishes in a moment.
SMALL = st.one_of(st.sampled_from([s for s in MALFORMED if s not in
                                   ("1e3", "99999999999999999999", " 3 ")]),
                  st.integers(-3, 3).map(str))
SEARCH_OPTIONS = {
    "--penalty": NUMBERS, "--penalty-norm": NUMBERS, "--batch-size": NUMBERS,
    "--lr": NUMBERS, "--prune-tolerance": NUMBERS, "--validation-fraction": NUMBERS,
    "--test-fraction": NUMBERS, "--seed": NUMBERS, "--n-iter-no-change": NUMBERS,
    "--epochs": SMALL, "--finetune-epochs": SMALL,
    "--max-hidden": st.one_of(SMALL, st.lists(SMALL, max_size=3).map(",".join)),
}
BASE = ["--max-hidden", "3", "--epochs", "1", "--finetune-epochs", "1", "--no-progress"]


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's usage errors and --help
            code = exit_.code
    return code, err.getvalue()


def check(code: int, err: str, argv: list[str]) -> None:
    assert "Traceback" not in err, (argv, err)
    assert code in (0, 2), (argv, code, err)
    if code == 2:  # warnings about the settings may come first, then the one error line
        lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
        assert len(lines) == 1 and ": error: " in lines[0], (argv, err)


def _data(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    lines = ["a,b,y"] + [f"{a:.3f},{b:.3f},{a * b:.3f}" for a, b in X]
    path = folder / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(SEARCH_OPTIONS)), st.just(None), min_size=1,
                       max_size=3).flatmap(
    lambda keys: st.fixed_dictionaries({k: SEARCH_OPTIONS[k] for k in keys})))
def test_search_options(options: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = _data(Path(tmp))
        flags = [f"{k}={v}" for k, v in options.items()]  # "=" keeps "-1" a value
        argv = ["search", str(data), "--target", "y", "--out", f"{tmp}/run", *BASE, *flags]
        check(*run(argv), argv)


REPRODUCE_OPTIONS = {
    "--samples": SMALL, "--epochs": SMALL, "--alphas": st.lists(NUMBERS, max_size=3).map(
        ",".join), "--betas": st.lists(NUMBERS, max_size=2).map(",".join),
    "--seed": NUMBERS, "--lr": NUMBERS, "--penalty": NUMBERS, "--points": SMALL,
    "--hidden": SMALL, "--batch-size": NUMBERS, "--chunk-models": NUMBERS,
    "--checkpoint-every": NUMBERS,
}


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(REPRODUCE_OPTIONS)), st.just(None), min_size=1,
                       max_size=2).flatmap(
    lambda keys: st.fixed_dictionaries({k: REPRODUCE_OPTIONS[k] for k in keys})))
def test_reproduce_transition_options(options: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        flags = [f"{k}={v}" for k, v in options.items()]
        argv = ["reproduce", "transition", "--preset", "tiny", "--no-progress", "--out",
                f"{tmp}/run", *flags]
        check(*run(argv), argv)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["--width", "--min-layers", "--max-layers", "--seed"]), SMALL)
def test_reproduce_scaling_options(flag: str, value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["reproduce", "scaling", "--preset", "tiny", "--out", f"{tmp}/run",
                f"{flag}={value}"]
        check(*run(argv), argv)


EXTREME = ["", "-1", "0", "nan", "inf", "-inf", "1e309", "99999999999999999999", "abc", "1,x"]
COSTLY = {"--epochs", "--finetune-epochs", "--max-hidden"}  # huge valid values only take long


def test_search_options_at_their_extremes() -> None:
    """Every option with every extreme value, deterministically (hypothesis samples above)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = _data(Path(tmp))
        for flag in sorted(SEARCH_OPTIONS):
            for value in EXTREME:
                if flag in COSTLY and value == "99999999999999999999":
                    continue
                argv = ["search", str(data), "--target", "y", "--out", f"{tmp}/{flag}{value}",
                        *BASE, f"{flag}={value}"]
                check(*run(argv), argv)
        argv = ["search", str(data), "--target", "y", "--out", f"{tmp}/wide", *BASE,
                "--max-hidden=100000000000"]  # would exhaust memory: refused in advance
        code, err = run(argv)
        check(code, err, argv)
        assert code == 2 and "GiB" in err


def test_demo_options_at_their_extremes() -> None:
    """Values the demo refuses before any training: one error line each."""
    for flag in ("--samples", "--noise", "--epochs", "--batch-size", "--lr", "--penalty",
                 "--tolerance", "--seed", "--hidden"):
        huge = ("99999999999999999999",) if flag in ("--samples", "--seed") else ()
        for value in ("-1", "nan", "inf", "abc", *huge):
            argv = ["demo", "--no-progress", f"{flag}={value}"]
            code, err = run(argv)
            check(code, err, argv)
            assert code == 2, (argv, err)
