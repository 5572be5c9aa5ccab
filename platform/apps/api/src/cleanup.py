"""Nightly cleanup (the `cleanup` CronJob): delete expired items."""

import json
import logging
import os
import time

from store import ITEMS, connect

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))


def main() -> None:
    valkey = connect()
    now = time.time()
    expired = [key for key, raw in valkey.hscan_iter(ITEMS) if json.loads(raw)["expires_at"] < now]
    if expired:
        valkey.hdel(ITEMS, *expired)
    logging.info("deleted %d expired items", len(expired))


if __name__ == "__main__":
    main()
