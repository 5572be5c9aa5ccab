"""Scheduled functions: each becomes a CronJob."""

import logging

from k3sfn import Context, schedule_trigger, serverless

logger = logging.getLogger(__name__)


@serverless(memory="128Mi", cpu="50m", timeout=120)
@schedule_trigger(cron="0 * * * *", timezone="UTC", concurrency_policy="Forbid")
async def hourly_report(context: Context) -> None:
    logger.info("hourly report run %s at %s", context.invocation_id, context.timestamp)
