"""GitHub `workflow_job` webhook: queue each queued job for a runner.

Jobs labelled `pool=<name>` go to the warm pool (stream `jobs`); the others get a cold-start
runner of their own (stream `jobs-cold`, one Kubernetes Job each).
"""

import hashlib
import hmac
import json
import os

import redis

from k3sfn import Request, http_trigger, serverless

_valkey = None


def valkey() -> redis.Redis:
    global _valkey
    if _valkey is None:
        host, _, port = os.environ["VALKEY_ADDR"].partition(":")
        _valkey = redis.Redis(host=host, port=int(port), password=os.environ.get("VALKEY_PASSWORD") or None)
    return _valkey


def signature_ok(body: bytes, header: str) -> bool:
    secret = os.environ["GITHUB_WEBHOOK_SECRET"].encode()
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


@serverless(memory="128Mi", cpu="100m", min_instances=1, max_instances=5, timeout=10, visibility="public")
@http_trigger(path="/webhook/github", methods=["POST"])
async def github_webhook(request: Request):
    body = await request.body()
    if not signature_ok(body, request.headers.get("x-hub-signature-256")):
        return {"status": 401, "body": {"error": "bad signature"}}
    event = json.loads(body)
    if request.headers.get("x-github-event") != "workflow_job" or event.get("action") != "queued":
        return {"queued": False}

    job = event["workflow_job"]
    labels = dict(label.split("=", 1) for label in job["labels"] if "=" in label)
    message = {
        "job_id": job["id"],
        "run_id": job["run_id"],
        "repo": event["repository"]["full_name"],
        "labels": job["labels"],
        "command": ["/opt/runner/run.sh", "--jitconfig-from", f"runs-fleet/{job['id']}"],
    }
    stream = "jobs" if "pool" in labels else "jobs-cold"
    valkey().xadd(stream, {"data": json.dumps(message), "group_id": str(job["run_id"])})
    valkey().xadd("events", {"data": json.dumps({"type": "queued", "job_id": job["id"], "stream": stream})})
    return {"queued": True, "stream": stream}
