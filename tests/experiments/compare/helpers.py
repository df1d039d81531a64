"""Small problems and settings for the compare tests (seconds each)."""

from __future__ import annotations

from typing import Any

from sparcs.experiments.compare import preset
from sparcs.experiments.compare.problems import Problem, teacher_problem

SMALL = 160


def settings(**changes: Any):
    return preset("tiny", suite="teacher", **changes)


def teacher(depth: int = 1, samples: int = SMALL) -> Problem:
    return teacher_problem(depth, samples)
