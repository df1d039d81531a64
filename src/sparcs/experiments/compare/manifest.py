"""A suite of the user's datasets for ``sparcs compare --manifest FILE``.

A manifest is a JSON list with one object per dataset (the format of
``benchmarks/data/realdata/manifest.json``)::

    [{"file": "wage.csv", "target": "wage", "task": "regression", "role": "tune",
      "categorical": "onehot"},
     {"file": "penguins.csv", "target": "species", "name": "penguins", "dropna": true}]

- ``file`` (required): a CSV or ``.npz`` file, relative to the manifest's folder;
- ``target`` (required): the target column;
- ``name``: the dataset's name in the results (default: the file's stem);
- ``task``: ``auto``, ``regression`` or ``classification`` (default: the command's, ``auto``);
- ``categorical`` (``error`` / ``onehot``) and ``dropna`` (true / false): how the file is read
  (default: the command's);
- ``role``: a free label (``tune``, ``holdout``, ...) that a role filter selects on.

Other keys (notes, sources, row counts) are kept for people and not read. Every problem with the
manifest is a :class:`~sparcs.errors.DataError` of one line that names the entry.

>>> import json, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "suite.json").write_text(json.dumps(
...     [{"file": "a.csv", "target": "y", "role": "tune"},
...      {"file": "b.csv", "target": "y", "name": "bee", "role": "holdout"}]))
>>> [(e.name, e.path.name) for e in read_manifest(folder / "suite.json", roles=["holdout"])]
[('bee', 'b.csv')]
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...app.tabular import CATEGORICAL_MODES
from ...errors import DataError
from .settings import TASKS

__all__ = ["Entry", "file_sha256", "read_manifest"]

REQUIRED = ("file", "target")
# Dataset names become file names of the run folder (trials/NAME__METHOD__SEED.json).
NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Entry:
    """One dataset of a manifest, with the command's defaults filled in."""

    name: str
    file: str  # as written in the manifest: relative to its folder (or absolute)
    path: Path  # where the file is
    target: str
    task: str
    categorical: str
    dropna: bool
    role: str | None = None
    source: str = ""  # the manifest's "source" text, for the report

    def record(self, sha256: str) -> dict[str, Any]:
        """What a run folder's ``config.json`` keeps of this dataset (under its name): a rerun
        with another file content or other reading settings is a different run."""
        return {"file": self.file, "sha256": sha256, "target": self.target, "task": self.task,
                "categorical": self.categorical, "dropna": self.dropna}


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_json(path: Path) -> Any:
    if not path.exists():
        raise DataError(f"manifest not found: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give the manifest's JSON file")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file; a manifest is a JSON list") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path} is not valid JSON: {err.msg} at line {err.lineno}, column "
                        f"{err.colno}") from None


def _text(where: str, item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: \"{key}\" must be a non-empty text, got {value!r}")
    return value.strip()


def _entry(path: Path, number: int, item: Any, *, task: str, categorical: str,
           dropna: bool) -> Entry:
    where = f"{path}: entry {number}"
    if not isinstance(item, dict):
        raise DataError(f"{where} is {type(item).__name__} {item!r}, not an object such as "
                        '{"file": "data.csv", "target": "y"}')
    for key in REQUIRED:
        if _text(where, item, key) is None:
            raise DataError(f'{where} has no "{key}"; every entry needs "file" and "target"')
    file = _text(where, item, "file")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(file).stem) or "data"
    name = _text(where, item, "name") or stem
    where = f"{path}: entry {number} ({name})"
    if not NAME.fullmatch(name):
        raise DataError(f"{where}: the name {name!r} may hold only letters, digits and _ . -")
    entry_task = _text(where, item, "task") or task
    if entry_task not in TASKS:
        raise DataError(f"{where}: unknown task {entry_task!r}; use {', '.join(TASKS)}")
    mode = _text(where, item, "categorical") or categorical
    if mode not in CATEGORICAL_MODES:
        raise DataError(f"{where}: unknown categorical {mode!r}; use "
                        f"{' or '.join(CATEGORICAL_MODES)}")
    drop = item.get("dropna", dropna)
    if not isinstance(drop, bool):
        raise DataError(f'{where}: "dropna" must be true or false, got {drop!r}')
    role = _text(where, item, "role")
    source = item.get("source")
    return Entry(name=name, file=file, path=path.parent / file, target=_text(where, item, "target"),
                 task=entry_task, categorical=mode, dropna=drop, role=role,
                 source=source if isinstance(source, str) else "")


def read_manifest(path: str | Path, *, roles: list[str] | tuple[str, ...] = (),
                  task: str = "auto", categorical: str = "error",
                  dropna: bool = False) -> list[Entry]:
    """The manifest's entries, in its order; with ``roles``, only the entries of those roles.

    ``task``, ``categorical`` and ``dropna`` apply to entries that do not set their own. Raises
    :class:`~sparcs.errors.DataError` for a missing or malformed manifest, a bad entry, two
    entries of one name, or a role that no entry has. The data files are not read here."""
    path = Path(path)
    items = _load_json(path)
    if not isinstance(items, list):
        raise DataError(f"{path} holds a JSON {type(items).__name__}, not a list of datasets "
                        'such as [{"file": "data.csv", "target": "y"}]')
    if not items:
        raise DataError(f"{path} is an empty list; give at least one dataset")
    entries = [_entry(path, n, item, task=task, categorical=categorical, dropna=dropna)
               for n, item in enumerate(items, start=1)]
    seen: dict[str, int] = {}
    for n, e in enumerate(entries, start=1):
        if e.name in seen:
            raise DataError(f"{path}: entries {seen[e.name]} and {n} share the name {e.name!r}; "
                            'give each a distinct "name"')
        seen[e.name] = n
    if not roles:
        return entries
    present = list(dict.fromkeys(e.role for e in entries if e.role is not None))
    unknown = [r for r in roles if r not in present]
    if unknown:
        raise DataError(f"{path}: no entry has the role {', '.join(map(repr, unknown))}; the "
                        f"roles there are: {', '.join(present) or '(none)'}")
    return [e for e in entries if e.role in roles]
