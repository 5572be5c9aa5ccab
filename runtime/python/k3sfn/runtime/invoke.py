"""Calling the user's function: which parameter gets what, sync or async, and the timeout.

Everything that can be decided from the signature is decided once at startup (`Handler`), so
an invocation only builds its keyword arguments and awaits.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import time
import typing
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Tuple

from starlette.requests import Request

from ..context import Context


class StartupError(Exception):
    """A problem with the image or its environment: logged on one line, exit code 2."""


class InvocationTimeout(Exception):
    """The invocation ran past K3SFN_TIMEOUT."""


# Sync handlers run here, as Starlette runs sync endpoints in a pool of 40 threads. Ours is
# plain `concurrent.futures` so that a timed-out call can be abandoned (its thread finishes in
# the background; Python cannot kill it).
_executor: Optional[ThreadPoolExecutor] = None
abandoned_threads = 0


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=40, thread_name_prefix="k3sfn-handler")
    return _executor


def _annotation_kind(annotation: Any) -> Optional[str]:
    """`request` for Starlette's Request (or a subclass), `context` for Context, by class or name."""
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):  # unresolved (`from __future__ import annotations`)
        last = annotation.rsplit(".", 1)[-1].strip("'\" ")
        return {"Request": "request", "Context": "context"}.get(last)
    if isinstance(annotation, type):
        if issubclass(annotation, Request):
            return "request"
        if issubclass(annotation, Context):
            return "context"
    return None


class Handler:
    """The user's function with its parameters bound to what a trigger provides.

    HTTP gives `request` and `context`; queue gives `messages` (the batch, a list) and
    `context`; schedule gives `context`. A parameter gets `request` when it is annotated with
    `Request` or named `request`/`req`, `context` when annotated with `Context` or named
    `context`/`ctx`; otherwise the first other parameter gets the request (HTTP) or the batch
    (queue). Parameters with defaults that match nothing keep their defaults.
    """

    def __init__(self, fn: Callable, trigger: str) -> None:
        self.fn = fn
        self.name = getattr(fn, "__name__", repr(fn))
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError) as error:
            raise StartupError(f"cannot read the parameters of `{self.name}`: {error}") from None
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # unresolvable forward references: fall back to what is written
            hints = {}
        offered = {"http": ("request", "context"), "queue": ("messages", "context"), "schedule": ("context",)}[trigger]
        positional = {"http": "request", "queue": "messages"}.get(trigger)
        # (parameter name, passed by keyword?, source)
        plan: List[Tuple[str, bool, str]] = []
        taken = set()
        pending = []
        for param in signature.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            kind = _annotation_kind(hints.get(param.name, param.annotation))
            if kind is None and param.name in ("request", "req"):
                kind = "request"
            if kind is None and param.name in ("context", "ctx"):
                kind = "context"
            if kind is None and param.name in ("messages", "batch"):
                kind = "messages"
            if kind is not None and kind not in offered:
                raise StartupError(
                    f"`{self.name}` takes `{param.name}` ({kind}), which a {trigger} function is not "
                    f"given; it may take: {', '.join(offered)}"
                )
            if kind is None:
                pending.append(param)
                continue
            plan.append((param.name, param.kind != param.POSITIONAL_ONLY, kind))
            taken.add(kind)
        for param in pending:
            if positional is not None and positional not in taken:
                plan.append((param.name, param.kind != param.POSITIONAL_ONLY, positional))
                taken.add(positional)
            elif param.default is param.empty:
                raise StartupError(
                    f"`{self.name}` takes `{param.name}`, which the runtime cannot fill: a {trigger} "
                    f"function is given {', '.join(offered)} (by name or annotation)"
                )
        # Keep the signature's order for positional-only parameters.
        order = {name: i for i, name in enumerate(signature.parameters)}
        plan.sort(key=lambda item: order[item[0]])
        self.positional_sources = tuple(source for _, by_name, source in plan if not by_name)
        self.keyword_sources = tuple((name, source) for name, by_name, source in plan if by_name)
        self.is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)
        )

    async def __call__(self, values: Dict[str, Any], timeout: Optional[float]) -> Any:
        """Calls the function with `values` (source -> value); InvocationTimeout past `timeout`."""
        args = [values[source] for source in self.positional_sources]
        kwargs = {name: values[source] for name, source in self.keyword_sources}
        if self.is_async:
            return await _with_timeout(self.fn(*args, **kwargs), timeout)
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, self.fn, *args, **kwargs)
        future = loop.run_in_executor(_pool(), call)
        try:
            result = await _with_timeout(future, timeout)
        except InvocationTimeout:
            global abandoned_threads
            abandoned_threads += 1
            raise
        if inspect.isawaitable(result):  # a sync wrapper around a coroutine
            result = await _with_timeout(result, timeout)
        return result


class _Watchdog:
    """Cuts off invocations past their deadline: one task per event loop wakes every TICK
    seconds and cancels the overdue ones. A timer per invocation (asyncio.timeout) cost about
    20 us per HTTP request, a tenth of a trivial request's time (bench/run); this costs a
    dict insert and delete, for a cut-off up to TICK late."""

    TICK = 0.1

    def __init__(self) -> None:
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.patrol: Optional[asyncio.Task] = None
        self.watched: Dict[asyncio.Task, float] = {}
        self.expired: set = set()

    def watch(self, task: asyncio.Task, timeout: float) -> None:
        loop = task.get_loop()
        if self.loop is not loop or self.patrol is None or self.patrol.done():
            self.loop = loop
            self.watched.clear()
            self.expired.clear()
            self.patrol = loop.create_task(self._patrol())
        self.watched[task] = time.monotonic() + timeout

    async def _patrol(self) -> None:
        while True:
            await asyncio.sleep(self.TICK)
            now = time.monotonic()
            for task, deadline in list(self.watched.items()):
                if deadline <= now and task not in self.expired:
                    self.expired.add(task)
                    task.cancel()

    def settle(self, task: asyncio.Task) -> bool:
        """Stops watching `task`; True when the watchdog had cancelled it."""
        self.watched.pop(task, None)
        if task in self.expired:
            self.expired.discard(task)
            if hasattr(task, "uncancel"):  # Python 3.11+: the task is not being cancelled any more
                task.uncancel()
            return True
        return False


_watchdog = _Watchdog()


async def _with_timeout(awaitable: Any, timeout: Optional[float]) -> Any:
    if not timeout:
        return await awaitable
    task = asyncio.current_task()
    _watchdog.watch(task, timeout)
    try:
        result = await awaitable
    except asyncio.CancelledError:
        if _watchdog.settle(task):
            raise InvocationTimeout(f"ran longer than {timeout:g}s (K3SFN_TIMEOUT)") from None
        raise
    _watchdog.settle(task)  # a function that swallowed the cancellation keeps its result
    return result
