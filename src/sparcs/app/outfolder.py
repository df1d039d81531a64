"""Where sparcs may write, and what ``--overwrite`` may replace.

Every folder sparcs creates holds a marker file, ``.sparcs-run`` (a small JSON: tool, version,
command, creation time). ``--overwrite`` replaces only a folder with that marker; a folder sparcs
did not make is never emptied or replaced, whatever the flags. Some paths are refused outright:
the root and home folders, the current folder and its parents, and any folder that holds an
input of the run (the data file of ``sparcs search``).

A replacement is atomic: the new result is built in a marked sibling folder ``.NAME.partial-*``
and only swapped in when complete (old → ``.NAME.old-*``, new → NAME, old deleted), so a run
that fails or is interrupted leaves the earlier result as it was.

>>> import tempfile, pathlib
>>> out = OutputFolder(pathlib.Path(tempfile.mkdtemp()) / "run", command="example")
>>> with out.staged() as tmp:
...     _ = (tmp / "result.txt").write_text("done")
>>> sorted(p.name for p in out.path.iterdir())
['.sparcs-run', 'result.txt']
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputExistsError
from ..io import read_json, write_json

__all__ = ["MARKER", "OutputFolder", "check_output_file", "is_marked", "mark"]

MARKER = ".sparcs-run"


def mark(folder: Path, command: str) -> None:
    """Record in ``folder`` that sparcs created it, and with which command."""
    from .. import __version__

    write_json(folder / MARKER, {
        "tool": "sparcs", "version": __version__, "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    })


def is_marked(folder: Path) -> bool:
    """True when ``folder`` holds a readable sparcs marker (so sparcs created it)."""
    try:
        return read_json(folder / MARKER).get("tool") == "sparcs"
    except (OSError, ValueError, AttributeError):
        return False


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _protected(path: Path, inputs: Iterable[Path], flag: str) -> str | None:
    """Why ``path`` must never be written as a result folder, or None."""
    where = path.resolve()
    cwd = Path.cwd().resolve()
    if where == Path(where.anchor):
        return f"{flag} {path} is the root folder"
    if where == Path.home().resolve():
        return f"{flag} {path} is your home folder"
    if where == cwd:
        return f"{flag} {path} is the current folder"
    if _is_within(cwd, where):
        return f"{flag} {path} contains the current folder"
    for item in inputs:
        if _is_within(Path(item).resolve(), where):
            return f"{flag} {path} holds the input {item}"
    return None


def check_output_file(
    path: Path, *, overwrite: bool, inputs: Iterable[Path] = (), keep: Iterable[Path] = (),
    flag: str = "--out", example: str = "preds.csv",
) -> None:
    """Refuse to write the file ``path`` over an input, over a file inside a folder in ``keep``
    (a saved model, say), or over any existing file without ``overwrite``; a folder at ``path``
    is refused with a file name such as ``example`` as the advice."""
    where = path.resolve()
    for item in inputs:
        if where == Path(item).resolve():
            raise OutputExistsError(f"{flag} {path} is the input data file; give another name")
    if path.exists() and not path.is_file():
        raise OutputExistsError(
            f"{flag} {path} is a folder; give a file name such as {example}"
        )
    if not path.exists():
        return
    for folder in keep:
        if _is_within(where, Path(folder).resolve()):
            raise OutputExistsError(
                f"{flag} {path} is a file of {folder}, which sparcs never overwrites; give "
                "another name"
            )
    if not overwrite:
        raise OutputExistsError(
            f"{flag} {path} already exists; pass --overwrite to replace it or give another name"
        )


class OutputFolder:
    """A result folder a command is about to write: checked when made, written atomically.

    ``state`` is ``"new"`` (absent or empty: write it), ``"sparcs"`` (a marked sparcs folder:
    resume it, or replace it with ``overwrite``) or ``"foreign"`` (non-empty, not made by
    sparcs: only a caller that resumes may accept it, e.g. an older run with the same config).
    Protected paths and files raise :class:`OutputExistsError` at once; so does an existing
    sparcs folder without ``overwrite`` unless ``resume=True``.
    """

    def __init__(
        self, path: str | Path, *, command: str, overwrite: bool = False,
        inputs: Iterable[str | Path] = (), resume: bool = False, flag: str = "--out",
    ):
        self.path = Path(path)
        self.command = command
        self.overwrite = overwrite
        self.inputs = [Path(p) for p in inputs]
        self.resume = resume
        self.flag = flag
        self.existed = self.path.exists()
        self.state = self.check()

    def check(self) -> str:
        """Classify the folder as it is now (see the class docstring), or raise."""
        path, flag = self.path, self.flag
        why = _protected(path, self.inputs, flag)
        if why:
            raise OutputExistsError(
                f"{why}; sparcs writes its results into a folder of their own and never "
                f"replaces this one: give a new folder name such as {flag} results"
            )
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise OutputExistsError(
                f"{flag} {path} exists and is not a folder; choose another {flag}"
            )
        if not path.exists() or not any(path.iterdir()):
            return "new"
        if is_marked(path):
            if not (self.overwrite or self.resume):
                raise OutputExistsError(
                    f"{path} already holds a sparcs result; pass --overwrite to replace it or "
                    f"choose another {flag}"
                )
            return "sparcs"
        if self.resume and not self.overwrite:
            return "foreign"
        raise OutputExistsError(
            f"{path} is not empty and was not made by sparcs (it has no {MARKER} file), so "
            f"sparcs will not write into it{' or replace it' if self.overwrite else ''}: "
            f"choose another {flag}"
        )

    def create(self) -> Path:
        """Make the folder in place (it is new or empty) and mark it."""
        self.path.mkdir(parents=True, exist_ok=True)
        mark(self.path, self.command)
        return self.path

    def start_staging(self) -> Path:
        """A new marked, empty sibling folder in which to build the result."""
        parent = self.path.absolute().parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.partial-", dir=parent))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp's private 0700 is wrong for a result folder
        mark(tmp, self.command)
        return tmp

    def commit(self, tmp: Path) -> None:
        """Swap the finished ``tmp`` in for the folder; the old one is deleted only after."""
        state = self.check()  # the folder may have appeared or changed while the run worked
        if state == "foreign":
            raise OutputExistsError(f"{self.path} changed while the run worked; not replaced")
        old = None
        if self.path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.old-",
                                        dir=self.path.absolute().parent))
            old.rmdir()
            self.path.rename(old)
        try:
            tmp.rename(self.path)
        except BaseException:
            if old is not None:
                old.rename(self.path)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    @contextmanager
    def staged(self) -> Iterator[Path]:
        """Build the result in a staging folder; it replaces the folder only if the block
        finishes, and is removed otherwise."""
        tmp = self.start_staging()
        try:
            yield tmp
            self.commit(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def describe_untouched(self) -> str:
        """What a staged run that failed or was interrupted left at this path, in words."""
        if self.state != "new":
            return f"nothing was written; the earlier result in {self.path} is unchanged"
        if self.existed:
            return f"nothing was written; {self.path} is still empty"
        return f"nothing was written ({self.path} was not created)"
