"""A nightly report, as a CronJob in Paris time; a run still going at the next tick is kept
and the new one skipped."""

import logging

from k3sfn import Context, schedule_trigger, serverless

logger = logging.getLogger(__name__)


@schedule_trigger(
    cron="30 2 * * *",
    timezone="Europe/Paris",
    concurrency_policy="Forbid",
    starting_deadline_seconds=600,
)
@serverless(memory="256Mi", timeout=900)
async def nightly_report(context: Context) -> None:
    logger.info("nightly report %s for %s", context.invocation_id, context.timestamp)
