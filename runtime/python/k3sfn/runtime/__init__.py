"""`python -m k3sfn.runtime`: serves ONE function, chosen by environment variables.

The variables are the contract between k3s (src/lower/function.rs sets them on every
function's container) and this runtime; README.md has the full table. In short:
`K3SFN_MODULE` + `K3SFN_FUNCTION` name the function, `K3SFN_TRIGGER` says how to serve it
(`http`, `queue`, `schedule`), and the trigger's own variables say the rest.

Local use: without `K3SFN_TRIGGER` the runtime reads what it needs (trigger, path, methods,
timeout, queue settings, auth) from the function's decorators; set variables still win. The
function may also be named on the command line: `python -m k3sfn.runtime functions.api:hello`.

Exit codes: 0 done (or stopped by SIGTERM), 1 the function failed (schedule, queue job),
2 startup error (bad environment, module or function not found).
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional

from .. import logs
from .invoke import Handler, StartupError

log = logging.getLogger("k3sfn.runtime")

TRIGGERS = ("http", "queue", "schedule")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Env:
    """Reads K3SFN_* variables, each checked; in local mode falls back to the decorators."""

    def __init__(self, environ: Dict[str, str], meta: Optional[Dict[str, Any]]) -> None:
        self.environ = environ
        # Decorator arguments, only when running outside k3s (no K3SFN_TRIGGER): in a k3s
        # image the variables are the whole contract and an unset one means its default.
        self.meta = meta

    def decorated(self, decorator: str, argument: str) -> Any:
        if self.meta is None:
            return None
        return (self.meta.get(decorator) or {}).get(argument)

    def text(self, name: str, fallback: Optional[str] = None) -> Optional[str]:
        value = self.environ.get(name)
        if value is None or not value.strip():
            return fallback
        return value.strip()

    def integer(self, name: str, fallback: Optional[int] = None, minimum: int = 1) -> Optional[int]:
        value = self.text(name)
        if value is None:
            return fallback
        try:
            number = int(value)
        except ValueError:
            raise StartupError(f"{name}={value!r} is not an integer") from None
        if number < minimum:
            raise StartupError(f"{name}={number} must be at least {minimum}")
        return number

    def flag(self, name: str, fallback: bool = False) -> bool:
        value = self.text(name)
        if value is None:
            return fallback
        lowered = value.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise StartupError(f"{name}={value!r} must be true or false")

    def choice(self, name: str, choices: Iterable[str], fallback: Optional[str] = None) -> Optional[str]:
        value = self.text(name, fallback)
        choices = tuple(choices)
        if value is not None and value not in choices:
            raise StartupError(f"{name}={value!r} must be one of {', '.join(choices)}")
        return value

    def items(self, name: str, fallback: Optional[Iterable[str]] = None) -> List[str]:
        """A comma-separated list; empty items dropped."""
        value = self.text(name)
        if value is None:
            return list(fallback or [])
        return [item.strip() for item in value.split(",") if item.strip()]


def load_function(module_name: str, function_name: str) -> Callable:
    """Imports `module_name` from the current directory (the image's /app) and returns the function."""
    if not _MODULE.match(module_name):
        raise StartupError(f"K3SFN_MODULE={module_name!r} is not a Python module name (e.g. functions.api)")
    if not _IDENTIFIER.match(function_name):
        raise StartupError(f"K3SFN_FUNCTION={function_name!r} is not a Python name")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise StartupError(f"module {module_name} not found in {cwd} (K3SFN_MODULE)") from None
        raise StartupError(f"importing {module_name} failed: {error}") from error
    except Exception as error:  # the module itself raised while importing
        raise StartupError(f"importing {module_name} failed: {type(error).__name__}: {error}") from error
    fn = getattr(module, function_name, None)
    if fn is None:
        raise StartupError(f"module {module_name} has no function {function_name} (K3SFN_FUNCTION)")
    if not callable(fn):
        raise StartupError(f"{module_name}.{function_name} is not callable")
    return fn


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    environ = dict(os.environ)
    if argv:
        # `python -m k3sfn.runtime functions.api:hello` (local use) names the function.
        module, _, function = argv[0].partition(":")
        environ["K3SFN_MODULE"], environ["K3SFN_FUNCTION"] = module, function
    logs.configure(environ.get("K3SFN_FUNCTION"))
    try:
        run = prepare(environ)
    except StartupError as error:
        cause = error.__cause__
        log.critical("startup failed: %s", error, exc_info=(type(cause), cause, cause.__traceback__) if cause else None)
        return 2
    return run()


def prepare(environ: Dict[str, str]) -> Callable[[], int]:
    """Everything that can fail before serving; returns the trigger's run function."""
    module_name = (environ.get("K3SFN_MODULE") or "").strip()
    function_name = (environ.get("K3SFN_FUNCTION") or "").strip()
    if not module_name or not function_name:
        raise StartupError(
            "K3SFN_MODULE and K3SFN_FUNCTION must name the function to serve "
            "(or run `python -m k3sfn.runtime module:function`)"
        )
    fn = load_function(module_name, function_name)
    meta = getattr(fn, "__k3sfn__", None) or {}
    local = not (environ.get("K3SFN_TRIGGER") or "").strip()
    env = Env(environ, meta if local else None)
    trigger = env.choice("K3SFN_TRIGGER", TRIGGERS, meta.get("trigger"))
    if trigger is None:
        raise StartupError(
            f"K3SFN_TRIGGER is not set and {module_name}.{function_name} has no trigger decorator; "
            "set K3SFN_TRIGGER to http, queue or schedule"
        )
    if meta.get("trigger") not in (None, trigger):
        raise StartupError(
            f"{module_name}.{function_name} is decorated with @{meta['trigger']}_trigger but "
            f"K3SFN_TRIGGER={trigger}: the image and its manifest disagree"
        )
    timeout = env.integer("K3SFN_TIMEOUT", env.decorated("serverless", "timeout"))
    handler = Handler(fn, trigger)
    if trigger == "http":
        from . import http

        return http.prepare(handler, env, timeout)
    if trigger == "queue":
        from . import queue

        return queue.prepare(handler, env, timeout)
    from . import schedule

    return schedule.prepare(handler, env, timeout)


def exit_process(code: int) -> None:
    """Exits with `code`; without waiting for handler threads abandoned after a timeout."""
    from . import invoke

    logging.shutdown()
    sys.stdout.flush()
    if invoke.abandoned_threads:
        # Python joins worker threads at exit, and an abandoned handler may run for ever.
        os._exit(code)
    sys.exit(code)
