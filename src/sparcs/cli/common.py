"""Helpers shared by commands: dataclass fields as flags, device choice."""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any

__all__ = ["add_dataclass_arguments", "dataclass_from_args", "parse_int_list"]


def _list_parser(kind: type, what: str, example: str) -> Any:
    def parse(text: str) -> list:
        try:
            return [kind(t) for t in text.split(",") if t.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what} such as {example}, got {text!r}"
            ) from None

    return parse


parse_int_list = _list_parser(int, "integers", "200,200")
parse_int_list.__doc__ = "Parse ``\"200,200\"`` into ``[200, 200]`` (an empty string gives ``[]``)."
parse_float_list = _list_parser(float, "numbers", "0,0.5,1")


def _none_or(parse: Any) -> Any:
    """A parser that reads ``none`` (or ``off``) as None and anything else with ``parse``."""

    def parse_optional(text: str) -> Any:
        return None if text.strip().lower() in ("none", "off") else parse(text)

    parse_optional.__name__ = getattr(parse, "__name__", "value")  # argparse's error names it
    return parse_optional


def _flag_type(tp: Any) -> tuple[Any, dict]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        parse, extra = _flag_type(args[0])
        if type(None) in typing.get_args(tp) and parse is not None:
            return _none_or(parse), extra
        return parse, extra
    if origin in (list, tuple):
        inner = typing.get_args(tp)[0]
        return (parse_int_list if inner is int else parse_float_list), {}
    if tp is bool:
        return None, {"action": argparse.BooleanOptionalAction}
    return tp, {}


def add_dataclass_arguments(
    parser: Any,
    cls: type,
    *,
    skip: tuple[str, ...] = (),
    defaults: Any = None,
) -> None:
    """Add one ``--flag`` per dataclass field (``a_b`` → ``--a-b``) with the help, ``choices``
    and ``metavar`` of the field's metadata. Only flags given on the command line set their
    attribute (see :func:`dataclass_from_args`), so a preset's values stay unless overridden.
    With ``defaults`` (an instance), the help shows its values as the defaults. An optional
    field (``X | None``) reads ``none`` as None."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip or f.name.startswith("_"):
            continue
        flag_type, extra = _flag_type(hints[f.name])
        kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "dest": f.name, **extra}
        if flag_type is not None:
            kwargs["type"] = flag_type
        for key in ("choices", "metavar"):
            if key in f.metadata:
                kwargs[key] = f.metadata[key]
        help_text = f.metadata.get("help", "").replace("%", "%%")
        if defaults is not None and getattr(defaults, f.name) is not None:
            help_text += f" (default: {_shown(getattr(defaults, f.name))})"
        parser.add_argument(f"--{f.name.replace('_', '-')}", help=help_text or None, **kwargs)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def dataclass_from_args(cls: type, base: Any, args: argparse.Namespace) -> Any:
    """``base`` with every field that was given on the command line replaced."""
    given = vars(args)
    changes = {f.name: given[f.name] for f in dataclasses.fields(cls) if f.name in given}
    return dataclasses.replace(base, **changes)
