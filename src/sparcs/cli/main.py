"""Entry point of the ``sparcs`` command: ``sparcs COMMAND [options]``.

Each command lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Errors raised on purpose (:class:`sparcs.errors.SparcsError`), usage errors, unreadable files and
running out of memory become one line on stderr and exit code 2; Ctrl-C says what was kept (exit
130). There is never a traceback: an unexpected error is one line that calls itself a bug (exit 1;
``SPARCS_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import Interrupted, SparcsError

COMMANDS = {
    "demo": "Train a small search on a synthetic target and show which layers were recruited.",
    "reproduce": "Reproduce one of the paper's experiments (transition, teacher, scaling).",
    "search": "Search an architecture for your own data (CSV or .npz).",
    "compare": "Compare SPARCS with other architecture searches on the same data and budget.",
    "predict": "Predict with a saved search on new data.",
    "export": "Export a saved search as an ONNX file (scalers included) for other runtimes.",
    "show": "Print the architecture and metrics of a saved search.",
}


class _Parser(argparse.ArgumentParser):
    """A usage error is one line (what was wrong, where to read more), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sparcs",
        description="Spectral architecture search (SPARCS).",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"sparcs {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"sparcs.cli.{name}")
        cmd = module.add_parser(sub, name, help_text)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args._command = "sparcs " + shlex.join(argv)
    try:
        return int(args._run(args) or 0)
    except SparcsError as err:
        print(f"sparcs {args.command}: error: {err}", file=sys.stderr)
        return 2
    except FileNotFoundError as err:
        print(f"sparcs {args.command}: error: file not found: {err.filename}", file=sys.stderr)
        return 2
    except OSError as err:  # permissions, full disk, ...: the file and the reason, one line
        where = f"{err.filename}: " if err.filename else ""
        print(f"sparcs {args.command}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except (MemoryError, RuntimeError) as err:
        if not isinstance(err, MemoryError) and "memory" not in str(err).lower():
            return _bug(args.command, err)
        print(f"sparcs {args.command}: error: out of memory; lower --max-hidden or --batch-size, "
              "or use a machine with more memory", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: still one line, but say so, and how to see the details
        return _bug(args.command, err)
    except KeyboardInterrupt as err:
        # Commands that write raise Interrupted with what they kept; the others write nothing.
        kept = str(err) if isinstance(err, Interrupted) else "nothing was written"
        print(f"sparcs {args.command}: interrupted; {kept}", file=sys.stderr)
        return 130


def _bug(command: str, err: Exception) -> int:
    if os.environ.get("SPARCS_DEBUG"):
        raise err
    first = (str(err).strip().splitlines() or [""])[0]
    print(f"sparcs {command}: internal error ({type(err).__name__}: {first}); this is a bug in "
          "sparcs, please report it (SPARCS_DEBUG=1 shows the traceback)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
