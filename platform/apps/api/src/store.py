"""The Valkey connection shared by the API and the cleanup job."""

import os

import redis

ITEMS = "items"
TASKS = "tasks"


def connect() -> redis.Redis:
    host, _, port = os.environ.get("VALKEY_ADDR", "valkey:6379").partition(":")
    return redis.Redis(
        host=host,
        port=int(port or 6379),
        password=os.environ.get("VALKEY_PASSWORD") or None,
        decode_responses=True,
    )
