"""Helpers shared by commands: dataclass fields as flags, device choice."""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any

__all__ = ["add_dataclass_arguments", "dataclass_from_args", "parse_int_list"]


def parse_int_list(text: str) -> list[int]:
    """Parse ``"200,200"`` into ``[200, 200]`` (an empty string gives ``[]``)."""
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 200,200, got {text!r}"
        ) from None


def parse_float_list(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 0,0.5,1, got {text!r}"
        ) from None


def _flag_type(tp: Any) -> tuple[Any, dict]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _flag_type(args[0])
    if origin is list:
        (inner,) = typing.get_args(tp)
        return (parse_int_list if inner is int else parse_float_list), {}
    if tp is bool:
        return None, {"action": argparse.BooleanOptionalAction}
    return tp, {}


def add_dataclass_arguments(
    parser: argparse.ArgumentParser, cls: type, *, skip: tuple[str, ...] = ()
) -> None:
    """Add one ``--flag`` per dataclass field (``a_b`` → ``--a-b``), defaulting to None so that
    only flags given on the command line override a preset."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip or f.name.startswith("_"):
            continue
        flag_type, extra = _flag_type(hints[f.name])
        kwargs: dict[str, Any] = {"default": None, "dest": f.name, **extra}
        if flag_type is not None:
            kwargs["type"] = flag_type
        help_text = f.metadata.get("help", "")
        parser.add_argument(f"--{f.name.replace('_', '-')}", help=help_text or None, **kwargs)


def dataclass_from_args(cls: type, base: Any, args: argparse.Namespace) -> Any:
    """``base`` with every field that was given on the command line replaced."""
    changes = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(cls)
        if getattr(args, f.name, None) is not None
    }
    return dataclasses.replace(base, **changes)
