"""``sparcs demo`` end to end, with a small configuration."""

from __future__ import annotations

import pytest

from sparcs.cli.main import main


def test_demo_tells_linear_from_nonlinear(capsys):
    code = main(["demo", "--samples", "2000", "--epochs", "40", "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    linear, nonlinear = out.split("== non-linear")
    assert "no hidden layer recruited" in linear
    assert "recruited, widths" in nonlinear


def test_unknown_option_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--epochz", "3"])
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "0"], "epochs must be an integer >= 1, got 0"),
        (["--samples", "3"], "samples must be an integer from 10 to 10000000, got 3"),
        (["--noise", "nan"], "noise must be a finite number >= 0, got nan"),
        (["--hidden", "0"], "hidden must be a list of one or more integers >= 1, got [0]"),
        (["--hidden", "100000000,100000000"], "needs about"),  # refused before it is killed
    ],
)
def test_bad_settings_are_one_line_errors(capsys, flags, message):
    code = main(["demo", *flags, "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
