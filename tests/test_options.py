"""The declarative settings of :mod:`sparcs.options`: every kind of rule, and messages that name
the field, the value and what is allowed."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pytest

from sparcs.errors import ConfigError
from sparcs.options import MAX_SEED, check, describe, option, seed_option, validate


@dataclass
class Inner:
    width: int = option(4, "a width", kind=int, low=1)
    name: str = option("auto", "a name", kind=str)

    def __post_init__(self) -> None:
        validate(self)


@dataclass
class Example:
    count: int = option(3, "a count", kind=int, low=1)
    seed: int = seed_option("a seed")
    share: float = option(0.1, "a share", kind=float, low=0, high=1, high_open=True)
    rate: float = option(0.5, "a rate", kind=float, low=0, low_open=True)
    ratio: float = option(1.0, "a ratio", kind=float, low=0, low_open=True, finite=False)
    norm: float = option(2.0, "a norm", kind=float, choices=(1.0, 2.0))
    mode: str = option("a", "a mode", kind=str, choices=("a", "b"))
    switch: bool = option(True, "a switch", kind=bool)
    limit: int | None = option(None, "a limit", kind=int, low=1, none=True)
    widths: tuple[int, ...] = option((2, 2), "widths", kind=tuple, items=int, low=1,
                                     max_items=3)
    values: list[float] = option(default_factory=list, help="values", kind=list, items=float,
                                 low=0)
    names: list[str] = option(default_factory=lambda: ["a"], help="names", kind=list,
                              items=str, choices=("a", "b", "c"), min_items=1, unique=True)
    inner: Inner = option(default_factory=Inner, help="nested", kind=Inner,
                          narrow={"width": {"low": 2}, "name": {"choices": ("auto", "x")}})
    free: object = option(None, "anything")
    backend: str = option("local", "a backend", kind=str, choices=("local", "ray"),
                          label="backend name")

    def __post_init__(self) -> None:
        validate(self)


def refused(message: str, **values: object) -> None:
    with pytest.raises(ConfigError) as info:
        Example(**values)
    assert str(info.value) == message


def test_defaults_pass_and_metadata_keeps_only_what_was_given() -> None:
    Example()
    meta = dict(dataclasses.fields(Example)[0].metadata)
    assert meta == {"help": "a count", "kind": int, "low": 1}


@pytest.mark.parametrize(("values", "message"), [
    ({"count": 0}, "count must be an integer >= 1, got 0"),
    ({"seed": -1}, f"seed must be an integer from 0 to {MAX_SEED}, got -1"),
    ({"seed": MAX_SEED + 1}, f"seed must be an integer from 0 to {MAX_SEED}, got {MAX_SEED + 1}"),
    ({"share": 1.0}, "share must be a finite number in [0, 1), got 1.0"),
    ({"share": -0.5}, "share must be a finite number in [0, 1), got -0.5"),
    ({"rate": 0}, "rate must be a finite number > 0, got 0"),
    ({"ratio": 0.0}, "ratio must be a number > 0, got 0.0"),
])
def test_bounds_inclusive_and_exclusive(values: dict, message: str) -> None:
    refused(message, **values)


def test_bounds_at_the_edges() -> None:
    Example(count=1, seed=0, share=0.0, rate=1e-300)
    Example(seed=MAX_SEED, share=0.999)


def test_finite_unless_said_otherwise() -> None:
    for value in (math.inf, math.nan):
        with pytest.raises(ConfigError, match="rate must be a finite number > 0"):
            Example(rate=value)
    assert Example(ratio=math.inf).ratio == math.inf
    refused("ratio must be a number > 0, got nan", ratio=math.nan)  # nan is within no bound


@pytest.mark.parametrize(("values", "message"), [
    ({"count": True}, "count must be an integer >= 1, got True"),
    ({"count": 2.5}, "count must be an integer >= 1, got 2.5"),
    ({"count": 2.0}, "count must be an integer >= 1, got 2.0"),
    ({"count": "3"}, "count must be an integer >= 1, got '3'"),
    ({"rate": False}, "rate must be a finite number > 0, got False"),
    ({"rate": "1"}, "rate must be a finite number > 0, got '1'"),
    ({"switch": 1}, "switch must be True or False, got 1"),
    ({"switch": "yes"}, "switch must be True or False, got 'yes'"),
    ({"mode": 1}, "mode must be one of a, b, got 1"),
])
def test_types_bool_is_not_a_number(values: dict, message: str) -> None:
    refused(message, **values)


def test_numpy_scalars_and_ints_where_floats_are_allowed() -> None:
    e = Example(count=np.int64(5), seed=np.uint32(7), rate=np.float32(0.25), share=np.int8(0),
                switch=np.bool_(False), norm=np.float64(1.0), limit=np.int16(3))
    assert e.count == 5 and e.rate == 0.25 and e.switch == np.False_
    assert Example(rate=2).rate == 2  # an int where a float is allowed, kept as given
    refused("count must be an integer >= 1, got 0", count=np.int64(0))
    refused("switch must be True or False, got 0", switch=np.int64(0))
    refused("count must be an integer >= 1, got True", count=np.bool_(True))


def test_choices_for_numbers_and_strings() -> None:
    assert Example(norm=1).norm == 1
    refused("norm must be one of 1.0, 2.0, got 3.0", norm=3.0)
    refused("mode must be one of a, b, got 'c'", mode="c")
    refused("backend name must be one of local, ray, got 'dask'", backend="dask")


def test_none_only_where_allowed() -> None:
    assert Example(limit=None).limit is None and Example(free=None).free is None
    refused("limit must be an integer >= 1 or None, got 0", limit=0)
    refused("count must be an integer >= 1, got None", count=None)
    refused("mode must be one of a, b, got None", mode=None)


def test_lists_are_coerced_to_their_container_of_plain_numbers() -> None:
    e = Example(widths=[np.int64(3), 4], values=(1, np.float32(0.5)))
    assert e.widths == (3, 4) and type(e.widths) is tuple
    assert all(type(w) is int for w in e.widths)
    assert e.values == [1.0, 0.5] and all(type(v) is float for v in e.values)
    assert Example(widths=5).widths == (5,)  # one number: a one-element list
    assert Example(widths=np.array([6, 7])).widths == (6, 7)
    assert Example(widths=()).widths == ()


@pytest.mark.parametrize(("values", "message"), [
    ({"widths": (3, 0)}, "widths must be a list of integers >= 1, got (3, 0)"),
    ({"widths": [2.5]}, "widths must be a list of integers >= 1, got [2.5]"),
    ({"widths": [True]}, "widths must be a list of integers >= 1, got [True]"),
    ({"widths": "12"}, "widths must be a list of integers >= 1, got '12'"),
    ({"widths": None}, "widths must be a list of integers >= 1, got None"),
    ({"widths": (1, 2, 3, 4)}, "widths holds 4 values; use at most 3"),
    ({"values": [-1.0]}, "values must be a list of finite numbers >= 0, got [-1.0]"),
    ({"values": [math.nan]}, "values must be a list of finite numbers >= 0, got [nan]"),
    ({"values": ["a"]}, "values must be a list of finite numbers >= 0, got ['a']"),
    ({"names": []}, "names must be a list of one or more values from a, b, c, got []"),
    ({"names": ["a", "d"]}, "names must be a list of one or more values from a, b, c, "
                            "got ['a', 'd']"),
    ({"names": ["b", "a", "b"]}, "names lists 'b' twice, in ['b', 'a', 'b']"),
])
def test_lists_of_a_kind_with_their_own_bounds(values: dict, message: str) -> None:
    refused(message, **values)


def test_nested_settings_with_narrowed_rules() -> None:
    assert Example(inner=Inner(width=2)).inner.width == 2
    refused("width must be an integer >= 2, got 1", inner=Inner(width=1))  # Inner allows 1
    refused("name must be one of auto, x, got 'y'", inner=Inner(name="y"))
    assert Example(inner={"width": 5}).inner == Inner(width=5)  # a mapping of its fields
    refused("inner has no settings colour", inner={"colour": 1})
    refused("inner must be Inner settings, got 3", inner=3)
    with pytest.raises(ConfigError, match="width must be an integer >= 1, got 0"):
        Inner(width=0)  # its own rule, without the narrowing


def test_frozen_dataclasses_are_coerced_too() -> None:
    @dataclass(frozen=True)
    class Frozen:
        widths: tuple[int, ...] = option((1,), "widths", kind=tuple, items=int)

        def __post_init__(self) -> None:
            validate(self)

    assert Frozen(widths=[np.int32(2)]).widths == (2,)


def test_check_and_describe_on_their_own() -> None:
    spec = {"kind": float, "low": 0, "high": 1, "low_open": True, "high_open": True}
    assert check("x", 0.5, spec) == 0.5
    assert describe(spec) == "a finite number in (0, 1)"
    assert describe({"kind": int, "low": 0, "high": 9}) == "an integer from 0 to 9"
    assert describe({"kind": int, "high": 9, "high_open": True}) == "an integer < 9"
    assert describe({"kind": list, "items": str}) == "a list of strings"
    with pytest.raises(ConfigError, match=r"^x must be a finite number in \(0, 1\), got 1$"):
        check("x", 1, spec)
