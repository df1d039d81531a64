"""The README's commands work as written: its Python snippets and its cheap shell snippets run
after the README's own install line (pandas included), and what they print matches the README
where that does not depend on the machine."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# Every fenced snippet, keyed by the heading it sits under, must have a verdict here: run it, or
# skip it with the reason. A new snippet without a verdict fails test_every_snippet_has_a_verdict.
SKIP = {
    ("sparcs — spectral architecture search", "bash"):
        "installs packages (needs the network) and runs the one-minute demo",
    ("Reproduce the paper", "bash"): "minutes per experiment (sparcs reproduce has tiny presets "
                                     "tested in tests/experiments)",
    ("Benchmarks", "bash"): "benchmarks take minutes",
    ("Development", "bash"): "installs packages and runs this test suite",
    ("Layout", ""): "a file tree, not a command",
    ("How good is the search", "bash"): "the quality suite takes about 15 minutes (its search is "
                                        "tested in tests/search/test_quality.py)",
    ("How SPARCS compares", "bash"): "the quick suite takes minutes (sparcs compare's tiny preset "
                                     "is tested in tests/cli/test_compare.py)",
    ("How SPARCS compares", "json"): "a manifest, not a command (it is read as one in "
                                     "tests/experiments/compare/test_manifest.py)",
    ("On a Ray cluster", "bash"): "needs several machines (the ray backend is tested on a local "
                                  "cluster in tests/experiments/compare/test_ray.py)",
}
RUN = {
    ("Use it from Python", "python"),
    ("From Python (scikit-learn API; `pip install -e \".[sklearn]\"`)", "python"),
    ("From the command line", "bash"),
    ("Export to ONNX", "bash"),  # run by test_command_line_snippet_runs_as_written, after it
}


def snippets() -> list[tuple[str, str, str, str]]:
    """(heading, language, code, output that follows it in a ```text block or '')."""
    found, heading = [], ""
    blocks = re.finditer(r"^(#+) ([^\n]*)$|^```(\w*)\n(.*?)^```\n", README.read_text(), re.M | re.S)
    items = list(blocks)
    for i, m in enumerate(items):
        if m.group(1):
            heading = m.group(2).strip()
        elif m.group(3) != "text":
            nxt = items[i + 1] if i + 1 < len(items) else None
            output = nxt.group(4) if nxt is not None and nxt.group(3) == "text" else ""
            found.append((heading, m.group(3), m.group(4), output))
    return found


def test_every_snippet_has_a_verdict():
    found = snippets()
    assert {(h, lang) for h, lang, _, _ in found} >= RUN and len(found) >= 8
    for heading, lang, _, _ in found:
        assert (heading, lang) in RUN or (heading, lang) in SKIP, (heading, lang)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done.stdout


def _stable_lines(text: str) -> list[str]:
    """Lines of printed output that do not depend on the machine: table structure and layer
    rows (live widths), without the scores, norms and parameter counts."""
    keep = []
    for line in text.splitlines():
        if re.match(r"\s+\d+\s+(input|hidden|output)\s", line):
            keep.append(" ".join(line.split()[:4]))
    return keep


@pytest.mark.parametrize("heading", sorted(h for h, lang in RUN if lang == "python"))
def test_python_snippets_run_and_print_what_the_readme_shows(heading, tmp_path):
    (_, _, code, output), = [s for s in snippets() if s[0] == heading and s[1] == "python"]
    printed = _run([sys.executable, "-c", code], tmp_path)
    if output:
        assert _stable_lines(printed) == _stable_lines(output)
        if "cross_val_score" in code:  # seeded: the same scores on every run of this machine
            assert printed.strip().splitlines()[-1] == output.strip().splitlines()[-1]


def test_command_line_snippet_runs_as_written(tmp_path):
    (_, _, code, output), = [s for s in snippets() if s[0] == "From the command line"]
    printed = _run(["bash", "-e", "-c", code], tmp_path)
    assert (tmp_path / "diabetes-search" / "metrics.json").is_file()
    assert _stable_lines(printed) == _stable_lines(output)
    assert printed.splitlines()[0] == output.splitlines()[0]  # rows, features, split
    # The export snippet continues from the search folder written above (the onnx extra).
    if all(importlib.util.find_spec(name) for name in ("onnx", "onnxscript")):
        (_, _, code, _), = [s for s in snippets() if s[0] == "Export to ONNX"]
        printed = _run(["bash", "-e", "-c", code], tmp_path)
        assert "wrote diabetes.onnx:" in printed and "wrote diabetes.columns.json:" in printed
        assert (tmp_path / "diabetes.onnx").is_file()


def test_the_install_extras_hold_what_the_snippets_import():
    text = (ROOT / "pyproject.toml").read_text()
    extras = dict(re.findall(r'^(\w+) = \[(.*?)\]', text, re.M | re.S))
    for extra in ("all", "dev"):
        for package in ("pandas", "scikit-learn", "matplotlib", "tqdm"):
            assert f'"{package}' in extras[extra], (extra, package)
    # CI installs the dev extra: the ONNX tests (onnxruntime against torch) run there, unskipped.
    for package in ("onnx>", "onnxscript", "onnxruntime"):
        assert f'"{package}' in extras["dev"], package
    assert '"onnxruntime' in extras["onnx"]  # users can check their export
