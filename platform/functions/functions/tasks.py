"""Background tasks the API pushes onto the `tasks` list."""

import logging

from k3sfn import Context, queue_trigger, serverless

logger = logging.getLogger(__name__)

HANDLERS = {
    "reindex": lambda payload: logger.info("reindexing %s", payload.get("collection", "items")),
    "notify": lambda payload: logger.info("notifying %s", payload.get("to")),
}


@serverless(memory="256Mi", cpu="100m", max_instances=5, timeout=120)
@queue_trigger(queue_name="tasks", queue_type="list", batch_size=10, queue_length=20)
async def process_task(messages, context: Context) -> None:
    for task in messages:
        handler = HANDLERS.get(task["kind"])
        if handler is None:
            logger.warning("task %s: unknown kind %r", task["id"], task["kind"])
            continue
        handler(task.get("payload", {}))
    logger.info("processed %d tasks (invocation %s)", len(messages), context.invocation_id)
