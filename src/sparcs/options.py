"""Declarative settings: every field of a settings dataclass states its type, bounds and help in
its metadata (:func:`option`), and one :func:`validate` checks them all.

The metadata is a plain mapping, so the command line reads the same entries (``help``,
``choices``, ``metavar`` and, from ``kind``, the argparse type) and a containing dataclass can
ask more of a nested one (``narrow``). The keys:

``kind``
    ``int`` (an integer; never a bool; numpy integers too), ``float`` (any real number: ints and
    numpy numbers too, never a bool), ``bool`` (True or False, numpy's too), ``str``, ``list`` or
    ``tuple`` (of ``items``; one number counts as a one-element list, and the value is stored as
    that container of plain ``items``), or a dataclass (an instance of it, or a mapping of its
    fields); absent: any value.
``low``, ``high``, ``low_open``, ``high_open``
    Bounds of a number (of every element of a list), inclusive unless open.
``finite``
    Whether a ``float`` must be finite (default True).
``choices``
    The allowed values (of every element of a list).
``none``
    Whether None is allowed (default False).
``items``, ``min_items``, ``max_items``, ``unique``
    A list's element kind, its length limits and whether a value may repeat.
``narrow``
    For a nested dataclass: field name → metadata entries that replace that field's own (a
    tighter bound, other choices, another help text).
``label``
    The name the error messages use instead of the field's (default: the field's name).
``help``, ``metavar``
    For the command line.

Every failure is a :class:`~sparcs.errors.ConfigError` naming the field, the value and what is
allowed:

>>> from dataclasses import dataclass
>>> @dataclass
... class Example:
...     widths: tuple[int, ...] = option((4,), "hidden widths", kind=tuple, items=int, low=1)
...     rate: float = option(0.1, "a share", kind=float, low=0, high=1, high_open=True)
...     def __post_init__(self) -> None:
...         validate(self)
>>> Example(widths=[3, 5])
Example(widths=(3, 5), rate=0.1)
>>> Example(rate=1)
Traceback (most recent call last):
...
sparcs.errors.ConfigError: rate must be a finite number in [0, 1), got 1
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .errors import ConfigError

__all__ = ["MAX_SEED", "check", "describe", "option", "rules", "seed_option", "validate"]

# Seeds are 32-bit, as in numpy: experiments derive further seeds from them without overflow
# (torch's generators overflow past 2**63, numpy's refuse negative seeds).
MAX_SEED = 2**32 - 1

_CONTAINERS = (list, tuple)


def option(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    default_factory: Any = dataclasses.MISSING,
    kind: type | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
    choices: Iterable[Any] | None = None,
    none: bool = False,
    items: type | None = None,
    min_items: int = 0,
    max_items: int | None = None,
    unique: bool = False,
    narrow: Mapping[str, Mapping[str, Any]] | None = None,
    label: str | None = None,
    metavar: str | None = None,
) -> Any:
    """A dataclass field whose metadata states what it accepts (see the module's docstring);
    only the entries given (and ``help``) go into the metadata."""
    given = {
        "help": help, "kind": kind, "low": low, "high": high, "low_open": low_open,
        "high_open": high_open, "finite": finite,
        "choices": None if choices is None else tuple(choices), "none": none, "items": items,
        "min_items": min_items, "max_items": max_items, "unique": unique,
        "narrow": None if narrow is None else {k: dict(v) for k, v in narrow.items()},
        "label": label, "metavar": metavar,
    }
    defaults = {"low_open": False, "high_open": False, "finite": True, "none": False,
                "min_items": 0, "unique": False}
    metadata = {k: v for k, v in given.items()
                if v is not None and (k not in defaults or v != defaults[k])}
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


def seed_option(help: str) -> Any:
    """The field of a seed: an integer from 0 to :data:`MAX_SEED`, 0 by default."""
    return option(0, help, kind=int, low=0, high=MAX_SEED)


def rules(field: dataclasses.Field, narrow: Mapping[str, Mapping[str, Any]] | None = None
          ) -> dict[str, Any]:
    """The field's metadata with the entries ``narrow`` gives for it in their place."""
    return {**field.metadata, **((narrow or {}).get(field.name) or {})}


def validate(instance: Any, *, narrow: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Check every field of the dataclass ``instance`` by its metadata (``narrow``: entries that
    replace some fields' own, see the module's docstring); store lists as their declared
    container of plain numbers. Raises :class:`~sparcs.errors.ConfigError` at the first field
    that fails."""
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        checked = check(field.name, value, rules(field, narrow))
        if checked is not value:
            object.__setattr__(instance, field.name, checked)  # frozen dataclasses too


def check(name: str, value: Any, spec: Mapping[str, Any]) -> Any:
    """``value`` if it is what ``spec`` (a field's metadata) allows, a list as its declared
    container; else :class:`~sparcs.errors.ConfigError` naming ``name``."""
    label = spec.get("label", name)
    kind = spec.get("kind")
    if value is None:
        if spec.get("none") or kind is None:
            return None
        raise ConfigError(f"{label} must be {describe(spec)}, got None")
    if kind in _CONTAINERS:
        return _check_items(label, value, spec)
    if dataclasses.is_dataclass(kind):
        return _check_nested(label, value, kind, spec)
    if not _fits(value, spec):
        raise ConfigError(f"{label} must be {describe(spec)}, got {_shown(value)}")
    return value


def describe(spec: Mapping[str, Any]) -> str:
    """What ``spec`` allows, in words: ``an integer from 1 to 1000``, ``a finite number > 0 or
    None``, ``one of loss, metric``, ``a list of one or more integers >= 1``."""
    listed = spec.get("kind") in _CONTAINERS
    kind = spec.get("items") if listed else spec.get("kind")
    choices = spec.get("choices")
    if choices is not None:
        names = ", ".join(c if isinstance(c, str) else _shown(c) for c in choices)
        text = ("values from " if listed else "one of ") + names
    elif kind is bool:
        text = "True or False" + (" values" if listed else "")
    elif kind is int:
        text = ("integers" if listed else "an integer") + _bounds(spec)
    elif kind is float:
        finite = "finite " if spec.get("finite", True) else ""
        text = (f"{finite}numbers" if listed else f"a {finite}number") + _bounds(spec)
    elif kind is str:
        text = "strings" if listed else "a string"
    elif dataclasses.is_dataclass(kind):
        text = f"{kind.__name__} settings"
    else:
        text = "values" if listed else "a value"
    if listed:
        text = f"a list of {'one or more ' if spec.get('min_items') else ''}{text}"
    return text + (" or None" if spec.get("none") else "")


def _bounds(spec: Mapping[str, Any]) -> str:
    low, high = spec.get("low"), spec.get("high")
    low_open, high_open = spec.get("low_open", False), spec.get("high_open", False)
    if low is not None and high is not None:
        if not (low_open or high_open):
            return f" from {_shown(low)} to {_shown(high)}"
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f" in {left}{_shown(low)}, {_shown(high)}{right}"
    if low is not None:
        return f" {'>' if low_open else '>='} {_shown(low)}"
    if high is not None:
        return f" {'<' if high_open else '<='} {_shown(high)}"
    return ""


def _is_kind(value: Any, kind: type | None) -> bool:
    if kind is None:
        return True
    if isinstance(value, bool | np.bool_):
        return kind is bool
    if kind is int:
        return isinstance(value, int | np.integer)
    if kind is float:
        return isinstance(value, int | float | np.integer | np.floating)
    return isinstance(value, kind)


def _fits(value: Any, spec: Mapping[str, Any]) -> bool:
    """Whether one value (a scalar, or one element of a list) is of the kind, in the choices
    and within the bounds of ``spec``."""
    kind = spec.get("items") if spec.get("kind") in _CONTAINERS else spec.get("kind")
    if not _is_kind(value, kind):
        return False
    choices = spec.get("choices")
    if choices is not None and value not in choices:
        return False
    if kind not in (int, float):
        return True
    if kind is float and spec.get("finite", True) and not math.isfinite(value):
        return False
    low, high = spec.get("low"), spec.get("high")
    if low is not None and not (value > low if spec.get("low_open") else value >= low):
        return False
    return high is None or bool(value < high if spec.get("high_open") else value <= high)


def _check_items(label: str, value: Any, spec: Mapping[str, Any]) -> Any:
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
        elements = (value,)  # one number: a one-element list
    elif isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"{label} must be {describe(spec)}, got {_shown(value)}")
    else:
        elements = tuple(value)
    if len(elements) < spec.get("min_items", 0) or not all(_fits(v, spec) for v in elements):
        raise ConfigError(f"{label} must be {describe(spec)}, got {_shown(value)}")
    most = spec.get("max_items")
    if most is not None and len(elements) > most:
        raise ConfigError(f"{label} holds {len(elements)} values; use at most {most}")
    if spec.get("unique") and len(set(elements)) != len(elements):
        twice = next(v for i, v in enumerate(elements) if v in elements[:i])
        raise ConfigError(f"{label} lists {_shown(twice)} twice, in {_shown(value)}")
    plain = {int: int, float: float}.get(spec.get("items"), lambda v: v)
    return spec["kind"](plain(v) for v in elements)


def _check_nested(label: str, value: Any, kind: type, spec: Mapping[str, Any]) -> Any:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {f.name for f in dataclasses.fields(kind)})
        if unknown:
            raise ConfigError(f"{label} has no settings {', '.join(map(str, unknown))}")
        value = kind(**value)
    elif not isinstance(value, kind):
        raise ConfigError(f"{label} must be {describe(spec)}, got {_shown(value)}")
    validate(value, narrow=spec.get("narrow"))
    return value


def _shown(value: Any) -> str:
    """``value`` for a message: numpy scalars as plain numbers, floats as written."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, list | tuple):
        inner = ", ".join(map(_shown, value))
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value) if isinstance(value, str) else str(value)
