"""Logs as one JSON object per line on stdout, for the runtime and the user's `logging` alike."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from datetime import datetime, timezone
from typing import Optional

from .context import current

_function: Optional[str] = None


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, function, invocation_id; exc_type/exc_info with a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        invocation = current.get()
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "function": _function,
            "invocation_id": invocation.invocation_id if invocation is not None else None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc_info"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(function: Optional[str]) -> None:
    """Sends every logger (root, uvicorn's, the user's) to stdout as JSON lines.

    The level comes from `LOG_LEVEL` (default INFO), a variable projects commonly set.
    """
    global _function
    _function = function
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        level = "INFO"
    root.setLevel(level)
    # uvicorn's loggers propagate to the root once they have no handlers of their own.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.captureWarnings(True)
