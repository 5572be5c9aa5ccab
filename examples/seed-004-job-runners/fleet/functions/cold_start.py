"""Cold-start runners: one Kubernetes Job per queued job, nothing kept warm."""

import subprocess

from k3sfn import Context, queue_trigger, serverless


@serverless(cpu="2", memory="4Gi", memory_limit="8Gi", ephemeral_storage="20Gi", max_instances=50, timeout=3600, service_account="runs-fleet-runner")
@queue_trigger(queue_name="jobs-cold", queue_type="stream", consumer_group="cold", batch_size=1, mode="job")
async def cold_runner(messages, context: Context) -> None:
    for job in messages:
        subprocess.run(job["command"], timeout=3600, check=True)
