"""Helpers shared by commands: dataclass fields as flags, device choice."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..options import rules

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
parse_text_list = _list_parser(str.strip, "names", "a,b")


def _none_or(parse: Any) -> Any:
    """A parser that reads ``none`` (or ``off``) as None and anything else with ``parse``."""

    def parse_optional(text: str) -> Any:
        return None if text.strip().lower() in ("none", "off") else parse(text)

    parse_optional.__name__ = getattr(parse, "__name__", "value")  # argparse's error names it
    return parse_optional


def _flag_type(meta: Any) -> tuple[Any, dict]:
    """The argparse ``type`` (None: a switch) and further options of a field's metadata."""
    kind = meta.get("kind")
    if kind is bool:
        return None, {"action": argparse.BooleanOptionalAction}
    if kind in (list, tuple):
        items = meta.get("items")
        parse = (parse_int_list if items is int else parse_float_list if items is float
                 else parse_text_list)
    else:
        parse = kind or str
    return (_none_or(parse) if meta.get("none") else parse), {}


def _flag_fields(cls: type, skip: tuple[str, ...], narrow: Any = None
                 ) -> list[tuple[dataclasses.Field, dict, tuple]]:
    """(field, its metadata with ``narrow`` applied, the names leading to it) of every field that
    is a flag: a nested dataclass's fields in its place, under its ``narrow`` entries; none
    named in ``skip`` or private."""
    found = []
    for f in dataclasses.fields(cls):
        if f.name in skip or f.name.startswith("_"):
            continue
        meta = rules(f, narrow)
        kind = meta.get("kind")
        if dataclasses.is_dataclass(kind):
            found += [(g, m, (f.name, *path)) for g, m, path in
                      _flag_fields(kind, skip, meta.get("narrow"))]
        else:
            found.append((f, meta, ()))
    return found


def add_dataclass_arguments(
    parser: Any,
    cls: type,
    *,
    skip: tuple[str, ...] = (),
    defaults: Any = None,
) -> None:
    """Add one ``--flag`` per dataclass field (``a_b`` → ``--a-b``) with the help, ``choices``,
    ``metavar`` and type of the field's metadata (see :mod:`sparcs.options`); the fields of a
    nested settings dataclass are flags of their own (under the nesting field's ``narrow``
    entries). Only flags given on the command line set their attribute (see
    :func:`dataclass_from_args`), so a preset's values stay unless overridden. With
    ``defaults`` (an instance), the help shows its values as the defaults. An optional field
    reads ``none`` as None. ``skip`` names fields (nested ones too) that get no flag."""
    for f, meta, path in _flag_fields(cls, skip):
        flag_type, extra = _flag_type(meta)
        kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "dest": f.name, **extra}
        if flag_type is not None:
            kwargs["type"] = flag_type
        for key in ("choices", "metavar"):
            if key in meta:
                kwargs[key] = meta[key]
        help_text = meta.get("help", "").replace("%", "%%")
        default = _value(defaults, (*path, f.name)) if defaults is not None else None
        if default is not None:
            help_text += f" (default: {_shown(default)})"
        parser.add_argument(f"--{f.name.replace('_', '-')}", help=help_text or None, **kwargs)


def _value(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        obj = getattr(obj, name)
    return obj


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def dataclass_from_args(cls: type, base: Any, args: argparse.Namespace, *,
                        skip: tuple[str, ...] = ()) -> Any:
    """``base`` with every field that was given on the command line replaced (a nested
    dataclass's fields in the nested instance); ``skip`` names fields to leave as they are."""
    given = vars(args)
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        kind = f.metadata.get("kind")
        if f.name in skip:
            continue
        if dataclasses.is_dataclass(kind):
            inner = dataclass_from_args(kind, getattr(base, f.name), args, skip=skip)
            if inner is not getattr(base, f.name):
                changes[f.name] = inner
        elif f.name in given:
            changes[f.name] = given[f.name]
    return dataclasses.replace(base, **changes) if changes else base
