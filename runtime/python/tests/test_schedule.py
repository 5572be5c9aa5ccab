"""Schedule trigger: the runtime runs the function once and exits."""

from __future__ import annotations

NIGHTLY = '''
import logging, time
from k3sfn import Context, schedule_trigger, serverless

logger = logging.getLogger(__name__)


@schedule_trigger(cron="30 2 * * *", timezone="Europe/Paris", concurrency_policy="Forbid", starting_deadline_seconds=600)
@serverless(memory="256Mi", timeout=900)
async def nightly_report(context: Context) -> None:
    logger.info("nightly report %s for %s", context.invocation_id, context.timestamp.isoformat())


@schedule_trigger(cron="0 * * * *")
def hourly():
    logger.info("hourly ran")


@schedule_trigger(cron="0 * * * *")
async def broken(context):
    raise KeyError("missing-config")


@schedule_trigger(cron="0 * * * *")
def too_slow():
    time.sleep(30)
'''


def _run(project, start_runtime, function, **env):
    app = project({"functions/__init__.py": "", "functions/reports/__init__.py": "", "functions/reports/nightly.py": NIGHTLY})
    env.setdefault("K3SFN_TRIGGER", "schedule")
    rt = start_runtime(app, K3SFN_MODULE="functions.reports.nightly", K3SFN_FUNCTION=function, **env)
    return rt, rt.wait(30)


def test_runs_once_and_exits_0_logging_with_the_invocation_id(project, start_runtime):
    rt, code = _run(project, start_runtime, "nightly_report", K3SFN_TIMEOUT="900")
    assert code == 0
    runs = [e for e in rt.logs() if e["message"].startswith("nightly report ")]
    assert len(runs) == 1
    _, _, invocation_id, _, timestamp = runs[0]["message"].split()
    assert runs[0]["invocation_id"] == invocation_id and runs[0]["logger"] == "functions.reports.nightly"
    assert timestamp.endswith("+00:00")
    assert any(e["message"].startswith("run finished") and e["invocation_id"] == invocation_id for e in rt.logs())


def test_sync_function_without_parameters(project, start_runtime):
    rt, code = _run(project, start_runtime, "hourly")
    assert code == 0
    assert [e["message"] for e in rt.logs()].count("hourly ran") == 1


def test_exception_exits_non_zero_with_the_traceback_logged(project, start_runtime):
    rt, code = _run(project, start_runtime, "broken")
    assert code == 1
    failure = next(e for e in rt.logs() if e["level"] == "ERROR")
    assert failure["exc_type"] == "KeyError" and "missing-config" in failure["exc_info"] and "Traceback" in failure["exc_info"]
    assert failure["invocation_id"]


def test_timeout_exits_non_zero_promptly(project, start_runtime):
    import time

    started = time.monotonic()
    rt, code = _run(project, start_runtime, "too_slow", K3SFN_TIMEOUT="1")
    assert code == 1
    assert time.monotonic() - started < 10  # the abandoned thread does not hold the exit
    assert any("K3SFN_TIMEOUT" in e["message"] for e in rt.logs() if e["level"] == "ERROR")
