"""Warm-pool runner: reads jobs from a Valkey stream through a consumer group, one at a time.

KEDA keeps at least `min_instances` of these running (the warm pool) and adds more while the
group's pending entries grow. On SIGTERM the worker finishes its current job, then exits, so a
scale-in never cuts a job short (terminationGracePeriodSeconds bounds the wait).
"""

import json
import logging
import os
import signal
import socket
import subprocess

import redis

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("runner")

STREAM = os.environ.get("JOBS_STREAM", "jobs")
GROUP = os.environ.get("CONSUMER_GROUP", "runners")
CONSUMER = os.environ.get("POD_NAME", socket.gethostname())

stopping = False


def stop(signum, _frame):
    global stopping
    log.info("signal %s: finishing the current job, then exiting", signum)
    stopping = True


def connect() -> redis.Redis:
    host, _, port = os.environ.get("VALKEY_ADDR", "valkey:6379").partition(":")
    client = redis.Redis(host=host, port=int(port or 6379), password=os.environ.get("VALKEY_PASSWORD") or None)
    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise
    return client


def run(job: dict) -> int:
    """Runs one job: the command the dispatcher put in the message, in a scratch directory."""
    log.info("job %s (%s): %s", job.get("job_id"), job.get("repo"), job["command"])
    return subprocess.run(job["command"], cwd="/work", timeout=job.get("timeout", 3600), check=False).returncode


def main() -> None:
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    client = connect()
    log.info("consumer %s reading %s as group %s", CONSUMER, STREAM, GROUP)
    while not stopping:
        batch = client.xreadgroup(GROUP, CONSUMER, {STREAM: ">"}, count=1, block=5000)
        for _stream, messages in batch or []:
            for message_id, fields in messages:
                job = json.loads(fields[b"data"])
                code = run(job)
                log.info("job %s finished with exit code %d", job.get("job_id"), code)
                client.xack(STREAM, GROUP, message_id)


if __name__ == "__main__":
    main()
