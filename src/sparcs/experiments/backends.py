"""Where independent tasks run: in this process, in order (``local``), or as Ray tasks (``ray``).

A task is a module-level function and its arguments. :func:`run_tasks` yields one
:class:`TaskOutcome` per task as it finishes, holding either the value or the error, so that
one failing task never loses the others. Ray is an optional extra (``pip install
'sparcs-nas[ray]'``); each Ray task declares its CPUs and GPUs, and a task whose worker dies is
retried ``max_retries`` times. An exception raised by the task itself is not retried: running
the same seeded computation again would raise again.

>>> outcomes = list(run_tasks(pow, [("a", (2, 3)), ("b", (2, "x"))], Backend()))
>>> outcomes[0].value, outcomes[1].error.startswith("TypeError")
(8, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

__all__ = ["BACKENDS", "Backend", "TaskOutcome", "connect", "run_tasks"]

BACKENDS = ("local", "ray")
RAY_HINT = "pip install 'sparcs-nas[ray]'"


@dataclass(frozen=True)
class Backend:
    """How to run tasks. ``address`` is a Ray cluster's address (None: start or join a local
    one); ``cpus``/``gpus`` are what each Ray task declares (the local backend ignores them)."""

    name: str = "local"
    address: str | None = None
    cpus: float = 1.0
    gpus: float = 0.0
    max_retries: int = 2

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise ConfigError(f"unknown backend {self.name!r}; use {' or '.join(BACKENDS)}")
        if not (self.cpus > 0 and math.isfinite(self.cpus)):
            raise ConfigError(f"CPUs per task must be > 0, got {self.cpus}")
        if not (self.gpus >= 0 and math.isfinite(self.gpus)):
            raise ConfigError(f"GPUs per task must be >= 0, got {self.gpus}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.address is not None and self.name != "ray":
            raise ConfigError("--address names a Ray cluster; it needs --backend ray")


@dataclass
class TaskOutcome:
    """One finished task: ``value`` on success, else ``error`` (one line: type and message)."""

    key: Any
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_tasks(
    fn: Callable[..., Any], tasks: Sequence[tuple[Any, tuple]], backend: Backend
) -> Iterator[TaskOutcome]:
    """Run ``fn(*args)`` for every ``(key, args)``; yield outcomes as they finish (local: in
    order). ``KeyboardInterrupt`` stops the run; outcomes yielded before it stay valid."""
    if backend.name == "local":
        for key, args in tasks:
            try:
                value = fn(*args)
            except Exception as err:  # reported per task; the other tasks still run
                yield TaskOutcome(key, error=_describe(err))
            else:
                yield TaskOutcome(key, value=value)
        return
    yield from _run_ray(fn, tasks, backend)


def ray_module() -> Any:
    """``ray``, or a clear error naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--backend ray needs Ray, which is not installed: {RAY_HINT}") from None
    return ray


def connect(backend: Backend) -> Any:
    """``ray``, initialized: joined to ``backend.address`` or a local cluster (kept if this
    process already started one)."""
    ray = ray_module()
    if not ray.is_initialized():
        try:
            ray.init(address=backend.address, log_to_driver=False, include_dashboard=False)
        except ConnectionError as err:
            raise ConfigError(f"cannot reach the Ray cluster at {backend.address}: {err}") from None
    return ray


def _run_ray(
    fn: Callable[..., Any], tasks: Sequence[tuple[Any, tuple]], backend: Backend
) -> Iterator[TaskOutcome]:
    ray = connect(backend)
    remote = ray.remote(fn).options(
        num_cpus=backend.cpus, num_gpus=backend.gpus,
        max_retries=backend.max_retries, retry_exceptions=False,
    )
    pending = {}
    stored: dict[int, Any] = {}
    for key, args in tasks:
        # Objects shared by several tasks (a dataset, the settings) go to the object store once;
        # Ray hands a task the stored object in place of its reference.
        refs = []
        for arg in args:
            if isinstance(arg, int | float | str | bool | None):
                refs.append(arg)
            else:
                if id(arg) not in stored:
                    stored[id(arg)] = ray.put(arg)
                refs.append(stored[id(arg)])
        pending[remote.remote(*refs)] = key
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                key = pending.pop(ref)
                try:
                    value = ray.get(ref)
                except ray.exceptions.RayTaskError as err:
                    cause = getattr(err, "cause", None)
                    yield TaskOutcome(key, error=_describe(cause if cause is not None else err))
                except ray.exceptions.RayError as err:  # the worker died more than max_retries
                    yield TaskOutcome(key, error=_describe(err))
                else:
                    yield TaskOutcome(key, value=value)
    finally:
        for ref in pending:  # interrupted: do not leave tasks running on the cluster
            ray.cancel(ref, force=True)
