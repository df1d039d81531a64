"""The selection rule on hand-made cross-validation tables."""

from __future__ import annotations

import pytest

from sparcs.search.select import Candidate, choose


def _curve() -> list[Candidate]:
    # Held-out losses on 4 folds: the loss falls with size, flattens from 300 parameters on.
    losses = {20: [0.90, 0.94, 0.86, 0.90], 80: [0.62, 0.66, 0.58, 0.62],
              300: [0.41, 0.45, 0.37, 0.41], 1000: [0.40, 0.44, 0.36, 0.40],
              4000: [0.40, 0.46, 0.36, 0.42]}
    return [Candidate("network", 1e-4, b, b * 0.9, v) for b, v in losses.items()]


def test_one_standard_error_rule_picks_the_documented_candidate() -> None:
    table = _curve()
    best = min(table, key=lambda c: c.mean)
    assert best.budget == 1000 and best.mean == pytest.approx(0.40)
    assert best.se == pytest.approx(0.01633, abs=1e-5)  # std (ddof 1) / sqrt(4)
    # within 0.40 + 0.0163: 1000 (0.40), 300 (0.41) and 4000 (0.41); 300 is the smallest
    one_se = choose(table, se=1.0)
    assert one_se.chosen.budget == 300 and one_se.threshold == pytest.approx(0.41633, abs=1e-5)
    assert one_se.best.budget == 1000
    assert choose(table, se=0.5).chosen.budget == 1000  # 0.41 > 0.40 + 0.0082
    assert choose(table, se=0.0).chosen.budget == 1000  # the minimum


def test_the_floor_bounds_the_networks_and_the_constant_must_beat_it() -> None:
    table = _curve()
    floor = Candidate("floor", None, 11, 11, [0.41, 0.44, 0.38, 0.41])  # mean 0.41
    constant = Candidate("constant", None, 1, 1, [0.405, 0.43, 0.39, 0.40])  # mean 0.406
    # The floor is the smallest within one SE: it wins outright.
    assert choose([*table, floor], se=1.0).chosen.kind == "floor"
    # With the minimum rule the 1000-parameter network (0.40 < 0.41) wins.
    assert choose([*table, floor], se=0.0).chosen.budget == 1000
    # The constant beats the floor here, so it is a candidate, and the smallest within one SE.
    assert choose([*table, floor, constant], se=1.0).chosen.kind == "constant"
    # A constant worse than the floor is never a candidate, however small.
    worse = Candidate("constant", None, 1, 1, [0.42, 0.45, 0.40, 0.43])
    assert choose([*table, floor, worse], se=1.0).chosen.kind == "floor"
    # A network the rule picks (the smallest within one SE) but worse than the floor gives way
    # to the floor.
    wide = [Candidate("network", 1e-4, 500, 500, [0.40, 0.60, 0.40, 0.60]),  # 0.50 ± 0.058
            Candidate("network", 1e-4, 5, 5, [0.50, 0.58, 0.50, 0.58])]  # 0.54: within
    floor = Candidate("floor", None, 11, 11, [0.50, 0.54, 0.50, 0.54])  # 0.52
    choice = choose([*wide, floor], se=1.0)
    assert choice.chosen.kind == "floor" and choice.floor_bound
    assert not choose([*wide, floor], se=0.0).floor_bound
