"""Ushadow backend stand-in: one API served on 8080 (HTTP) and 8443 (TLS), metrics on 9090.

Run with hypercorn, which binds the TLS and the plain port in one process.
"""

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import Counter, start_http_server

REQUESTS = Counter("ushadow_requests_total", "API requests served", ["endpoint"])


@asynccontextmanager
async def lifespan(_: FastAPI):
    start_http_server(int(os.environ.get("METRICS_PORT", "9090")))
    yield


app = FastAPI(title="ushadow-backend", lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/status")
async def status() -> dict[str, object]:
    REQUESTS.labels("status").inc()
    return {
        "mongodb": os.environ.get("MONGODB_URI", ""),
        "qdrant": os.environ.get("QDRANT_URL", ""),
        "llm_configured": bool(os.environ.get("OPENAI_API_KEY")),
        "telemetry": os.environ.get("ENABLE_TELEMETRY", "no"),
    }
