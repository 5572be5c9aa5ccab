"""Schedule trigger: the CronJob's pod runs the function once and exits (non-zero on failure)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Optional

from ..context import Context, current
from .invoke import Handler, InvocationTimeout

log = logging.getLogger("k3sfn.runtime")


def prepare(handler: Handler, env, timeout: Optional[int]) -> Callable[[], int]:
    def run() -> int:
        return asyncio.run(_run_once(handler, timeout))

    return run


async def _run_once(handler: Handler, timeout: Optional[int]) -> int:
    context = Context(handler.name, "schedule", timeout)
    token = current.set(context)
    started = time.monotonic()
    try:
        log.info("run started")
        await handler({"context": context}, timeout)
    except InvocationTimeout as error:
        log.error("run failed: %s", error)
        return 1
    except Exception:
        log.exception("run failed")
        return 1
    else:
        log.info("run finished in %.3fs", time.monotonic() - started)
        return 0
    finally:
        current.reset(token)
