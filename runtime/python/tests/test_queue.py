"""The queue runtime against a real Redis server: lists and streams, at-least-once delivery,
reclaiming from a killed worker, dead letters, job mode, SIGTERM."""

from __future__ import annotations

import json
import signal

import pytest

from conftest import RedisServer, wait_until

WORKER = '''
import asyncio, json, logging, os, time
import redis
from k3sfn import Context, queue_trigger

r = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
log = logging.getLogger("user.worker")


def body(message):
    return message["body"] if isinstance(message, dict) else message


def before(messages):
    """What the test asked this worker to do before handling the batch."""
    r.rpush("started", os.getpid())
    if os.environ.get("HANG"):
        time.sleep(3600)
    for message in messages:
        if body(message) == "poison":
            r.rpush("poison-seen", os.getpid())
            raise ValueError(f"cannot handle {body(message)}")
    return any(body(m) == "slow" for m in messages) or os.environ.get("SLOW")


def after(messages, context):
    for message in messages:
        r.rpush("seen", body(message))
    r.rpush("batches", json.dumps({
        "size": len(messages), "attempt": context.attempt, "pid": os.getpid(),
        "invocation_id": context.invocation_id, "types": sorted({type(m).__name__ for m in messages}),
    }))
    log.info("handled %d", len(messages))


@queue_trigger(queue_name="jobs")
def work(messages, context: Context):
    if before(messages):
        time.sleep(float(os.environ.get("SLOW") or 5))
    after(messages, context)


@queue_trigger(queue_name="jobs", queue_type="stream")
async def awork(batch, context: Context):
    if before(batch):
        await asyncio.sleep(float(os.environ.get("SLOW") or 5))
    after(batch, context)
'''


@pytest.fixture
def worker(project, start_runtime, redis_server, redis):
    """worker(**env) -> a started queue worker on the list `jobs` (stream with function="awork")."""
    app = project({"functions/__init__.py": "", "functions/worker.py": WORKER})

    def start(function: str = "work", server: RedisServer = None, **env):
        server = server or redis_server
        defaults = {
            "K3SFN_MODULE": "functions.worker",
            "K3SFN_FUNCTION": function,
            "K3SFN_TRIGGER": "queue",
            "K3SFN_QUEUE": "jobs",
            "K3SFN_QUEUE_TYPE": "stream" if function == "awork" else "list",
            "K3SFN_QUEUE_MODE": "worker",
            "K3SFN_BATCH_SIZE": "1",
            "K3SFN_QUEUE_ADDRESS": server.address,
            "TEST_REDIS_URL": f"redis://127.0.0.1:{server.port}/0",
        }
        if function == "awork":
            defaults["K3SFN_CONSUMER_GROUP"] = "workers"
        defaults.update(env)
        rt = start_runtime(app, **defaults)
        rt.wait_for_log(lambda e: e["message"].startswith("consuming "), 15, "the worker to start")
        return rt

    return start


def _seen(redis):
    return [m.decode() for m in redis.lrange("seen", 0, -1)]


def _batches(redis):
    return [json.loads(b) for b in redis.lrange("batches", 0, -1)]


def _internal_keys(redis):
    return sorted(k.decode() for k in redis.keys("jobs:*"))


# -- lists -------------------------------------------------------------------------------------


def test_list_each_message_processed_exactly_once_by_one_worker(worker, redis):
    sent = [f"m{i}" for i in range(50)]
    redis.rpush("jobs", *sent)
    rt = worker(K3SFN_BATCH_SIZE="7")
    wait_until(lambda: len(_seen(redis)) >= 50, 20, what="50 messages")
    rt.signal(signal.SIGTERM)
    assert rt.wait() == 0
    assert sorted(_seen(redis)) == sorted(sent)
    assert _seen(redis) == sent  # one worker keeps the list's order
    batches = _batches(redis)
    assert all(1 <= b["size"] <= 7 for b in batches) and sum(b["size"] for b in batches) == 50
    assert all(b["attempt"] == 1 and b["types"] == ["str"] for b in batches)
    assert redis.llen("jobs") == 0
    assert _internal_keys(redis) == []  # no processing list, heartbeat, attempts or consumer left
    assert len({b["invocation_id"] for b in batches}) == len(batches)
    handled = [e for e in rt.logs() if e["message"].startswith("handled ")]
    assert {e["invocation_id"] for e in handled} == {b["invocation_id"] for b in batches}


def test_list_each_message_processed_exactly_once_by_two_workers(worker, redis):
    first = worker(K3SFN_BATCH_SIZE="5")
    second = worker(K3SFN_BATCH_SIZE="5")
    wait_until(lambda: redis.scard("jobs:consumers") == 2, 10, what="two registered workers")
    sent = [f"m{i}" for i in range(300)]
    redis.rpush("jobs", *sent)
    wait_until(lambda: len(_seen(redis)) >= 300, 30, what="300 messages")
    for rt in (first, second):
        rt.signal(signal.SIGTERM)
    assert first.wait() == 0 and second.wait() == 0
    seen = _seen(redis)
    assert len(seen) == 300 and sorted(seen) == sorted(sent)
    assert {b["pid"] for b in _batches(redis)} == {first.process.pid, second.process.pid}
    assert _internal_keys(redis) == []


def test_list_messages_of_a_killed_worker_are_processed_after_the_visibility_timeout(worker, redis):
    sent = [f"m{i}" for i in range(10)]
    redis.rpush("jobs", *sent)
    doomed = worker(K3SFN_BATCH_SIZE="4", K3SFN_VISIBILITY_TIMEOUT="2", HANG="1")
    wait_until(lambda: redis.llen("started") == 1, 10, what="the doomed worker to take a batch")
    held = [k for k in _internal_keys(redis) if k.startswith("jobs:processing:")]
    assert len(held) == 1 and redis.llen(held[0]) == 4
    doomed.process.kill()  # SIGKILL mid-batch: nothing is settled
    doomed.process.wait()
    rescuer = worker(K3SFN_BATCH_SIZE="4", K3SFN_VISIBILITY_TIMEOUT="2")
    wait_until(lambda: len(_seen(redis)) >= 10, 20, what="all 10 messages")
    rescuer.signal(signal.SIGTERM)
    assert rescuer.wait() == 0
    assert sorted(_seen(redis)) == sorted(sent)  # none lost, none twice
    reclaimed = [b for b in _batches(redis) if b["attempt"] == 2]
    assert sum(b["size"] for b in reclaimed) == 4  # the killed worker's batch, second delivery
    assert _internal_keys(redis) == []
    assert any("reclaimed 4 message(s)" in e["message"] for e in rescuer.logs())


def test_list_always_failing_message_lands_in_dead_letters_after_max_attempts(worker, redis):
    redis.rpush("jobs", "ok1", "poison", "ok2")
    rt = worker(K3SFN_MAX_ATTEMPTS="3")
    wait_until(lambda: redis.llen("jobs:dead") == 1, 20, what="the dead letter")
    wait_until(lambda: len(_seen(redis)) == 2, 10, what="the good messages")
    rt.signal(signal.SIGTERM)
    assert rt.wait() == 0
    record = json.loads(redis.lindex("jobs:dead", 0))
    assert record["message"] == "poison"
    assert record["attempts"] == 3
    assert record["error"] == "ValueError: cannot handle poison"
    assert record["function"] == "work" and record["queue"] == "jobs" and record["failed_at"].endswith("Z")
    assert redis.llen("poison-seen") == 3
    assert sorted(_seen(redis)) == ["ok1", "ok2"]
    assert redis.llen("jobs") == 0 and _internal_keys(redis) == ["jobs:dead"]
    errors = [e for e in rt.logs() if e["level"] == "ERROR" and e.get("exc_type") == "ValueError"]
    assert len(errors) == 3 and all(e["invocation_id"] for e in errors)


def test_list_batch_over_k3sfn_timeout_counts_as_a_failure(worker, redis):
    redis.rpush("jobs", "slow")
    rt = worker(K3SFN_TIMEOUT="1", K3SFN_MAX_ATTEMPTS="2")
    wait_until(lambda: redis.llen("jobs:dead") == 1, 20, what="the timed-out message to be dead-lettered")
    record = json.loads(redis.lindex("jobs:dead", 0))
    assert record["message"] == "slow" and record["attempts"] == 2
    assert record["error"].startswith("TimeoutError") and "K3SFN_TIMEOUT" in record["error"]
    assert _seen(redis) == []
    rt.signal(signal.SIGTERM)
    assert rt.wait() == 0


def test_list_job_mode_handles_one_batch_then_exits_0(worker, redis):
    redis.rpush("jobs", *[f"m{i}" for i in range(7)])
    rt = worker(K3SFN_QUEUE_MODE="job", K3SFN_BATCH_SIZE="5")
    assert rt.wait() == 0
    assert _seen(redis) == [f"m{i}" for i in range(5)]
    assert redis.lrange("jobs", 0, -1) == [b"m5", b"m6"]
    assert _internal_keys(redis) == []


def test_list_job_mode_exits_0_when_the_queue_stays_empty(worker, redis):
    rt = worker(K3SFN_QUEUE_MODE="job", K3SFN_BATCH_SIZE="5")
    assert rt.wait(20) == 0
    assert _seen(redis) == [] and _internal_keys(redis) == []
    assert any("nothing to do" in e["message"] for e in rt.logs())


def test_list_job_mode_failed_batch_exits_1_and_requeues(worker, redis):
    redis.rpush("jobs", "poison")
    rt = worker(K3SFN_QUEUE_MODE="job")
    assert rt.wait() == 1
    assert redis.lrange("jobs", 0, -1) == [b"poison"]
    assert redis.hvals("jobs:attempts") == [b"1"]


def test_list_sigterm_finishes_the_batch_in_hand(worker, redis):
    redis.rpush("jobs", *[f"m{i}" for i in range(9)])
    rt = worker(K3SFN_BATCH_SIZE="3", SLOW="1.5")
    wait_until(lambda: redis.llen("started") == 1, 10, what="the first batch to start")
    rt.signal(signal.SIGTERM)
    assert rt.wait() == 0
    assert _seen(redis) == ["m0", "m1", "m2"]  # finished, and settled
    assert redis.llen("jobs") == 6
    assert _internal_keys(redis) == []


def test_list_password_and_database(worker, redis_binary):
    server = RedisServer(redis_binary, password="s3cret")
    try:
        import redis as redis_py

        db3 = redis_py.Redis(host="127.0.0.1", port=server.port, password="s3cret", db=3)
        db3.rpush("jobs", "a", "b")
        rt = worker(
            server=server,
            K3SFN_QUEUE_PASSWORD="s3cret",
            K3SFN_QUEUE_DATABASE="3",
            TEST_REDIS_URL=f"redis://:s3cret@127.0.0.1:{server.port}/3",
        )
        wait_until(lambda: db3.llen("seen") == 2, 10, what="both messages from database 3")
        rt.signal(signal.SIGTERM)
        assert rt.wait() == 0
    finally:
        server.stop()


def test_wrong_queue_password_exits_2_saying_why(worker, redis_binary):
    server = RedisServer(redis_binary, password="s3cret")
    try:
        rt = worker(server=server, K3SFN_QUEUE_PASSWORD="wrong", TEST_REDIS_URL=f"redis://:s3cret@127.0.0.1:{server.port}/0")
        assert rt.wait() == 2
        critical = [e for e in rt.logs() if e["level"] == "CRITICAL"]
        assert len(critical) == 1 and "K3SFN_QUEUE_PASSWORD" in critical[0]["message"]
    finally:
        server.stop()


# -- streams -----------------------------------------------------------------------------------


def _pending(redis) -> int:
    return redis.xpending("jobs", "workers")["pending"]


def test_stream_each_entry_processed_exactly_once_by_two_workers(worker, redis):
    first = worker("awork", K3SFN_BATCH_SIZE="10")  # creates the group and the stream (MKSTREAM)
    second = worker("awork", K3SFN_BATCH_SIZE="10")
    wait_until(lambda: redis.exists("jobs"), 10, what="the stream")
    sent = [f"e{i}" for i in range(200)]
    for item in sent:
        redis.xadd("jobs", {"body": item, "n": "1"})
    wait_until(lambda: len(_seen(redis)) >= 200, 30, what="200 entries")
    for rt in (first, second):
        rt.signal(signal.SIGTERM)
    assert first.wait() == 0 and second.wait() == 0
    assert sorted(_seen(redis)) == sorted(sent)
    assert _pending(redis) == 0  # every entry acknowledged
    batches = _batches(redis)
    assert all(b["types"] == ["dict"] and b["attempt"] == 1 for b in batches)
    assert max(b["size"] for b in batches) <= 10


def test_stream_entries_of_a_killed_worker_are_reclaimed(worker, redis):
    sent = [f"e{i}" for i in range(8)]
    for item in sent:
        redis.xadd("jobs", {"body": item})
    doomed = worker("awork", K3SFN_BATCH_SIZE="3", K3SFN_VISIBILITY_TIMEOUT="2", HANG="1")
    wait_until(lambda: redis.llen("started") == 1, 10, what="the doomed worker to take a batch")
    assert _pending(redis) == 3
    doomed.process.kill()
    doomed.process.wait()
    rescuer = worker("awork", K3SFN_BATCH_SIZE="3", K3SFN_VISIBILITY_TIMEOUT="2")
    wait_until(lambda: len(_seen(redis)) >= 8, 20, what="all 8 entries")
    rescuer.signal(signal.SIGTERM)
    assert rescuer.wait() == 0
    assert sorted(_seen(redis)) == sorted(sent)
    assert sum(b["size"] for b in _batches(redis) if b["attempt"] == 2) == 3
    assert _pending(redis) == 0


def test_stream_always_failing_entry_lands_in_dead_letters(worker, redis):
    redis.xadd("jobs", {"body": "ok1"})
    poison_id = redis.xadd("jobs", {"body": "poison", "extra": "kept"})
    redis.xadd("jobs", {"body": "ok2"})
    rt = worker("awork", K3SFN_VISIBILITY_TIMEOUT="1", K3SFN_MAX_ATTEMPTS="3")
    wait_until(lambda: redis.xlen("jobs:dead") == 1, 20, what="the dead letter")
    rt.signal(signal.SIGTERM)
    assert rt.wait() == 0
    (_, fields), = redis.xrange("jobs:dead")
    assert fields[b"body"] == b"poison" and fields[b"extra"] == b"kept"
    assert fields[b"k3sfn_error"] == b"ValueError: cannot handle poison"
    assert fields[b"k3sfn_attempts"] == b"3" and fields[b"k3sfn_id"] == poison_id
    assert redis.llen("poison-seen") == 3
    assert sorted(_seen(redis)) == ["ok1", "ok2"]
    assert _pending(redis) == 0
    attempts = [b["attempt"] for b in _batches(redis)]
    assert attempts == [1, 1]


def test_stream_job_mode_handles_one_batch_then_exits_0(worker, redis):
    for i in range(5):
        redis.xadd("jobs", {"body": f"e{i}"})
    rt = worker("awork", K3SFN_QUEUE_MODE="job", K3SFN_BATCH_SIZE="4")
    assert rt.wait() == 0
    assert _seen(redis) == [f"e{i}" for i in range(4)]
    assert _pending(redis) == 0
    info = redis.xinfo_groups("jobs")[0]
    assert info["consumers"] == 0  # the job's consumer removed itself


def test_stream_sigterm_finishes_the_batch_in_hand(worker, redis):
    for i in range(6):
        redis.xadd("jobs", {"body": f"e{i}"})
    rt = worker("awork", K3SFN_BATCH_SIZE="2", SLOW="1.5")
    wait_until(lambda: redis.llen("started") == 1, 10, what="the first batch to start")
    rt.signal(signal.SIGTERM)
    assert rt.wait() == 0
    assert _seen(redis) == ["e0", "e1"]
    assert _pending(redis) == 0
