"""Output folders of experiment runs: config.json, resume, refuse, replace atomically.

A run folder is valid at every moment: files are written atomically, ``config.json`` first, and
partial work is kept as checkpoints so that an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from ..errors import Interrupted, OutputExistsError
from ..io import read_json, save_torch, write_json
from .outfolder import MARKER, OutputFolder

__all__ = ["RunDir"]

CONFIG = "config.json"


def _normalize(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


def _relocate(obj: Any, old: str, new: str) -> Any:
    if isinstance(obj, str):
        return new + obj[len(old):] if obj == old or obj.startswith(old + "/") else obj
    if isinstance(obj, dict):
        return {k: _relocate(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_relocate(v, old, new) for v in obj]
    return obj


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys whose values differ, sorted; in nested settings as ``outer.inner``."""
    changed = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changed += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            changed.append(prefix + key)
    return changed


class RunDir:
    """An experiment's output folder.

    - new or empty folder: a fresh run (the folder is created and marked as made by sparcs);
    - folder with the same ``config.json``: the run resumes (``resumed`` is True);
    - a sparcs folder with a different config: :class:`OutputExistsError`, unless
      ``overwrite=True``: then the new run is built in a staging folder (``path``) that replaces
      ``target`` only when :meth:`finish` is called, so an interrupted or failed replacement
      leaves the earlier result intact;
    - a non-empty folder sparcs did not make, the current folder, its parents, home or ``/``:
      always refused (see :mod:`sparcs.app.outfolder`).

    Example:
        >>> import tempfile
        >>> d = RunDir(tempfile.mkdtemp() + "/run", {"epochs": 3})
        >>> d.resumed
        False
    """

    def __init__(
        self, path: str | Path, config: dict[str, Any], *, overwrite: bool = False,
        command: str = "sparcs",
    ):
        self.target = Path(path)
        self.config = _normalize(config)
        self.resumed = False
        self.staged = False
        self._folder = OutputFolder(self.target, command=command, overwrite=overwrite,
                                    resume=True)
        if self._folder.state == "new":
            self.path = self._folder.create()
        elif overwrite:
            self.path = self._folder.start_staging()
            self.staged = True
        else:
            self.path = self.target
            self._check_resumable()
            self.resumed = True
        if not self.resumed:
            write_json(self.path / CONFIG, self.config)

    def finish(self) -> None:
        """Put a staged replacement in place of the earlier run (nothing to do otherwise)."""
        if self.staged:
            self._folder.commit(self.path)
            self.path, self.staged = self.target, False

    @contextmanager
    def working(self) -> Iterator[RunDir]:
        """The run's work: on success the staged replacement is put in place (:meth:`finish`);
        on an error or Ctrl-C it is discarded (:meth:`abandon`), and Ctrl-C becomes
        :class:`~sparcs.errors.Interrupted` saying what was kept where."""
        try:
            yield self
            self.finish()
        except KeyboardInterrupt:
            raise Interrupted(self.abandon()) from None
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> str:
        """Clean up after a failed or interrupted run; say, in words, what was kept where."""
        if self.staged:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path, self.staged = self.target, False
            return (f"the replacement run was discarded; the earlier result in {self.target} "
                    "is unchanged")
        kept = self.kept()
        if kept:
            shown = ", ".join(kept[:4]) + (f" and {len(kept) - 4} more" if len(kept) > 4 else "")
            return (f"kept in {self.target}: {shown}; run the same command again to resume "
                    "from there")
        if not self.resumed and not self._folder.existed:
            shutil.rmtree(self.path, ignore_errors=True)
            return f"nothing was kept (stopped before the first checkpoint; {self.target} removed)"
        return f"nothing was kept (stopped before the first checkpoint) in {self.target}"

    def kept(self) -> list[str]:
        """Files of finished work in the folder (not its config or marker)."""
        if not self.path.is_dir():
            return []
        return sorted(
            str(p.relative_to(self.path)) for p in self.path.rglob("*")
            if p.is_file() and p.name not in (CONFIG, MARKER) and not p.name.startswith(".")
        )

    def _check_resumable(self) -> None:
        cfg = self.path / CONFIG
        if not cfg.is_file():
            raise OutputExistsError(
                f"{self.path} is not empty and holds no {CONFIG} of a sparcs run, so sparcs "
                "will not write into it; choose another --out"
            )
        try:
            saved = read_json(cfg)
        except (OSError, json.JSONDecodeError):
            saved = None
        if saved != self.config and self._folder.state == "foreign":
            raise OutputExistsError(
                f"{self.path} holds a different run and was not made by this version of sparcs "
                f"(it has no {MARKER} file), so sparcs will not replace it; choose another --out"
            )
        if saved != self.config:
            changed = _differences(saved if isinstance(saved, dict) else {}, self.config)
            raise OutputExistsError(
                f"{self.path} holds a run with a different configuration (differs in: "
                f"{', '.join(changed) or 'unreadable config'}); pass --overwrite to replace it "
                "or choose another --out"
            )

    def file(self, name: str) -> Path:
        """Path of a file inside the run folder."""
        return self.path / name

    def has(self, name: str) -> bool:
        return (self.path / name).is_file()

    def save_checkpoint(self, name: str, state: Any) -> None:
        """Atomically save resumable state under ``checkpoints/NAME.pt``."""
        save_torch(self.path / "checkpoints" / f"{name}.pt", state)

    def load_checkpoint(self, name: str) -> Any | None:
        """The saved state, or None when there is none yet."""
        path = self.path / "checkpoints" / f"{name}.pt"
        if not path.is_file():
            return None
        return torch.load(path, map_location="cpu", weights_only=False)

    def write_json(self, name: str, obj: Any) -> Path:
        return write_json(self.path / name, obj)

    def mark_done(self, summary: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record that the run finished; a later call with the same config only re-reports.

        Paths into a staging folder are recorded (and returned) as paths into ``target``, where
        the files will be once :meth:`finish` has run."""
        summary = _relocate(summary or {}, str(self.path), str(self.target))
        write_json(self.path / "done.json", summary)
        return summary

    @property
    def done(self) -> bool:
        return self.has("done.json")
