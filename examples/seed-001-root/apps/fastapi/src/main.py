"""FastAPI service deployed by the `fastapi` entry of apps.yaml.

Served on port 8000; the ingress strips the /fastapi prefix, so routes are declared at /.
"""

import os

from fastapi import FastAPI

app = FastAPI(title="fastapi")


@app.get("/health")
async def health() -> dict[str, str]:
    """Startup, readiness and liveness probe target."""
    return {"status": "ok"}


@app.get("/")
async def index() -> dict[str, str]:
    return {"service": "fastapi", "log_level": os.environ.get("LOG_LEVEL", "INFO")}


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> dict[str, object]:
    return {"item_id": item_id, "q": q}
