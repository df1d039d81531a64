"""Where independent tasks run: in this process, in order (``local``), or as Ray tasks (``ray``).

One scheduler for every experiment that splits its work into independent tasks (the compare
trials, the transition experiment's chunks of models). A task is a key and the arguments of a
module-level function. :func:`run_tasks` yields one :class:`TaskOutcome` per task as it
finishes, holding either the value or the error, so that one failing task never loses the
others; the caller saves each value as it arrives, and a rerun passes the keys it already has
as ``skip``, so an interrupted run resumes with the missing tasks only.

The local backend runs the tasks in order in this process and can hand each one extra keyword
arguments (``in_process``): a checkpoint hook and the state to resume from, so that a task
interrupted halfway (Ctrl-C) resumes mid-task. Ray is an optional extra (``pip install
'sparcs-nas[ray]'``); each Ray task declares its CPUs and GPUs, and a task whose worker dies is
retried ``max_retries`` times. An exception raised by the task itself is not retried: running
the same seeded computation again would raise again.

>>> outcomes = list(run_tasks(pow, [("a", (2, 3)), ("b", (2, "x")), ("c", (3, 2))], Backend(),
...                           skip={"c"}))
>>> [o.key for o in outcomes], outcomes[0].value, outcomes[1].error.startswith("TypeError")
(['a', 'b'], 8, True)
"""

from __future__ import annotations

from collections.abc import Callable, Container, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..options import option, validate

__all__ = ["BACKENDS", "Backend", "TaskOutcome", "connect", "run_tasks"]

BACKENDS = ("local", "ray")
RAY_HINT = "pip install 'sparcs-nas[ray]'"

Task = tuple[Hashable, tuple]


@dataclass(frozen=True)
class Backend:
    """How to run tasks. ``address`` is a Ray cluster's address (None: start or join a local
    one); ``cpus``/``gpus`` are what each Ray task declares (the local backend ignores them)."""

    name: str = option("local", "where tasks run", kind=str, choices=BACKENDS, label="backend")
    address: str | None = option(None, "the Ray cluster to join", kind=str, none=True)
    cpus: float = option(1.0, "CPUs each Ray task declares", kind=float, low=0, low_open=True,
                         label="CPUs per task")
    gpus: float = option(0.0, "GPUs each Ray task declares", kind=float, low=0,
                         label="GPUs per task")
    max_retries: int = option(2, "retries of a Ray task whose worker died", kind=int, low=0)

    def __post_init__(self) -> None:
        validate(self)
        if self.address is not None and self.name != "ray":
            raise ConfigError("--address names a Ray cluster; it needs --backend ray")

    @property
    def threads(self) -> int:
        """The torch threads a task uses: its CPUs, at least one."""
        return max(1, int(self.cpus))


@dataclass
class TaskOutcome:
    """One finished task: ``value`` on success, else ``error`` (one line: type and message) and,
    where it could be had, ``exception`` itself (the original one, with its traceback, from a
    task that ran in this process)."""

    key: Any
    value: Any = None
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


def _failed(key: Any, err: BaseException) -> TaskOutcome:
    text = str(err).strip().splitlines()
    error = f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")
    return TaskOutcome(key, error=error, exception=err)


def run_tasks(
    fn: Callable[..., Any],
    tasks: Iterable[Task],
    backend: Backend,
    *,
    skip: Container[Hashable] = (),
    in_process: Callable[[Any], dict[str, Any]] | None = None,
) -> Iterator[TaskOutcome]:
    """Run ``fn(*args)`` for every ``(key, args)`` whose key is not in ``skip``; yield the
    outcomes as they finish (local: in order). ``KeyboardInterrupt`` stops the run; outcomes
    yielded before it stay valid.

    ``in_process(key)``, when given, is called just before the local backend runs a task and
    returns extra keyword arguments for it, e.g. ``checkpoint=`` (a hook the task calls with its
    partial state) and ``resume=`` (the state it saved last time). A Ray task runs in another
    process and gets none: it restarts from the beginning, and the caller keeps what it
    returns.
    """
    todo = [(key, args) for key, args in tasks if key not in skip]
    if backend.name == "local":
        yield from _run_local(fn, todo, in_process)
    else:
        yield from _run_ray(fn, todo, backend)


def _run_local(
    fn: Callable[..., Any], tasks: list[Task],
    in_process: Callable[[Any], dict[str, Any]] | None,
) -> Iterator[TaskOutcome]:
    for key, args in tasks:
        kwargs = in_process(key) if in_process is not None else {}
        try:
            value = fn(*args, **kwargs)
        except Exception as err:  # reported per task; the other tasks still run
            yield _failed(key, err)
        else:
            yield TaskOutcome(key, value=value)


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


def _run_ray(fn: Callable[..., Any], tasks: list[Task], backend: Backend) -> Iterator[TaskOutcome]:
    ray = connect(backend)
    remote = ray.remote(fn).options(
        num_cpus=backend.cpus, num_gpus=backend.gpus,
        max_retries=backend.max_retries, retry_exceptions=False,
    )
    pending: dict[Any, Hashable] = {}
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
                    yield _failed(key, cause if cause is not None else err)
                except ray.exceptions.RayError as err:  # the worker died more than max_retries
                    yield _failed(key, err)
                else:
                    yield TaskOutcome(key, value=value)
    finally:
        for ref in pending:  # interrupted: do not leave tasks running on the cluster
            ray.cancel(ref, force=True)
