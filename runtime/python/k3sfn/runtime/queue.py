"""Queue trigger: batches from a Redis/Valkey list or stream, delivered at least once.

Lists (`K3SFN_QUEUE_TYPE=list`; producers RPUSH, workers take from the head):
- Each worker has an id (`<hostname>-<pid>-<random>`) and moves messages atomically from
  `<queue>` to its own `<queue>:processing:<id>` (LMOVE/BLMOVE), so a message is always in
  exactly one list.
- While alive it keeps `<queue>:heartbeat:<id>` (TTL = visibility timeout) fresh from a thread
  and lists itself in the set `<queue>:consumers`. Any worker moves the processing list of a
  worker whose heartbeat expired (it died) back to the head of `<queue>`.
- Success: the batch is removed from the processing list. Failure (exception or timeout):
  each message's attempt count (the hash `<queue>:attempts`, keyed by SHA-1 of the message's
  bytes) goes up; below K3SFN_MAX_ATTEMPTS the message goes back to the tail of `<queue>`, at
  it a JSON record {message, error, attempts, ...} is pushed to `<queue>:dead`. A message
  reclaimed from a dead worker counts as an attempt too (a message that kills its worker is
  not retried for ever). Identical messages share one count: the limitation of counting by
  content, as a list has no message ids.
Streams (`K3SFN_QUEUE_TYPE=stream`; producers XADD):
- Read with XREADGROUP in the consumer group (created at id 0 with MKSTREAM when missing),
  acknowledged with XACK after success. Entries pending longer than the visibility timeout
  (failed, or their worker died) are taken over with XAUTOCLAIM and delivered again; the
  stream's own delivery count decides: after K3SFN_MAX_ATTEMPTS deliveries the entry is XADDed
  to `<queue>:dead` (its fields plus k3sfn_error, k3sfn_attempts, k3sfn_id) and acknowledged.

The messages of one batch are handed to the function as a list: list messages as `str`
(`bytes` when not UTF-8), stream entries as a `dict` of their fields. Mode `job` handles one
batch and exits (0; 1 when the batch failed; 0 when nothing came within JOB_WAIT_SECONDS).
SIGTERM: the batch in hand is finished and settled, then the worker exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..context import Context, current
from .invoke import Handler, InvocationTimeout, StartupError

log = logging.getLogger("k3sfn.runtime.queue")

# How long one blocking read waits: also how soon a worker notices SIGTERM when idle.
BLOCK_SECONDS = 1.0
# Job mode: how long to wait for the first message before exiting 0 with nothing to do.
JOB_WAIT_SECONDS = 5.0

# Takes up to ARGV[1] messages: first what is already in this worker's processing list (a
# reply lost to a dropped connection, or the message a BLMOVE just moved), then from the
# queue. Returns message, attempts-so-far pairs.
_FETCH = """
local n = tonumber(ARGV[1])
local batch = redis.call('LRANGE', KEYS[2], 0, n - 1)
while #batch < n do
  local m = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not m then break end
  batch[#batch + 1] = m
end
local out = {}
for i, m in ipairs(batch) do
  out[2 * i - 1] = m
  out[2 * i] = redis.call('HGET', KEYS[3], redis.sha1hex(m)) or false
end
return out
"""

# Success: drop the messages from the processing list and forget their attempt counts.
_ACK = """
for i = 1, #ARGV do
  redis.call('LREM', KEYS[1], 1, ARGV[i])
  redis.call('HDEL', KEYS[2], redis.sha1hex(ARGV[i]))
end
return #ARGV
"""

# Failure: count an attempt for each message still in our processing list (another worker
# may have reclaimed it meanwhile), then requeue it at the tail or dead-letter it.
# ARGV: max attempts, error, function, queue, time, invocation id, messages...
_FAIL = """
local max = tonumber(ARGV[1])
local dead = 0
for i = 7, #ARGV do
  local m = ARGV[i]
  if redis.call('LREM', KEYS[1], 1, m) == 1 then
    local h = redis.sha1hex(m)
    local n = redis.call('HINCRBY', KEYS[3], h, 1)
    if n >= max then
      redis.call('RPUSH', KEYS[4], cjson.encode({message = m, error = ARGV[2], attempts = n,
        ['function'] = ARGV[3], queue = ARGV[4], failed_at = ARGV[5], invocation_id = ARGV[6]}))
      redis.call('HDEL', KEYS[3], h)
      dead = dead + 1
    else
      redis.call('RPUSH', KEYS[2], m)
    end
  end
end
return dead
"""

# Reclaim a dead worker's processing list, if its heartbeat has expired: each message back to
# the head of the queue in its order (an attempt counted), or to the dead letters.
# KEYS: heartbeat, processing, queue, attempts, dead, consumers. ARGV: worker id, max
# attempts, error, function, queue, time.
_RECLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local max = tonumber(ARGV[2])
local moved = 0
while true do
  local m = redis.call('RPOP', KEYS[2])
  if not m then break end
  local h = redis.sha1hex(m)
  local n = redis.call('HINCRBY', KEYS[4], h, 1)
  if n >= max then
    redis.call('RPUSH', KEYS[5], cjson.encode({message = m, error = ARGV[3], attempts = n,
      ['function'] = ARGV[4], queue = ARGV[5], failed_at = ARGV[6]}))
    redis.call('HDEL', KEYS[4], h)
  else
    redis.call('LPUSH', KEYS[3], m)
  end
  moved = moved + 1
end
redis.call('SREM', KEYS[6], ARGV[1])
return moved
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def _text(value: bytes) -> Any:
    """A message as the function sees it: str when it is UTF-8, else the bytes."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value


class ListQueue:
    def __init__(self, client, queue: str, batch_size: int, visibility: int, max_attempts: int, function: str, worker: str) -> None:
        self.client = client
        self.queue = queue
        self.batch_size = batch_size
        self.visibility = visibility
        self.max_attempts = max_attempts
        self.function = function
        self.id = worker
        self.processing = f"{queue}:processing:{worker}"
        self.heartbeat = f"{queue}:heartbeat:{worker}"
        self.consumers = f"{queue}:consumers"
        self.attempts = f"{queue}:attempts"
        self.dead = f"{queue}:dead"
        self._fetch = client.register_script(_FETCH)
        self._ack = client.register_script(_ACK)
        self._fail = client.register_script(_FAIL)
        self._reclaim = client.register_script(_RECLAIM)
        self._stop_beating = threading.Event()
        self._beater: Optional[threading.Thread] = None
        self._last_reclaim = 0.0

    # -- liveness ---------------------------------------------------------------------------

    def beat(self) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.heartbeat, f"{socket.gethostname()} {os.getpid()}", ex=self.visibility)
        pipe.sadd(self.consumers, self.id)
        pipe.execute()

    def start(self) -> None:
        # The heartbeat exists before any message is moved to our processing list, so no
        # other worker can mistake us for dead while we hold messages.
        self.beat()

        def beating() -> None:
            interval = max(0.2, self.visibility / 3)
            while not self._stop_beating.wait(interval):
                try:
                    self.beat()
                except Exception as error:  # the next beat may get through; expiry is the fallback
                    log.warning("heartbeat failed: %s", error)

        self._beater = threading.Thread(target=beating, name="k3sfn-heartbeat", daemon=True)
        self._beater.start()

    def close(self) -> None:
        self._stop_beating.set()
        if self._beater is not None:
            self._beater.join(timeout=5)
        try:
            # Leave the heartbeat to expire if we still hold messages (then they are reclaimed).
            if self.client.llen(self.processing) == 0:
                pipe = self.client.pipeline(transaction=True)
                pipe.delete(self.heartbeat)
                pipe.srem(self.consumers, self.id)
                pipe.execute()
        except Exception as error:
            log.warning("could not deregister worker %s: %s", self.id, error)

    def reclaim(self, force: bool = False) -> None:
        """Returns the messages of workers whose heartbeat expired; at most every visibility/2 s."""
        now = time.monotonic()
        if not force and now - self._last_reclaim < max(0.5, self.visibility / 2):
            return
        self._last_reclaim = now
        for raw in self.client.smembers(self.consumers):
            other = raw.decode()
            if other == self.id:
                continue
            keys = [
                f"{self.queue}:heartbeat:{other}",
                f"{self.queue}:processing:{other}",
                self.queue,
                self.attempts,
                self.dead,
                self.consumers,
            ]
            error = f"worker {other} stopped (heartbeat expired) while processing the message"
            moved = self._reclaim(keys=keys, args=[other, self.max_attempts, error, self.function, self.queue, _now()])
            if moved and moved > 0:
                log.warning("reclaimed %d message(s) of stopped worker %s", moved, other)

    # -- messages ---------------------------------------------------------------------------

    def fetch(self, wait: float) -> List[Tuple[bytes, int]]:
        """Up to batch_size (message, attempt) pairs, waiting up to `wait` seconds for the first."""
        keys = [self.queue, self.processing, self.attempts]
        reply = self._fetch(keys=keys, args=[self.batch_size])
        if not reply and wait > 0:
            if self.client.blmove(self.queue, self.processing, wait, "LEFT", "RIGHT") is None:
                return []
            reply = self._fetch(keys=keys, args=[self.batch_size])
        return [(reply[i], int(reply[i + 1] or 0) + 1) for i in range(0, len(reply), 2)]

    def payload(self, batch: List[Tuple[bytes, int]]) -> List[Any]:
        return [_text(message) for message, _ in batch]

    def ack(self, batch: List[Tuple[bytes, int]]) -> None:
        self._ack(keys=[self.processing, self.attempts], args=[m for m, _ in batch])

    def fail(self, batch: List[Tuple[bytes, int]], error: str, invocation_id: str) -> int:
        args = [self.max_attempts, error, self.function, self.queue, _now(), invocation_id]
        return self._fail(keys=[self.processing, self.queue, self.attempts, self.dead], args=args + [m for m, _ in batch])


class StreamQueue:
    def __init__(self, client, queue: str, group: str, batch_size: int, visibility: int, max_attempts: int, function: str, worker: str) -> None:
        self.client = client
        self.queue = queue
        self.group = group
        self.batch_size = batch_size
        self.visibility = visibility
        self.max_attempts = max_attempts
        self.function = function
        self.id = worker
        self.dead = f"{queue}:dead"
        self._last_reclaim = 0.0
        self._claimed: List[Tuple[bytes, Dict[bytes, bytes], int]] = []

    def start(self) -> None:
        import redis

        try:
            self.client.xgroup_create(self.queue, self.group, id="0", mkstream=True)
            log.info("created consumer group %s on %s", self.group, self.queue)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def close(self) -> None:
        try:
            info = self.client.xpending_range(self.queue, self.group, "-", "+", 1, consumername=self.id)
            if not info:
                self.client.xgroup_delconsumer(self.queue, self.group, self.id)
        except Exception as error:
            log.warning("could not remove consumer %s: %s", self.id, error)

    def reclaim(self, force: bool = False) -> None:
        """Takes over entries pending longer than the visibility timeout (XAUTOCLAIM); they are
        handed out by the next fetch. Also forgets long-idle consumers that hold nothing."""
        now = time.monotonic()
        if self._claimed or (not force and now - self._last_reclaim < max(0.5, self.visibility / 2)):
            return
        self._last_reclaim = now
        reply = self.client.xautoclaim(
            self.queue, self.group, self.id, min_idle_time=self.visibility * 1000, start_id="0-0", count=self.batch_size
        )
        entries = reply[1]
        # Entries deleted from the stream meanwhile come back without fields (Redis 6.2); drop them.
        gone = [entry_id for entry_id, fields in entries if fields is None]
        if gone:
            self.client.xack(self.queue, self.group, *gone)
        entries = [(entry_id, fields) for entry_id, fields in entries if fields is not None]
        if not entries:
            return
        counts = self._delivery_counts([entry_id for entry_id, _ in entries])
        for entry_id, fields in entries:
            delivered = counts.get(entry_id, 1)
            if delivered > self.max_attempts:
                # Its last delivery's worker died or timed out without a word: no error to show.
                self._dead_letter(entry_id, fields, "worker stopped while processing the entry", delivered - 1)
            else:
                self._claimed.append((entry_id, fields, delivered))
        if self._claimed:
            log.warning("took over %d pending entr(ies) idle for over %ds", len(self._claimed), self.visibility)
        self._forget_idle_consumers()

    def _delivery_counts(self, ids: List[bytes]) -> Dict[bytes, int]:
        pending = self.client.xpending_range(self.queue, self.group, ids[0], ids[-1], len(ids) * 2, consumername=self.id)
        return {item["message_id"]: int(item["times_delivered"]) for item in pending}

    def _forget_idle_consumers(self) -> None:
        threshold = max(600, self.visibility * 10) * 1000
        for consumer in self.client.xinfo_consumers(self.queue, self.group):
            name = consumer["name"].decode() if isinstance(consumer["name"], bytes) else consumer["name"]
            if name != self.id and int(consumer["pending"]) == 0 and int(consumer["idle"]) > threshold:
                self.client.xgroup_delconsumer(self.queue, self.group, name)

    def fetch(self, wait: float) -> List[Tuple[bytes, Dict[bytes, bytes], int]]:
        if self._claimed:
            batch, self._claimed = self._claimed[: self.batch_size], self._claimed[self.batch_size :]
            return batch
        block = int(wait * 1000) if wait > 0 else None
        reply = self.client.xreadgroup(self.group, self.id, {self.queue: ">"}, count=self.batch_size, block=block)
        if not reply:
            return []
        _, entries = reply[0]
        return [(entry_id, fields, 1) for entry_id, fields in entries if fields is not None]

    def payload(self, batch) -> List[Dict[str, Any]]:
        return [{_text(k) if isinstance(k, bytes) else k: _text(v) for k, v in fields.items()} for _, fields, _ in batch]

    def ack(self, batch) -> None:
        self.client.xack(self.queue, self.group, *[entry_id for entry_id, _, _ in batch])

    def fail(self, batch, error: str, invocation_id: str) -> int:
        """Entries at their last attempt go to the dead letters; the others stay pending and
        are delivered again once idle for the visibility timeout."""
        dead = 0
        for entry_id, fields, delivered in batch:
            if delivered >= self.max_attempts:
                self._dead_letter(entry_id, fields, error, delivered)
                dead += 1
        return dead

    def _dead_letter(self, entry_id: bytes, fields: Dict[bytes, bytes], error: str, attempts: int) -> None:
        record = dict(fields)
        record.update({b"k3sfn_error": error, b"k3sfn_attempts": str(attempts), b"k3sfn_id": entry_id})
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.dead, record)
        pipe.xack(self.queue, self.group, entry_id)
        pipe.execute()
        log.error("entry %s moved to %s after %d attempt(s): %s", entry_id.decode(), self.dead, attempts, error)


def _client(env):
    import redis

    address = env.text("K3SFN_QUEUE_ADDRESS", "localhost:6379" if env.meta is not None else None)
    if address is None:
        raise StartupError("K3SFN_QUEUE_ADDRESS is not set (host:port of the Redis/Valkey server)")
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise StartupError(f"K3SFN_QUEUE_ADDRESS={address!r} must be host:port")
    return redis.Redis(
        host=host.strip("[]"),
        port=int(port),
        db=env.integer("K3SFN_QUEUE_DATABASE", 0, minimum=0),
        password=env.text("K3SFN_QUEUE_PASSWORD"),
        ssl=env.flag("K3SFN_QUEUE_TLS"),
        socket_connect_timeout=5,
        # Above the longest blocking read, so a dead connection is noticed.
        socket_timeout=max(BLOCK_SECONDS, JOB_WAIT_SECONDS) + 10,
        health_check_interval=30,
    )


def prepare(handler: Handler, env, timeout: Optional[int]) -> Callable[[], int]:
    queue = env.text("K3SFN_QUEUE", env.decorated("queue_trigger", "queue_name"))
    if not queue:
        raise StartupError("K3SFN_QUEUE is not set (the list or stream to consume)")
    queue_type = env.choice("K3SFN_QUEUE_TYPE", ("list", "stream"), env.decorated("queue_trigger", "queue_type") or "list")
    mode = env.choice("K3SFN_QUEUE_MODE", ("worker", "job"), env.decorated("queue_trigger", "mode") or "worker")
    batch_size = env.integer("K3SFN_BATCH_SIZE", env.decorated("queue_trigger", "batch_size") or 1)
    visibility = env.integer("K3SFN_VISIBILITY_TIMEOUT", env.decorated("queue_trigger", "visibility_timeout") or 30)
    max_attempts = env.integer("K3SFN_MAX_ATTEMPTS", env.decorated("queue_trigger", "max_attempts") or 3)
    group = None
    if queue_type == "stream":
        group = env.text("K3SFN_CONSUMER_GROUP", env.decorated("queue_trigger", "consumer_group") or handler.name)
    client = _client(env)
    worker = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"
    if queue_type == "list":
        consumer: Any = ListQueue(client, queue, batch_size, visibility, max_attempts, handler.name, worker)
    else:
        consumer = StreamQueue(client, queue, group, batch_size, visibility, max_attempts, handler.name, worker)

    def run() -> int:
        return Worker(handler, consumer, timeout, mode == "job").run()

    return run


async def _cancel_pending() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Worker:
    def __init__(self, handler: Handler, consumer, timeout: Optional[int], job: bool) -> None:
        self.handler = handler
        self.consumer = consumer
        self.timeout = timeout
        self.job = job
        self.stopping = False

    def _stop(self, signum: int, _frame: Any) -> None:
        if not self.stopping:
            log.info("received %s: finishing the batch in hand, then exiting", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        import redis

        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        loop = asyncio.new_event_loop()
        consumer = self.consumer
        backoff = 0.5
        started = False
        job_deadline = time.monotonic() + JOB_WAIT_SECONDS
        kind = "stream" if isinstance(consumer, StreamQueue) else "list"
        log.info(
            "consuming %s %s as %s (batch %d, visibility %ds, %s)",
            kind, consumer.queue, consumer.id, consumer.batch_size, consumer.visibility, "job" if self.job else "worker",
        )
        try:
            while not self.stopping:
                try:
                    if not started:
                        consumer.start()
                        started = True
                    consumer.reclaim()
                    wait = BLOCK_SECONDS
                    if self.job:
                        wait = max(0.0, min(BLOCK_SECONDS, job_deadline - time.monotonic()))
                    batch = consumer.fetch(wait)
                    backoff = 0.5
                except redis.AuthenticationError as error:
                    # Retrying cannot help: let Kubernetes show the restarts and this line.
                    log.critical("the queue server refused K3SFN_QUEUE_PASSWORD: %s", error)
                    return 2
                except (redis.ConnectionError, redis.TimeoutError) as error:
                    log.warning("queue server unreachable (%s); retrying in %.1fs", error, backoff)
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if not batch:
                    if self.job and time.monotonic() >= job_deadline:
                        log.info("no message within %.0fs; nothing to do", JOB_WAIT_SECONDS)
                        return 0
                    continue
                ok = self._process(loop, batch)
                if self.job:
                    return 0 if ok else 1
            return 0
        finally:
            if started:
                consumer.close()
            loop.run_until_complete(_cancel_pending())  # the timeout watchdog
            loop.close()

    def _process(self, loop: asyncio.AbstractEventLoop, batch) -> bool:
        """Calls the function on one batch and settles it; True on success."""
        consumer = self.consumer
        attempt = max(item[-1] for item in batch)
        context = Context(self.handler.name, "queue", self.timeout, attempt=attempt)
        token = current.set(context)
        started = time.monotonic()
        try:
            try:
                values = {"messages": consumer.payload(batch), "context": context}
                loop.run_until_complete(self.handler(values, self.timeout))
            except InvocationTimeout as error:
                failure: Optional[str] = f"TimeoutError: the batch {error}"
                log.error("batch of %d failed (attempt %d): %s", len(batch), attempt, failure)
            except Exception as error:
                failure = _error_text(error)
                log.exception("batch of %d failed (attempt %d)", len(batch), attempt)
            else:
                failure = None
            # Settling must happen even while stopping; retry through a short outage.
            for delay in (0.5, 1, 2, 4, 8, None):
                try:
                    if failure is None:
                        consumer.ack(batch)
                        log.debug("batch of %d done in %.3fs", len(batch), time.monotonic() - started)
                    else:
                        dead = consumer.fail(batch, failure, context.invocation_id)
                        if dead:
                            log.error("%d message(s) moved to %s", dead, consumer.dead)
                    break
                except Exception as error:
                    if delay is None:
                        # The messages stay in our processing list / the PEL: delivered again later.
                        log.error("could not settle the batch: %s", error)
                        break
                    log.warning("settling the batch failed (%s); retrying in %ss", error, delay)
                    time.sleep(delay)
            return failure is None
        finally:
            current.reset(token)
