"""The task scheduler on the local backend: order, per-task errors, skipped keys, the checkpoint
hook. (On Ray: tests/experiments/compare/test_ray.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from sparcs.errors import ConfigError
from sparcs.experiments.backends import Backend, run_tasks

LOCAL = Backend()


def _square_or_fail(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative input {x}\nsecond line")
    return x * x


def _recording(calls: list[int]) -> Any:
    """A task that notes its input in ``calls`` and returns ten times it."""

    def fn(x: int) -> int:
        calls.append(x)
        return x * 10

    return fn


def test_local_tasks_run_in_order_and_yield_their_values() -> None:
    calls: list[int] = []
    outcomes = list(run_tasks(_recording(calls), [("c", (3,)), ("a", (1,)), ("b", (2,))], LOCAL))
    assert [o.key for o in outcomes] == ["c", "a", "b"] and calls == [3, 1, 2]
    assert [o.value for o in outcomes] == [30, 10, 20] and all(o.ok for o in outcomes)


def test_an_error_in_one_task_does_not_lose_the_others() -> None:
    outcomes = list(run_tasks(_square_or_fail, [(0, (2,)), (1, (-1,)), (2, (3,))], LOCAL))
    assert [(o.key, o.ok, o.value) for o in outcomes] == [(0, True, 4), (1, False, None),
                                                          (2, True, 9)]
    failed = outcomes[1]
    assert failed.error == "ValueError: negative input -1"  # one line
    assert isinstance(failed.exception, ValueError) and failed.exception.__traceback__ is not None


def test_a_keyboard_interrupt_stops_the_run_after_the_finished_tasks() -> None:
    def fn(x: int) -> int:
        if x == 2:
            raise KeyboardInterrupt
        return x

    seen = []
    with pytest.raises(KeyboardInterrupt):
        for outcome in run_tasks(fn, [(k, (k,)) for k in range(4)], LOCAL):
            seen.append(outcome.key)
    assert seen == [0, 1]


def test_finished_keys_are_skipped() -> None:
    calls: list[int] = []
    tasks = [(k, (k,)) for k in range(5)]
    outcomes = list(run_tasks(_recording(calls), tasks, LOCAL, skip={1, 3}))
    assert [o.key for o in outcomes] == calls == [0, 2, 4]
    assert list(run_tasks(_recording(calls), tasks, LOCAL, skip=range(5))) == []
    assert calls == [0, 2, 4]


class Store:
    """A stand-in for a run folder's checkpoints."""

    def __init__(self) -> None:
        self.saved: dict[Any, dict[str, int]] = {}
        self.hooked: list[Any] = []

    def hook(self, key: Any) -> dict[str, Any]:
        self.hooked.append(key)
        return {"resume": self.saved.get(key),
                "checkpoint": lambda state: self.saved.__setitem__(key, state)}


def _count(steps: int, *, stop_at: int | None = None, resume: dict[str, int] | None = None,
           checkpoint: Any = None) -> dict[str, int]:
    """``steps`` steps that sum their numbers, checkpointing after each; a KeyboardInterrupt
    before step ``stop_at``."""
    state = dict(resume) if resume is not None else {"step": 0, "total": 0, "resumed": 0}
    state["resumed"] += resume is not None
    while state["step"] < steps:
        if state["step"] == stop_at:
            raise KeyboardInterrupt
        state["step"] += 1
        state["total"] += state["step"]
        checkpoint(dict(state))
    return state


def test_the_checkpoint_hook_resumes_an_interrupted_task_mid_way() -> None:
    store = Store()
    tasks = [("a", (3,)), ("b", (4,)), ("c", (2,))]
    results = {}

    def interrupted(steps: int, **kwargs: Any) -> dict[str, int]:
        return _count(steps, stop_at=2 if steps == 4 else None, **kwargs)

    with pytest.raises(KeyboardInterrupt):
        for outcome in run_tasks(interrupted, tasks, LOCAL, in_process=store.hook):
            results[outcome.key] = outcome.value
    assert list(results) == ["a"] and store.saved["b"]["step"] == 2  # b stopped after step 2
    assert store.hooked == ["a", "b"]  # called just before each task runs

    for outcome in run_tasks(_count, tasks, LOCAL, skip=results, in_process=store.hook):
        results[outcome.key] = outcome.value
    assert store.hooked == ["a", "b", "b", "c"]
    assert results["b"] == {"step": 4, "total": 10, "resumed": 1}  # went on from step 2
    assert results["c"] == {"step": 2, "total": 3, "resumed": 0}


def test_backend_settings_are_checked_and_give_the_threads() -> None:
    assert Backend("ray", cpus=2.5).threads == 2 and Backend(cpus=0.5).threads == 1
    with pytest.raises(ConfigError, match="backend must be one of local, ray, got 'dask'"):
        Backend("dask")
    with pytest.raises(ConfigError, match="needs --backend ray"):
        Backend(address="10.0.0.1:6379")
