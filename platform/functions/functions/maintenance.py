"""Scheduled heartbeat: records when the schedule last ran, for dashboards and alerts."""

import logging
import os
import time

import redis

from k3sfn import Context, schedule_trigger, serverless

logger = logging.getLogger(__name__)


@serverless(memory="64Mi", cpu="25m", timeout=60)
@schedule_trigger(cron="*/15 * * * *", concurrency_policy="Forbid")
async def heartbeat(context: Context) -> None:
    host, _, port = os.environ.get("VALKEY_ADDR", "valkey:6379").partition(":")
    client = redis.Redis(host=host, port=int(port or 6379), password=os.environ.get("VALKEY_PASSWORD") or None)
    client.set("platform:heartbeat", int(time.time()))
    logger.info("heartbeat %s", context.invocation_id)
