"""Startup errors: one JSON log line saying what is wrong, and exit code 2."""

from __future__ import annotations

import socket

import pytest

from conftest import free_port

SOURCE = '''
from k3sfn import http_trigger

@http_trigger(path="/hello")
async def hello(request):
    return {}

NOT_A_FUNCTION = 3
'''


def _start(project, start_runtime, files=None, **env):
    app = project(files or {"functions/__init__.py": "", "functions/api.py": SOURCE})
    base = {"K3SFN_MODULE": "functions.api", "K3SFN_FUNCTION": "hello", "K3SFN_TRIGGER": "http", "PORT": str(free_port()), "K3SFN_HTTP_HOST": "127.0.0.1"}
    base.update(env)
    rt = start_runtime(app, **{k: v for k, v in base.items() if v is not None})
    code = rt.wait(20)
    lines = rt.logs()
    return code, lines


@pytest.mark.parametrize(
    "env, message",
    [
        ({"K3SFN_MODULE": "functions.nope"}, "module functions.nope not found"),
        ({"K3SFN_MODULE": "functions..api"}, "not a Python module name"),
        ({"K3SFN_FUNCTION": "goodbye"}, "has no function goodbye"),
        ({"K3SFN_FUNCTION": "NOT_A_FUNCTION"}, "is not callable"),
        ({"K3SFN_FUNCTION": None, "K3SFN_MODULE": None}, "K3SFN_MODULE and K3SFN_FUNCTION"),
        ({"K3SFN_TRIGGER": "cron"}, "K3SFN_TRIGGER='cron' must be one of http, queue, schedule"),
        ({"K3SFN_TRIGGER": "queue"}, "decorated with @http_trigger but K3SFN_TRIGGER=queue"),
        ({"PORT": "eighty"}, "PORT='eighty' is not an integer"),
        ({"K3SFN_TIMEOUT": "0"}, "K3SFN_TIMEOUT=0 must be at least 1"),
        ({"K3SFN_HTTP_METHODS": "GET,FETCH"}, "'FETCH' is not one of"),
        ({"K3SFN_HTTP_PATHS": "hello"}, "must start with /"),
        ({"K3SFN_AUTH": "basic"}, "K3SFN_AUTH='basic' must be one of none, api_key, jwt"),
        ({"K3SFN_AUTH": "api_key", "K3SFN_AUTH_DIR": "/nonexistent/k3sfn"}, "cannot read /nonexistent/k3sfn/api-key"),
        ({"K3SFN_AUTH": "jwt", "K3SFN_AUTH_DIR": "/nonexistent/k3sfn"}, "cannot read /nonexistent/k3sfn/jwt-key"),
    ],
)
def test_bad_environment_exits_2_with_one_json_line(project, start_runtime, env, message):
    code, lines = _start(project, start_runtime, **env)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0]["level"] == "CRITICAL"
    assert message in lines[0]["message"]


def test_import_error_inside_the_module_exits_2_with_its_traceback(project, start_runtime):
    files = {"functions/__init__.py": "", "functions/api.py": "import numpy_that_is_not_installed\n"}
    code, lines = _start(project, start_runtime, files)
    assert code == 2 and len(lines) == 1
    assert "importing functions.api failed" in lines[0]["message"]
    assert "numpy_that_is_not_installed" in lines[0]["exc_info"]


def test_unfillable_parameter_exits_2(project, start_runtime):
    files = {"functions/__init__.py": "", "functions/api.py": "async def hello(request, user_id):\n    return {}\n"}
    code, lines = _start(project, start_runtime, files)
    assert code == 2 and "`user_id`" in lines[0]["message"]


def test_port_in_use_exits_2(project, start_runtime):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, lines = _start(project, start_runtime, PORT=str(taken.getsockname()[1]))
    assert code == 2 and "cannot listen on 127.0.0.1:" in lines[0]["message"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "K3SFN_QUEUE is not set"),
        ({"K3SFN_QUEUE": "q", "K3SFN_QUEUE_TYPE": "kafka"}, "K3SFN_QUEUE_TYPE='kafka'"),
        ({"K3SFN_QUEUE": "q", "K3SFN_QUEUE_MODE": "daemon"}, "K3SFN_QUEUE_MODE='daemon'"),
        ({"K3SFN_QUEUE": "q", "K3SFN_BATCH_SIZE": "0"}, "K3SFN_BATCH_SIZE=0 must be at least 1"),
        ({"K3SFN_QUEUE": "q", "K3SFN_MAX_ATTEMPTS": "x"}, "K3SFN_MAX_ATTEMPTS='x' is not an integer"),
        ({"K3SFN_QUEUE": "q"}, "K3SFN_QUEUE_ADDRESS is not set"),
        ({"K3SFN_QUEUE": "q", "K3SFN_QUEUE_ADDRESS": "valkey"}, "must be host:port"),
        ({"K3SFN_QUEUE": "q", "K3SFN_QUEUE_ADDRESS": "h:1", "K3SFN_QUEUE_TLS": "maybe"}, "K3SFN_QUEUE_TLS='maybe' must be true or false"),
    ],
)
def test_bad_queue_environment_exits_2(project, start_runtime, env, message):
    files = {"functions/__init__.py": "", "functions/api.py": "def hello(messages):\n    pass\n"}
    code, lines = _start(project, start_runtime, files, K3SFN_TRIGGER="queue", PORT=None, **env)
    assert code == 2 and len(lines) == 1 and message in lines[0]["message"], lines
