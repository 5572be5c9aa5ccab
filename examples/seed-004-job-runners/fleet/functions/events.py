"""Event recorder: a long-running worker that keeps per-repository counters of runner events."""

import logging
import os

import redis

from k3sfn import Context, queue_trigger, serverless

logger = logging.getLogger(__name__)


@queue_trigger(queue_name="events", queue_type="stream", consumer_group="recorder", batch_size=50, mode="worker")
@serverless(memory="128Mi", cpu="50m", min_instances=0, max_instances=2)
async def record_events(messages, context: Context) -> None:
    host, _, port = os.environ["VALKEY_ADDR"].partition(":")
    client = redis.Redis(host=host, port=int(port), password=os.environ.get("VALKEY_PASSWORD") or None)
    with client.pipeline() as pipe:
        for event in messages:
            pipe.hincrby(f"runs-fleet:stats:{event['stream']}", event["type"], 1)
        pipe.execute()
    logger.info("recorded %d events (invocation %s)", len(messages), context.invocation_id)
