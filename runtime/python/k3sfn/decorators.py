"""The decorators k3s reads from the source: `@serverless` and one trigger per function.

k3s never imports user code: it parses these decorators (src/sources/python/decorators.rs)
and turns their arguments into Kubernetes objects. At run time they only check their
arguments the way k3s's discovery does (so a local run fails like `k3s validate` would) and
record them on the function as `fn.__k3sfn__`; the function itself is returned unchanged.

The argument names, their order and defaults are listed once in decorators.json, which the
Rust side and tests/test_decorators.py both check these signatures against. A default here is
the built-in one: k3s treats an argument that is not written as "take the project's setting
from apps.yaml, else this default".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

# name -> ordered list of {"name", "type", "default"/"required", "choices"?, "min"?, "meaning"}
SPEC: Dict[str, List[Dict[str, Any]]] = json.loads(
    (Path(__file__).with_name("decorators.json")).read_text(encoding="utf-8")
)

TRIGGERS = ("http_trigger", "queue_trigger", "schedule_trigger")
TRIGGER_KIND = {"http_trigger": "http", "queue_trigger": "queue", "schedule_trigger": "schedule"}

_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
# `UTC` or Area/Location[/More], as decorators.rs accepts (no time zone database needed).
_TZ_SEGMENT = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*$")


def _fail(decorator: str, name: str, message: str) -> None:
    raise ValueError(f"@{decorator}: argument `{name}` {message}")


def _check(decorator: str, values: Dict[str, Any]) -> None:
    """Checks every argument against its entry in decorators.json (type, choices, minimum)."""
    for arg in SPEC[decorator]:
        name = arg["name"]
        value = values[name]
        if value is None:
            if arg.get("required"):
                _fail(decorator, name, "is required")
            continue
        kind = arg["type"]
        if kind == "string":
            if not isinstance(value, str) or not value.strip():
                _fail(decorator, name, f"must be a non-empty string, found {value!r}")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                _fail(decorator, name, f"must be an integer, found {value!r}")
            if value < arg.get("min", 0):
                _fail(decorator, name, f"must be at least {arg.get('min', 0)}, found {value}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                _fail(decorator, name, f"must be True or False, found {value!r}")
        elif kind == "choice":
            if value not in arg["choices"]:
                choices = ", ".join(repr(c) for c in arg["choices"])
                _fail(decorator, name, f"must be one of {choices}, found {value!r}")
        elif kind == "list":
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                _fail(decorator, name, f"must be a list of strings, found {value!r}")
            for item in value:
                if not isinstance(item, str) or not item.strip():
                    _fail(decorator, name, f"must hold non-empty strings, found {item!r}")
        elif kind == "dict":
            if not isinstance(value, dict):
                _fail(decorator, name, f"must be a dict, found {value!r}")
            for key, item in value.items():
                if not isinstance(key, str) or not key:
                    _fail(decorator, name, f"must have string keys, found {key!r}")
                if isinstance(item, (list, dict, tuple)) or item is None:
                    _fail(decorator, name, f"must map to a string, integer or boolean, found {item!r}")


def _bare(decorator: str, fn: Optional[Callable], values: Dict[str, Any]):
    """`@decorator` without parentheses receives the function; `@decorator(...)` returns this."""
    if fn is None:
        return lambda f: _record(f, decorator, values)
    if not callable(fn):
        raise TypeError(f"@{decorator} takes keyword arguments only (name=value), found positional {fn!r}")
    return _record(fn, decorator, values)


def _record(fn: Callable, decorator: str, values: Dict[str, Any]) -> Callable:
    if not callable(fn):
        raise TypeError(f"@{decorator} decorates a function, found {fn!r}")
    meta = getattr(fn, "__k3sfn__", None)
    if meta is None:
        meta = {}
        try:
            fn.__k3sfn__ = meta  # type: ignore[attr-defined]
        except AttributeError:
            raise TypeError(f"@{decorator} cannot record its arguments on {fn!r}") from None
    name = getattr(fn, "__name__", repr(fn))
    if decorator in meta:
        raise ValueError(f"`{name}` has @{decorator} twice")
    if decorator in TRIGGERS:
        first = next((t for t in TRIGGERS if t in meta), None)
        if first is not None:
            raise ValueError(
                f"`{name}` has a second trigger, @{decorator}, after @{first}; "
                "a function has exactly one trigger"
            )
        meta["trigger"] = TRIGGER_KIND[decorator]
    meta[decorator] = dict(values)
    return fn


def serverless(
    _fn: Optional[Callable] = None,
    /,
    *,
    memory: str = "256Mi",
    cpu: str = "100m",
    memory_limit: Optional[str] = None,
    cpu_limit: Optional[str] = None,
    ephemeral_storage: Optional[str] = None,
    min_instances: int = 0,
    max_instances: int = 10,
    cooldown_period: Optional[int] = None,
    target_pending_requests: Optional[int] = None,
    timeout: int = 30,
    environment: Optional[Dict[str, Any]] = None,
    secrets: Optional[List[str]] = None,
    labels: Optional[Dict[str, str]] = None,
    visibility: str = "private",
    allow_from_namespaces: Optional[List[str]] = None,
    allow_from_pods: Optional[Dict[str, str]] = None,
    service_account: Optional[str] = None,
    name: Optional[str] = None,
):
    """How the function runs: resources, scaling, timeout, environment, who may call it.

    Usable bare (`@serverless`) or called (`@serverless(memory="512Mi")`).
    """
    values = dict(locals())
    del values["_fn"]
    _check("serverless", values)
    if min_instances > max_instances:
        _fail("serverless", "min_instances", f"({min_instances}) is greater than max_instances ({max_instances})")
    for variable in environment or {}:
        if not _ENV_NAME.match(variable):
            _fail("serverless", "environment", f"has {variable!r}, not a valid environment variable name")
    for labels_arg in ("labels", "allow_from_pods"):
        for key, item in (values[labels_arg] or {}).items():
            if not isinstance(item, str):
                _fail("serverless", labels_arg, f"must map label names to strings, found {key}={item!r}")
    return _bare("serverless", _fn, values)


def http_trigger(
    _fn: Optional[Callable] = None,
    /,
    *,
    path: str = "/",
    methods: Optional[List[str]] = None,
    auth: Optional[str] = None,
    cors: bool = True,
    rate_limit: Optional[int] = None,
    strip_prefix: Optional[bool] = None,
    hosts: Optional[List[str]] = None,
):
    """Serves the function over HTTP at `path` (a Starlette path template)."""
    values = dict(locals())
    del values["_fn"]
    choices = next(a["choices"] for a in SPEC["http_trigger"] if a["name"] == "methods")
    if methods is not None:
        if isinstance(methods, str) or not isinstance(methods, (list, tuple)):
            _fail("http_trigger", "methods", f"must be a list of HTTP methods, found {methods!r}")
        upper = []
        for method in methods:
            if not isinstance(method, str) or method.upper() not in choices:
                _fail("http_trigger", "methods", f"has {method!r}; expected one of {', '.join(choices)}")
            if method.upper() in upper:
                _fail("http_trigger", "methods", f"lists {method.upper()} twice")
            upper.append(method.upper())
        values["methods"] = upper
    _check("http_trigger", {**values, "methods": None})
    if not path.startswith("/") or any(c.isspace() for c in path):
        _fail("http_trigger", "path", f"must start with `/` and contain no spaces, found {path!r}")
    return _bare("http_trigger", _fn, values)


def queue_trigger(
    queue_name: str,
    *,
    batch_size: int = 1,
    visibility_timeout: int = 30,
    queue_type: str = "list",
    consumer_group: Optional[str] = None,
    queue_length: Optional[int] = None,
    mode: str = "worker",
    max_attempts: int = 3,
):
    """Consumes a Redis/Valkey list or stream, `batch_size` messages per call."""
    values = dict(locals())
    _check("queue_trigger", values)
    if consumer_group is not None and queue_type != "stream":
        _fail("queue_trigger", "consumer_group", 'applies only to queue_type="stream"; lists have none')
    return lambda fn: _record(fn, "queue_trigger", values)


def schedule_trigger(
    cron: str,
    *,
    timezone: str = "UTC",
    concurrency_policy: str = "Forbid",
    starting_deadline_seconds: Optional[int] = None,
    suspend: Optional[bool] = None,
):
    """Runs the function on a cron schedule, once per tick."""
    values = dict(locals())
    _check("schedule_trigger", values)
    if len(cron.split()) != 5 and not cron.strip().startswith("@"):
        _fail("schedule_trigger", "cron", f"must have five fields (minute hour day month weekday), found {cron!r}")
    segments = timezone.split("/")
    if timezone != "UTC" and (len(segments) < 2 or not all(_TZ_SEGMENT.match(s) for s in segments)):
        _fail("schedule_trigger", "timezone", f"must be UTC or an Area/Location name, found {timezone!r}")
    return lambda fn: _record(fn, "schedule_trigger", values)
