"""Data flows one way: cli → experiments/search → training/pruning → spectral. Lower layers never
import higher ones (checked on the source, so lazy imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sparcs

ROOT = Path(sparcs.__file__).parent
HIGHER = {
    "spectral": {"pruning", "training", "search", "estimators", "experiments", "cli", "plots"},
    "pruning": {"training", "search", "estimators", "experiments", "cli"},
    "training": {"pruning", "search", "estimators", "experiments", "cli", "plots"},
    "search": {"experiments", "cli"},
    "experiments": {"cli"},
}


def _imported_packages(path: Path) -> set[str]:
    """The sparcs subpackages a module imports, resolved from relative imports."""
    package = path.relative_to(ROOT).parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                parts = base + (node.module.split(".") if node.module else [])
                names = [alias.name for alias in node.names] if not node.module else []
                if parts:
                    found.add(parts[0])
                found.update(n for n in names if not parts)
            elif node.module and node.module.startswith("sparcs."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("sparcs."))
    return found


@pytest.mark.parametrize("layer", sorted(HIGHER))
def test_lower_layers_do_not_import_higher_ones(layer: str) -> None:
    bad = {}
    for path in sorted((ROOT / layer).rglob("*.py")):
        reached = _imported_packages(path) & HIGHER[layer]
        if reached:
            bad[str(path.relative_to(ROOT))] = sorted(reached)
    assert not bad, f"{layer} reaches up to {bad}"


def test_the_check_sees_relative_imports() -> None:
    assert "pruning" in _imported_packages(ROOT / "search" / "engine.py")
    assert "spectral" in _imported_packages(ROOT / "pruning" / "paths.py")
