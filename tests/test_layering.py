"""The layers of the package, checked on the source.

Top to bottom (a module imports only from layers below its own, and from its own package):

====  ==========================================================================================
 1    ``cli``: the ``sparcs`` command
 2    ``experiments``: the paper's experiments and ``sparcs compare``
 3    ``app``: the application around the library: reading tables, run and output folders,
      reports, saved searches; the one layer below the command that names its flags in messages
 4    ``plots``: matplotlib figures of networks, spectra and records (the app and the experiments
      draw with them; they draw from numbers, networks and architectures only, never from a
      search, so they also stay clear of ``estimators``, ``search`` and ``app``: see
      :data:`PLOTS_NEVER_IMPORT`)
 5    ``estimators``: the scikit-learn wrappers of the search
 6    ``search``: the search on arrays (settings, engine, regularization path, linear floor,
      predictor)
 7    ``training`` and ``pruning``, side by side: the search trains and then prunes, but neither
      needs the other. Pruning measures and cuts a trained network (fine-tuning between its
      rounds is a callback the search passes in), and training fits any module, a pruned
      compact one included, without knowing how it was made. Being on one level, neither may
      import the other
 8    ``spectral``: the spectral network, its math and its modules
 9    the bottom, the top-level modules: ``metrics``, ``baselines``, ``preprocessing``,
      ``data``, ``losses``, ``errors``, ``devices``, ``io``, ``progress``, ``options``
====  ==========================================================================================

Every import counts: relative and absolute ones, lazy ones inside functions and the type-only
ones under ``if TYPE_CHECKING:``. Package ``__init__`` files that gather public names are exempt
(the root's ``__version__`` may be imported from anywhere). No module imports a private
(``_``-prefixed) module or name of another package, no two modules import each other, directly or
through others, and no layer below the app names a command-line flag.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import sparcs

ROOT = Path(sparcs.__file__).parent

LAYERS: tuple[tuple[str, ...], ...] = (  # top to bottom
    ("cli",),
    ("experiments",),
    ("app",),
    ("plots",),
    ("estimators",),
    ("search",),
    ("training", "pruning"),
    ("spectral",),
    ("metrics", "baselines", "preprocessing", "data", "losses", "errors", "devices", "io",
     "progress", "options"),
)
BOTTOM = LAYERS[-1]
LEVEL = {unit: level for level, units in enumerate(LAYERS) for unit in units}
# The bottom's modules all sit in the root package, so they may import one another.
PACKAGE = {unit: ("" if unit in BOTTOM else unit) for unit in LEVEL}
PLOTS_NEVER_IMPORT = {"estimators", "search", "app"}
BELOW_THE_APP = {unit for unit, level in LEVEL.items() if level > LEVEL["app"]}
# Names of the root package a module may import (everything else: from its defining module).
ROOT_NAMES = {"__version__"}

KNOWN_CYCLES: set[frozenset[str]] = set()


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ("sparcs", *path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def imports_of(module: str, source: str, *, package: bool = False) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every sparcs import in ``source``, the
    source of ``module`` (a package's ``__init__`` when ``package``). ``from X import name``
    gives ``(X.name, None)`` where that is a module, else ``(X, name)``."""
    here = module.split(".") if package else module.split(".")[:-1]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.split(".")[0] == "sparcs"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join(base + (node.module.split(".") if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "sparcs":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub, None) if sub in MODULES else (target, alias.name))
    return found


def _imports(module: str) -> list[tuple[str, str | None]]:
    path = MODULES[module]
    return imports_of(module, path.read_text(encoding="utf-8"), package=_is_package(module))


def unit_of(module: str) -> str | None:
    """The layer table's entry for a module: its subpackage, or the top-level module itself;
    None for the root package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _checked() -> list[str]:
    """The modules whose imports must respect the layers: all but the gathering ``__init__``s."""
    return [m for m in MODULES if not _is_package(m)]


def test_every_module_has_a_layer() -> None:
    units = {unit_of(m) for m in MODULES} - {None}
    assert units == set(LEVEL), f"not in the table: {sorted(units - set(LEVEL))}; " \
                                f"no such module: {sorted(set(LEVEL) - units)}"
    top_level_modules = {unit_of(m) for m in MODULES if m.count(".") == 1 and not _is_package(m)}
    assert top_level_modules == set(BOTTOM), "the top-level modules are exactly the bottom layer"


def _violations(module: str) -> list[str]:
    unit = unit_of(module)
    bad = []
    for target, name in _imports(module):
        reached = unit_of(target)
        if reached is None:  # the root package
            if name not in ROOT_NAMES:
                bad.append(f"sparcs.{name} (import it from its module)")
            continue
        if reached not in LEVEL:
            bad.append(f"{target} (not in the layer table)")
        elif PACKAGE[reached] == PACKAGE[unit]:
            continue
        elif LEVEL[reached] <= LEVEL[unit]:
            bad.append(f"{target} (layer {LEVEL[reached] + 1}: {reached})")
    return bad


@pytest.mark.parametrize("layer", range(len(LAYERS)), ids=["/".join(u) for u in LAYERS])
def test_modules_import_only_lower_layers(layer: int) -> None:
    bad = {
        module: _violations(module)
        for module in _checked() if LEVEL.get(unit_of(module)) == layer and _violations(module)
    }
    assert not bad, f"layer {layer + 1} reaches up or sideways: {bad}"


def test_plots_import_no_search_and_no_app() -> None:
    bad = {
        module: sorted({unit_of(t) for t, _ in _imports(module)} & PLOTS_NEVER_IMPORT)
        for module in MODULES if unit_of(module) == "plots"
    }
    assert not any(bad.values()), bad


def _private(dotted: str) -> bool:
    return any(p.startswith("_") and not p.startswith("__") for p in dotted.split("."))


def _owner(module: str) -> str:
    """The package whose private parts a module may use: its subpackage, or (for a top-level
    module) the module itself."""
    return ".".join(module.split(".")[:2])


def test_no_private_module_or_name_of_another_package_is_imported() -> None:
    bad = []
    for module in MODULES:
        for target, name in _imports(module):
            if _owner(target) == _owner(module) or unit_of(target) is None:
                continue
            if _private(target) or (name is not None and _private(name)):
                bad.append(f"{module} imports {target}{'.' + name if name else ''}")
    assert not bad, bad


def _resolve(target: str, name: str | None, seen: frozenset[str] = frozenset()) -> set[str]:
    """The modules an import reaches: a name imported from a package is followed to the module
    its ``__init__`` takes it from (none for a name the ``__init__`` defines itself)."""
    if not _is_package(target):
        return {target} if target in MODULES else set()
    if name is None or target in seen:
        return set()
    taken = [(t, n) for t, n in _imports(target) if n == name or t.endswith("." + name)]
    return set().union(*(_resolve(t, n, seen | {target}) for t, n in taken))


def _edges() -> dict[str, set[str]]:
    """The module-level import graph, the gathering ``__init__``s left out."""
    return {
        module: set().union(*(_resolve(t, n) for t, n in _imports(module))) - {module}
        for module in _checked()
    }


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other() -> None:
    found = set(cycles(_edges())) - KNOWN_CYCLES
    assert not found, [sorted(c) for c in found]


def _strings(tree: ast.AST) -> list[str]:
    """The string constants of a module, docstrings left out."""
    docs = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docs]


FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def test_no_layer_below_the_app_names_a_flag() -> None:
    bad = {}
    for module, path in MODULES.items():
        if unit_of(module) in BELOW_THE_APP:
            flags = {f for s in _strings(ast.parse(path.read_text(encoding="utf-8")))
                     for f in FLAG.findall(s)}
            if flags:
                bad[module] = sorted(flags)
    assert not bad, bad


# ------------------------------------------------------------------ the checks check
def test_the_check_sees_every_kind_of_import() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import sparcs.spectral.network\n"
        "from ..pruning.compact import to_compact\n"
        "from . import engine\n"
        "from .. import __version__\n"
        "if TYPE_CHECKING:\n"
        "    from ..training.trainer import History\n"
        "def lazy():\n"
        "    from sparcs.app import folder\n"
    )
    found = imports_of("sparcs.search.example", source)
    assert set(found) >= {
        ("sparcs.spectral.network", None), ("sparcs.pruning.compact", "to_compact"),
        ("sparcs.search.engine", None), ("sparcs", "__version__"),
        ("sparcs.training.trainer", "History"), ("sparcs.app.folder", None),
    }


def test_the_checks_see_the_real_source() -> None:
    assert ("sparcs.preprocessing", "Scaler") in _imports("sparcs.search.engine")
    assert "sparcs.spectral.functional" in _edges()["sparcs.pruning.paths"]
    assert _resolve("sparcs.training", "History") == {"sparcs.training.trainer"}
    assert _resolve("sparcs.pruning", "prune") == {"sparcs.pruning.spectral_prune"}
    assert _resolve("sparcs", "__version__") == set()


def test_the_cycle_check_finds_indirect_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(edges) == [frozenset({"a", "b", "c"})]
