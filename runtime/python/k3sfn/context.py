"""`Context`: what the runtime tells a function about the current invocation."""

from __future__ import annotations

import contextvars
import os
import time
from datetime import datetime, timezone
from typing import Any, Dict, Optional

# The invocation being served by this task or thread; the log formatter reads it, so logs the
# user's code writes with `logging` carry the invocation id without being told.
current: contextvars.ContextVar[Optional["Context"]] = contextvars.ContextVar("k3sfn_invocation", default=None)


class Context:
    """One invocation: an HTTP request, a queue batch or a scheduled run.

    - `invocation_id`: unique per invocation (an HTTP request's `X-Request-ID` when it sends one)
    - `function`: the Python name of the function; `trigger`: `http`, `queue` or `schedule`
    - `timestamp`: when the invocation started, an aware UTC datetime
    - `deadline`: when it will be cut off (aware UTC datetime), None without a timeout;
      `remaining`: seconds left until then (never negative), None without a timeout
    - `attempt`: queue batches only, the highest delivery number among the batch's messages
      (1 on first delivery); 1 for other triggers
    - `claims`: the verified JWT claims when the function uses `auth="jwt"`, else None
    """

    __slots__ = ("invocation_id", "function", "trigger", "attempt", "claims", "timeout", "_started", "_ends")

    def __init__(
        self,
        function: str,
        trigger: str,
        timeout: Optional[float] = None,
        invocation_id: Optional[str] = None,
        attempt: int = 1,
        claims: Optional[Dict[str, Any]] = None,
    ) -> None:
        # Built for every HTTP request: only clock readings here; datetimes on first access.
        self.invocation_id = invocation_id or os.urandom(16).hex()  # 32 hex digits, as uuid4().hex
        self.function = function
        self.trigger = trigger
        self.attempt = attempt
        self.claims = claims
        self.timeout = timeout or None
        self._started = time.time()
        self._ends = time.monotonic() + timeout if timeout else None

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self._started, timezone.utc)

    @property
    def deadline(self) -> Optional[datetime]:
        if self.timeout is None:
            return None
        return datetime.fromtimestamp(self._started + self.timeout, timezone.utc)

    @property
    def remaining(self) -> Optional[float]:
        if self._ends is None:
            return None
        return max(0.0, self._ends - time.monotonic())

    def __repr__(self) -> str:
        return (
            f"Context(function={self.function!r}, trigger={self.trigger!r}, "
            f"invocation_id={self.invocation_id!r}, attempt={self.attempt})"
        )
