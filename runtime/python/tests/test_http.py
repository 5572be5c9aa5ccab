"""The HTTP runtime, started as `python -m k3sfn.runtime` and reached over real HTTP."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time

import pytest

from conftest import free_port, request, wait_until

API = '''
import asyncio, logging, time
from k3sfn import Context, HTTPException, Request, Response, http_trigger, serverless

log = logging.getLogger("user.api")


@serverless(visibility="public", timeout=10)
@http_trigger(path="/hello", methods=["GET"])
async def hello(request: Request):
    name = request.query_params.get("name", "World")
    return {"message": f"Hello, {name}!"}


@http_trigger(path="/items/{item_id}")
async def item(request, context: Context):
    log.info("item %s", request.path_params["item_id"])
    return {
        "id": request.path_params["item_id"],
        "query": dict(request.query_params),
        "invocation_id": context.invocation_id,
        "trigger": context.trigger,
        "function": context.function,
        "timestamp": context.timestamp.isoformat(),
        "remaining": context.remaining,
    }


@http_trigger(path="/sync")
def sync_text(request, context):
    logging.getLogger("user.sync").info("from a thread")
    return f"sync {context.invocation_id}"


@http_trigger(path="/bytes")
def raw():
    return b"\\x00\\x01binary"


@http_trigger(path="/none")
async def nothing(context):
    return None


@http_trigger(path="/response")
async def custom(request):
    return Response("created", status_code=201, headers={"X-Custom": "yes"})


@http_trigger(path="/echo", methods=["POST", "PUT"])
@serverless(memory="64Mi")
async def echo(request: Request):
    body = await request.body()
    return {"method": request.method, "length": len(body), "data": await request.json()}


@http_trigger(path="/slow")
async def slow(request):
    await asyncio.sleep(float(request.query_params.get("s", "5")))
    return {"slept": True}


@http_trigger(path="/slow-sync")
def slow_sync(request):
    time.sleep(float(request.query_params.get("s", "5")))
    return {"slept": True}


@http_trigger(path="/boom")
async def boom(request):
    raise RuntimeError("secret detail 42")


@http_trigger(path="/teapot")
async def teapot(request):
    raise HTTPException(418, "short and stout")


@http_trigger(path="/claims")
async def claims(request, context):
    return {"claims": context.claims}


@http_trigger(path="/drain")
async def drain(request):
    log.info("request started")
    await asyncio.sleep(1.5)
    return {"finished": True}


@http_trigger(path="/unsupported")
async def unsupported(request):
    return object()
'''


def test_get_with_query_parameter(http_runtime):
    rt = http_runtime(API, "hello", K3SFN_HTTP_METHODS="GET", K3SFN_HTTP_PATHS="/hello")
    reply = rt.request("GET", "/hello?name=Ada")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"message": "Hello, Ada!"}
    assert rt.request("GET", "/hello").json() == {"message": "Hello, World!"}


def test_path_parameters_and_paths_outside_k3sfn_http_paths(http_runtime):
    rt = http_runtime(API, "item", K3SFN_HTTP_PATHS="/items/{item_id},/v2/items/{item_id}", K3SFN_TIMEOUT="7")
    reply = rt.request("GET", "/items/42?color=red&size=9")
    assert reply.status == 200, (reply, rt.stdout)
    body = reply.json()
    assert body["id"] == "42"
    assert body["query"] == {"color": "red", "size": "9"}
    assert body["trigger"] == "http" and body["function"] == "item"
    assert body["timestamp"].endswith("+00:00")
    assert 0 < body["remaining"] <= 7
    assert rt.request("GET", "/v2/items/abc").json()["id"] == "abc"
    assert rt.request("GET", "/elsewhere").status == 404
    assert rt.request("GET", "/items").status == 404


def test_every_path_when_k3sfn_http_paths_is_unset(http_runtime):
    rt = http_runtime(API, "hello")
    for path in ("/", "/hello", "/some/other/path"):
        assert rt.request("GET", path + "?name=x").json() == {"message": "Hello, x!"}


def test_methods_outside_k3sfn_http_methods_are_405_with_allow(http_runtime):
    rt = http_runtime(API, "hello", K3SFN_HTTP_METHODS="GET")
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        reply = rt.request(method, "/hello")
        assert reply.status == 405, method
        assert reply.headers["allow"] == "GET, HEAD"
    head = rt.request("HEAD", "/hello")
    assert head.status == 200 and head.body == b""

    rt = http_runtime(API, "echo", K3SFN_HTTP_METHODS="POST,PUT")
    assert rt.request("GET", "/echo").headers["allow"] == "POST, PUT"
    reply = rt.request("PUT", "/echo", body={"a": [1, 2]})
    assert reply.status == 200
    assert reply.json() == {"method": "PUT", "length": len(json.dumps({"a": [1, 2]})), "data": {"a": [1, 2]}}


@pytest.mark.parametrize(
    "function, status, content_type, body",
    [
        ("raw", 200, "application/octet-stream", b"\x00\x01binary"),
        ("nothing", 204, None, b""),
        ("custom", 201, None, b"created"),  # a Response is sent as is
    ],
)
def test_return_values(http_runtime, function, status, content_type, body):
    rt = http_runtime(API, function)
    reply = rt.request("GET", "/")
    assert reply.status == status
    assert reply.headers.get("content-type") == content_type
    assert reply.body == body
    if function == "custom":
        assert reply.headers["x-custom"] == "yes"


def test_sync_handler_returns_text_and_logs_with_its_invocation_id(http_runtime):
    rt = http_runtime(API, "sync_text")
    reply = rt.request("GET", "/sync")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    invocation_id = reply.text.split()[1]
    entry = rt.wait_for_log(lambda e: e["message"] == "from a thread")
    assert entry["invocation_id"] == invocation_id
    assert entry["logger"] == "user.sync" and entry["level"] == "INFO" and entry["function"] == "sync_text"


def test_logs_are_json_lines_carrying_the_invocation_id(http_runtime):
    rt = http_runtime(API, "item", K3SFN_HTTP_PATHS="/items/{item_id}")
    first = rt.request("GET", "/items/1").json()["invocation_id"]
    second = rt.request("GET", "/items/2", headers={"X-Request-ID": "req-abc-123"}).json()["invocation_id"]
    assert second == "req-abc-123"
    assert first != second and len(first) == 32
    one = rt.wait_for_log(lambda e: e["message"] == "item 1")
    two = rt.wait_for_log(lambda e: e["message"] == "item 2")
    assert one["invocation_id"] == first and two["invocation_id"] == second
    assert set(one) >= {"time", "level", "logger", "message", "function", "invocation_id"}
    assert one["time"].endswith("Z")
    # A header that is not id-like is not used as one.
    third = rt.request("GET", "/items/3", headers={"X-Request-ID": "bad id with spaces"}).json()["invocation_id"]
    assert third != "bad id with spaces"
    rt.logs()  # every line of stdout is JSON


@pytest.mark.parametrize("function, path", [("slow", "/slow?s=5"), ("slow_sync", "/slow-sync?s=5")])
def test_over_k3sfn_timeout_is_504(http_runtime, function, path):
    rt = http_runtime(API, function, K3SFN_TIMEOUT="1")
    started = time.monotonic()
    reply = rt.request("GET", path)
    elapsed = time.monotonic() - started
    assert reply.status == 504
    assert reply.json()["error"] == "Gateway Timeout"
    assert 0.9 < elapsed < 3.5
    # Still serving (a sync handler's thread is abandoned, not waited for).
    assert rt.request("GET", "/_k3sfn/health").status == 200
    assert rt.request("GET", "/slow?s=0.01").status == 200
    entry = rt.wait_for_log(lambda e: e["level"] == "ERROR" and "K3SFN_TIMEOUT" in e["message"])
    assert entry["invocation_id"] == reply.json()["invocation_id"]


def test_exception_is_500_with_a_generic_body_and_the_traceback_in_the_log(http_runtime):
    rt = http_runtime(API, "boom")
    reply = rt.request("GET", "/boom")
    assert reply.status == 500
    assert reply.json()["error"] == "Internal Server Error"
    assert b"secret detail" not in reply.body and b"Traceback" not in reply.body and b"RuntimeError" not in reply.body
    entry = rt.wait_for_log(lambda e: e["level"] == "ERROR" and "exc_info" in e)
    assert "Traceback" in entry["exc_info"] and "RuntimeError: secret detail 42" in entry["exc_info"]
    assert entry["exc_type"] == "RuntimeError"
    assert entry["invocation_id"] == reply.json()["invocation_id"]
    assert "secret detail" not in rt.stderr  # not printed outside the JSON log either


def test_unsupported_return_value_is_500(http_runtime):
    rt = http_runtime(API, "unsupported")
    assert rt.request("GET", "/").status == 500
    entry = rt.wait_for_log(lambda e: e.get("exc_type") == "TypeError")
    assert "returned a object" in entry["exc_info"]


def test_http_exception_keeps_its_status(http_runtime):
    rt = http_runtime(API, "teapot")
    reply = rt.request("GET", "/teapot")
    assert reply.status == 418
    assert b"short and stout" in reply.body


def test_health_endpoint_is_reserved_and_never_reaches_the_function(http_runtime, tmp_path):
    keys = tmp_path / "auth"
    keys.mkdir()
    (keys / "api-key").write_text("k1\n")
    rt = http_runtime(API, "hello", K3SFN_HTTP_METHODS="POST", K3SFN_AUTH="api_key", K3SFN_AUTH_DIR=str(keys))
    health = rt.request("GET", "/_k3sfn/health")
    assert health.status == 200  # no key, a method the function does not allow
    assert health.json() == {"status": "ok", "function": "hello"}
    assert rt.request("HEAD", "/_k3sfn/health").status == 200
    # The function is served at every path, yet not under the reserved prefix.
    reply = rt.request("POST", "/_k3sfn/anything", headers={"X-API-Key": "k1"})
    assert reply.status == 404 and b"Hello" not in reply.body
    assert rt.request("POST", "/anything", headers={"X-API-Key": "k1"}).status == 200


def test_sigterm_finishes_the_request_in_flight_then_exits_0(http_runtime):
    rt = http_runtime(API, "drain", K3SFN_TIMEOUT="10")
    result = {}

    def call():
        result["reply"] = rt.request("GET", "/drain", timeout=10)

    thread = threading.Thread(target=call)
    thread.start()
    rt.wait_for_log(lambda e: e["message"] == "request started")
    rt.signal(signal.SIGTERM)
    # New connections are refused once uvicorn stops listening.
    wait_until(lambda: _refused(rt.port), 5, what="the listener to close")
    thread.join(10)
    assert result["reply"].status == 200
    assert result["reply"].json() == {"finished": True}
    assert rt.wait() == 0


def _refused(port: int) -> bool:
    try:
        request("GET", port, "/_k3sfn/health", timeout=1)
    except OSError:
        return True
    return False


# -- auth --------------------------------------------------------------------------------------


def test_api_key(http_runtime, tmp_path):
    (tmp_path / "api-key").write_text("first-key\n\n  second-key  \n")
    rt = http_runtime(API, "hello", K3SFN_AUTH="api_key", K3SFN_AUTH_DIR=str(tmp_path))
    missing = rt.request("GET", "/hello")
    assert missing.status == 401 and missing.json()["error"] == "Unauthorized"
    assert rt.request("GET", "/hello", headers={"X-API-Key": "wrong"}).status == 401
    assert rt.request("GET", "/hello", headers={"X-API-Key": "first-key-and-more"}).status == 401
    assert rt.request("GET", "/hello", headers={"X-API-Key": "first-key"}).status == 200
    assert rt.request("GET", "/hello", headers={"x-api-key": "second-key"}).json() == {"message": "Hello, World!"}


def test_api_key_custom_header(http_runtime, tmp_path):
    (tmp_path / "api-key").write_text("k\n")
    rt = http_runtime(API, "hello", K3SFN_AUTH="api_key", K3SFN_AUTH_DIR=str(tmp_path), K3SFN_API_KEY_HEADER="X-Token")
    assert rt.request("GET", "/", headers={"X-API-Key": "k"}).status == 401
    assert rt.request("GET", "/", headers={"X-Token": "k"}).status == 200


def _rsa_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, public


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_jwt_rsa_public_key(http_runtime, tmp_path):
    import jwt

    key, public = _rsa_pair()
    other, _ = _rsa_pair()
    (tmp_path / "jwt-key").write_bytes(public)
    rt = http_runtime(API, "claims", K3SFN_AUTH="jwt", K3SFN_AUTH_DIR=str(tmp_path))
    now = int(time.time())
    good = jwt.encode({"sub": "ada", "exp": now + 60}, key, algorithm="RS256")
    reply = rt.request("GET", "/", headers=_bearer(good))
    assert reply.status == 200
    assert reply.json()["claims"]["sub"] == "ada"

    missing = rt.request("GET", "/")
    assert missing.status == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    expired = jwt.encode({"sub": "ada", "exp": now - 60}, key, algorithm="RS256")
    not_yet = jwt.encode({"sub": "ada", "nbf": now + 300, "exp": now + 600}, key, algorithm="RS256")
    wrong_key = jwt.encode({"sub": "ada", "exp": now + 60}, other, algorithm="RS256")
    # Algorithm confusion: an HMAC token "signed" with the public key as the secret.
    confused = _hs256_with_secret({"sub": "ada", "exp": now + 60}, public)
    for token in (expired, not_yet, wrong_key, confused, "not.a.token"):
        assert rt.request("GET", "/", headers=_bearer(token)).status == 401, token
    assert rt.request("GET", "/", headers={"Authorization": good}).status == 401  # no Bearer scheme


def _hs256_with_secret(claims: dict, secret: bytes) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + b64(json.dumps(claims).encode())
    return (signing + b"." + b64(hmac.new(secret, signing, hashlib.sha256).digest())).decode()


def test_jwt_hmac_secret_with_audience_and_issuer(http_runtime, tmp_path):
    import jwt

    secret = "a-shared-secret-of-at-least-32-bytes!!"
    (tmp_path / "jwt-key").write_text(secret + "\n")
    rt = http_runtime(
        API, "claims", K3SFN_AUTH="jwt", K3SFN_AUTH_DIR=str(tmp_path), K3SFN_JWT_AUDIENCE="toolbox", K3SFN_JWT_ISSUER="https://issuer.test"
    )
    exp = int(time.time()) + 60
    good = jwt.encode({"sub": "x", "aud": "toolbox", "iss": "https://issuer.test", "exp": exp}, secret, algorithm="HS256")
    assert rt.request("GET", "/", headers=_bearer(good)).status == 200
    for claims in (
        {"sub": "x", "iss": "https://issuer.test", "exp": exp},  # no audience
        {"sub": "x", "aud": "other", "iss": "https://issuer.test", "exp": exp},
        {"sub": "x", "aud": "toolbox", "exp": exp},  # no issuer
        {"sub": "x", "aud": "toolbox", "iss": "https://evil.test", "exp": exp},
    ):
        assert rt.request("GET", "/", headers=_bearer(jwt.encode(claims, secret, algorithm="HS256"))).status == 401, claims
    wrong = jwt.encode({"aud": "toolbox", "iss": "https://issuer.test", "exp": exp}, "another-secret-of-at-least-32-bytes!!", algorithm="HS256")
    assert rt.request("GET", "/", headers=_bearer(wrong)).status == 401


def test_jwt_jwks(http_runtime, tmp_path):
    import jwt
    from jwt.algorithms import RSAAlgorithm

    key, _ = _rsa_pair()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "key-1", "alg": "RS256", "use": "sig"})
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    rt = http_runtime(API, "claims", K3SFN_AUTH="jwt", K3SFN_AUTH_DIR=str(tmp_path))
    exp = int(time.time()) + 60
    good = jwt.encode({"sub": "j", "exp": exp}, key, algorithm="RS256", headers={"kid": "key-1"})
    assert rt.request("GET", "/", headers=_bearer(good)).json()["claims"]["sub"] == "j"
    unknown = jwt.encode({"sub": "j", "exp": exp}, key, algorithm="RS256", headers={"kid": "key-2"})
    assert rt.request("GET", "/", headers=_bearer(unknown)).status == 401


# -- CORS --------------------------------------------------------------------------------------


def test_cors_preflight_and_simple_requests(http_runtime):
    rt = http_runtime(
        API,
        "echo",
        K3SFN_HTTP_METHODS="POST,PUT",
        K3SFN_CORS_ALLOW_ORIGINS="https://app.example.com",
        K3SFN_CORS_ALLOW_HEADERS="Content-Type,Authorization",
        K3SFN_CORS_MAX_AGE="600",
    )
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    reply = rt.request("OPTIONS", "/echo", headers=preflight)
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "POST" in reply.headers["access-control-allow-methods"]
    assert reply.headers["access-control-max-age"] == "600"

    refused = rt.request("OPTIONS", "/echo", headers={**preflight, "Origin": "https://evil.example.com"})
    assert refused.status == 400 and "access-control-allow-origin" not in refused.headers
    wrong_method = rt.request("OPTIONS", "/echo", headers={**preflight, "Access-Control-Request-Method": "DELETE"})
    assert wrong_method.status == 400

    simple = rt.request("POST", "/echo", headers={"Origin": "https://app.example.com"}, body={"x": 1})
    assert simple.status == 200 and simple.headers["access-control-allow-origin"] == "https://app.example.com"


def test_no_cors_headers_when_unconfigured(http_runtime):
    rt = http_runtime(API, "echo", K3SFN_HTTP_METHODS="POST,PUT")
    reply = rt.request("POST", "/echo", headers={"Origin": "https://app.example.com"}, body={})
    assert reply.status == 200 and not any(h.startswith("access-control-") for h in reply.headers)
    preflight = rt.request("OPTIONS", "/echo", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
    assert preflight.status == 405


# -- local use ---------------------------------------------------------------------------------


def test_local_mode_takes_path_methods_and_timeout_from_the_decorators(project, start_runtime):
    """Without K3SFN_TRIGGER (outside k3s) the decorators say what to serve; the function may
    be named on the command line."""
    app = project({"functions/__init__.py": "", "functions/api.py": API})
    command = [sys.executable, "-m", "k3sfn.runtime", "functions.api:hello"]
    rt = start_runtime(app, command, PORT=str(free_port()), K3SFN_HTTP_HOST="127.0.0.1")
    rt.wait_healthy()
    assert rt.request("GET", "/hello?name=local").json() == {"message": "Hello, local!"}
    assert rt.request("GET", "/elsewhere").status == 404  # only the decorator's path
    assert rt.request("POST", "/hello").status == 405  # only the decorator's methods
