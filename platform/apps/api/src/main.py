"""The platform API: items kept in Valkey, and background tasks handed to the
`process_task` function through the `tasks` list. Served on port 8000 behind the
/api prefix (stripped by the ingress) and the gateway's /v1 (stripped too)."""

import json
import os
import time
import uuid

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

from store import ITEMS, TASKS, connect

app = FastAPI(title="api")
valkey = connect()


class Item(BaseModel):
    name: str
    ttl_days: int = 30


class Task(BaseModel):
    kind: str
    payload: dict = {}


def require_token(authorization: str = Header(default="")) -> None:
    """Writes need `Authorization: Bearer $API_TOKEN` (from the api-secrets Secret)."""
    token = os.environ.get("API_TOKEN")
    if not token or authorization != f"Bearer {token}":
        raise HTTPException(status_code=401)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": os.environ.get("APP_VERSION", "dev")}


@app.get("/items")
def list_items() -> list[dict]:
    return [json.loads(v) for v in valkey.hvals(ITEMS)]


@app.post("/items", status_code=201, dependencies=[Depends(require_token)])
def create_item(item: Item) -> dict:
    record = {"id": uuid.uuid4().hex, "name": item.name, "expires_at": time.time() + item.ttl_days * 86400}
    valkey.hset(ITEMS, record["id"], json.dumps(record))
    return record


@app.get("/items/{item_id}")
def get_item(item_id: str) -> dict:
    raw = valkey.hget(ITEMS, item_id)
    if raw is None:
        raise HTTPException(status_code=404)
    return json.loads(raw)


@app.post("/tasks", status_code=202, dependencies=[Depends(require_token)])
def enqueue(task: Task) -> dict[str, str]:
    task_id = uuid.uuid4().hex
    valkey.lpush(TASKS, json.dumps({"id": task_id, "kind": task.kind, "payload": task.payload}))
    return {"id": task_id}
