"""Output folders of experiment runs: config.json, resume, refuse, overwrite.

A run folder is valid at every moment: files are written atomically, ``config.json`` first, and
partial work is kept as checkpoints so that an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from .errors import OutputExistsError
from .io import read_json, save_torch, write_json

__all__ = ["RunDir"]

CONFIG = "config.json"


def _normalize(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


class RunDir:
    """An experiment's output folder.

    - new or empty folder: a fresh run;
    - folder with the same ``config.json``: the run resumes (``resumed`` is True);
    - folder with a different config, or unrelated files: :class:`OutputExistsError`,
      unless ``overwrite=True``, which empties it first.

    Example:
        >>> import tempfile
        >>> d = RunDir(tempfile.mkdtemp() + "/run", {"epochs": 3})
        >>> d.resumed
        False
    """

    def __init__(self, path: str | Path, config: dict[str, Any], *, overwrite: bool = False):
        self.path = Path(path)
        self.config = _normalize(config)
        self.resumed = False
        if self.path.exists() and not self.path.is_dir():
            raise OutputExistsError(f"{self.path} exists and is not a folder; choose another --out")
        if self.path.is_dir() and any(self.path.iterdir()):
            if overwrite:
                shutil.rmtree(self.path)
            else:
                self._check_resumable()
                self.resumed = True
        self.path.mkdir(parents=True, exist_ok=True)
        if not self.resumed:
            write_json(self.path / CONFIG, self.config)

    def _check_resumable(self) -> None:
        cfg = self.path / CONFIG
        if not cfg.is_file():
            raise OutputExistsError(
                f"{self.path} is not empty and holds no {CONFIG}; choose another --out or pass "
                "--overwrite to replace its contents"
            )
        try:
            saved = read_json(cfg)
        except (OSError, json.JSONDecodeError):
            saved = None
        if saved != self.config:
            changed = sorted(
                k for k in set(self.config) | set(saved or {})
                if (saved or {}).get(k) != self.config.get(k)
            )
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

    def mark_done(self, summary: dict[str, Any] | None = None) -> None:
        """Record that the run finished; a later call with the same config only re-reports."""
        write_json(self.path / "done.json", summary or {})

    @property
    def done(self) -> bool:
        return self.has("done.json")
