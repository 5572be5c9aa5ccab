"""HTTP trigger: the function behind uvicorn + Starlette, with a health endpoint, method and
auth checks, a timeout, CORS when configured, and a graceful stop on SIGTERM."""

from __future__ import annotations

import logging
import re
import signal
import socket
from typing import Any, Callable, List, Optional

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..context import Context, current
from . import auth
from .invoke import Handler, InvocationTimeout, StartupError

log = logging.getLogger("k3sfn.runtime")

# Served before the function's routes, unauthenticated, and never handed to the function: the
# whole /_k3sfn/ prefix is reserved. Kubernetes probes use HEALTH_PATH.
RESERVED_PREFIX = "/_k3sfn/"
HEALTH_PATH = "/_k3sfn/health"

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# A caller's X-Request-ID becomes the invocation id when it looks like an id.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def to_response(result: Any) -> Response:
    """dict/list (and other JSON values) -> JSON, str -> text/plain, bytes -> octet-stream,
    a Response as is, None -> 204."""
    if result is None:
        return Response(status_code=204)
    if isinstance(result, Response):
        return result
    if isinstance(result, str):
        return PlainTextResponse(result)
    if isinstance(result, (bytes, bytearray, memoryview)):
        return Response(bytes(result), media_type="application/octet-stream")
    if isinstance(result, (dict, list, tuple, int, float)):
        return JSONResponse(result)
    raise TypeError(f"the function returned a {type(result).__name__}; return a dict, list, str, bytes, a Response or None")


def build_app(
    handler: Handler,
    timeout: Optional[int],
    methods: Optional[List[str]],
    paths: List[str],
    authenticate: Optional[Callable[[Request], Any]] = None,
    cors: Optional[dict] = None,
) -> "Dispatch":
    name = handler.name
    allowed = None
    allow_header = ""
    if methods:
        allowed = set(methods)
        if "GET" in allowed:
            allowed.add("HEAD")  # as Starlette and HTTP do: HEAD is GET without the body
        allow_header = ", ".join(m for m in METHODS if m in allowed)

    async def endpoint(request: Request) -> Response:
        if allowed is not None and request.method not in allowed:
            return JSONResponse({"error": "Method Not Allowed"}, status_code=405, headers={"Allow": allow_header})
        claims = None
        if authenticate is not None:
            outcome = authenticate(request)
            if isinstance(outcome, Response):
                return outcome
            if isinstance(outcome, dict):
                claims = outcome
        request_id = None
        for header, raw in request.scope["headers"]:  # cheaper than building request.headers
            if header == b"x-request-id":
                text = raw.decode("latin-1")
                request_id = text if _REQUEST_ID.match(text) else None
                break
        context = Context(name, "http", timeout, invocation_id=request_id, claims=claims)
        token = current.set(context)
        try:
            return to_response(await handler({"request": request, "context": context}, timeout))
        except HTTPException:
            raise  # Starlette answers it with its status code and detail
        except InvocationTimeout as error:
            log.error("%s %s %s", request.method, request.url.path, error)
            return JSONResponse(
                {"error": "Gateway Timeout", "invocation_id": context.invocation_id}, status_code=504
            )
        except Exception:
            # The traceback goes to the log only; the caller learns nothing about the code.
            log.exception("%s %s failed", request.method, request.url.path)
            return JSONResponse(
                {"error": "Internal Server Error", "invocation_id": context.invocation_id}, status_code=500
            )
        finally:
            current.reset(token)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "function": name})

    async def reserved(request: Request) -> Response:
        return JSONResponse({"error": "Not Found"}, status_code=404)

    internal = Starlette(
        routes=[
            Route(HEALTH_PATH, health, methods=["GET", "HEAD"]),
            Route(RESERVED_PREFIX + "{rest:path}", reserved, methods=METHODS),
        ]
    )
    # Every method reaches the endpoint, which answers 405 itself (with Allow) when restricted.
    middleware = [Middleware(CORSMiddleware, **cors)] if cors else []
    function = Starlette(routes=[Route(path, endpoint, methods=METHODS) for path in paths], middleware=middleware)
    return Dispatch(function, internal)


class Dispatch:
    """/_k3sfn/... to the runtime's own routes (health), everything else to the function's
    app: a prefix test instead of two more route matches per request."""

    def __init__(self, function: Starlette, internal: Starlette) -> None:
        self.function = function
        self.internal = internal

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(RESERVED_PREFIX):
            await self.internal(scope, receive, send)
        else:
            await self.function(scope, receive, send)


def _cors(env, methods: Optional[List[str]]) -> Optional[dict]:
    """Starlette CORSMiddleware settings from K3SFN_CORS_*; None (no CORS headers) when
    K3SFN_CORS_ALLOW_ORIGINS is unset."""
    origins = env.items("K3SFN_CORS_ALLOW_ORIGINS")
    if not origins:
        return None
    allow_methods = [m.upper() for m in env.items("K3SFN_CORS_ALLOW_METHODS", methods or ["*"])]
    return {
        "allow_origins": origins,
        "allow_methods": allow_methods,
        "allow_headers": env.items("K3SFN_CORS_ALLOW_HEADERS"),
        "allow_credentials": env.flag("K3SFN_CORS_ALLOW_CREDENTIALS"),
        "expose_headers": env.items("K3SFN_CORS_EXPOSE_HEADERS"),
        "max_age": env.integer("K3SFN_CORS_MAX_AGE", 600, minimum=0),
    }


def prepare(handler: Handler, env, timeout: Optional[int]) -> Callable[[], int]:
    import uvicorn

    port = env.integer("PORT", 8080, minimum=1)
    if port > 65535:
        raise StartupError(f"PORT={port} is not a TCP port")
    host = env.text("K3SFN_HTTP_HOST", "0.0.0.0")
    methods = [m.upper() for m in env.items("K3SFN_HTTP_METHODS", env.decorated("http_trigger", "methods"))]
    for method in methods:
        if method not in METHODS:
            raise StartupError(f"K3SFN_HTTP_METHODS: {method!r} is not one of {', '.join(METHODS)}")
    # Unset: every path (the ingress already routed only the function's own to it).
    decorated_path = env.decorated("http_trigger", "path")
    paths = env.items("K3SFN_HTTP_PATHS", [decorated_path] if decorated_path else ["/{path:path}"])
    for path in paths:
        if not path.startswith("/") or path.startswith(RESERVED_PREFIX):
            raise StartupError(f"K3SFN_HTTP_PATHS: {path!r} must start with / and not with {RESERVED_PREFIX}")
    try:
        app = build_app(handler, timeout, methods or None, paths, auth.from_env(env), _cors(env, methods))
    except (ValueError, AssertionError) as error:  # Starlette refuses a path template
        raise StartupError(f"K3SFN_HTTP_PATHS: {error}") from None

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
        # listening socket says it is TCP; with proto 0, Nagle's algorithm meets delayed ACKs
        # and every response waits ~40 ms (found by bench/run).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        raise StartupError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None

    # In-flight requests may finish after SIGTERM: each ends by its timeout anyway.
    grace = timeout + 2 if timeout else 28
    config = uvicorn.Config(
        app,
        log_config=None,  # logs.configure() already sent uvicorn's loggers to JSON on stdout
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=grace,
    )

    def run() -> int:
        server = uvicorn.Server(config)
        # uvicorn re-raises the signal that stopped it once it has shut down, through the
        # handler that was installed before it: make that one a no-op so we exit 0.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: None)
        log.info("serving %s on %s:%d (paths %s)", handler.name, host, port, ",".join(paths))
        server.run(sockets=[sock])
        return 0 if server.started else 2

    return run
