"""k3sfn: the decorators k3s discovers serverless functions by, and the runtime that serves one.

    from k3sfn import Request, http_trigger, serverless

    @serverless(visibility="public")
    @http_trigger(path="/hello", methods=["GET"])
    async def hello(request: Request):
        return {"message": "Hello!"}

`Request` and `Response` are Starlette's (https://www.starlette.io); `Context` is k3sfn's.
`python -m k3sfn.runtime` serves one function, chosen by environment variables (README.md).
"""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from .context import Context
from .decorators import http_trigger, queue_trigger, schedule_trigger, serverless

__version__ = "0.1.0"

__all__ = [
    "Context",
    "HTTPException",
    "JSONResponse",
    "PlainTextResponse",
    "Request",
    "Response",
    "http_trigger",
    "queue_trigger",
    "schedule_trigger",
    "serverless",
]
