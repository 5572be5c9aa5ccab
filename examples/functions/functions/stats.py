"""Statistics over posted numbers. numpy is imported at module level: discovery parses this
file and never imports it, so k3s needs neither numpy nor k3sfn installed."""

import numpy as np

import k3sfn


@k3sfn.serverless(
    name="stats",
    memory="512Mi",
    memory_limit="1Gi",
    cpu="250m",
    max_instances=8,
    target_pending_requests=20,
    visibility="public",
)
@k3sfn.http_trigger(path="/stats/summary", methods=["POST"])
async def summarize(request: k3sfn.Request):
    values = np.asarray((await request.json())["values"], dtype=float)
    if values.size == 0:
        return {"count": 0}
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return {
        "count": int(values.size),
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values.min()),
        "max": float(values.max()),
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
    }
