"""Shared fixtures and settings for the test suite."""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import settings

# The suite must finish in minutes on 2 CPU cores: keep property tests small and deterministic.
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


# Largest float64 error against brute force seen by the spectral tests, reported at the end.
class _ErrorLog:
    """Records brute-force comparison errors; the largest one is printed in the summary."""

    def __init__(self) -> None:
        self.errors: list[float] = []

    def __call__(self, error: float) -> None:
        self.errors.append(float(error))

    def __repr__(self) -> str:
        return f"<error log: {len(self.errors)} entries>"


_BRUTE_FORCE_ERRORS = _ErrorLog()


@pytest.fixture(scope="session")
def record_error() -> _ErrorLog:
    return _BRUTE_FORCE_ERRORS


def pytest_terminal_summary(terminalreporter):
    errors = _BRUTE_FORCE_ERRORS.errors
    if errors:
        terminalreporter.write_line(
            f"largest float64 error against brute-force Φ Λ Φ⁻¹: {max(errors):.3e} "
            f"({len(errors)} comparisons)"
        )
