"""End to end from k3s's own output: the runtime started exactly as the rendered manifests and
the generated Dockerfile say, for every function of examples/functions.

k3s renders `examples/functions/apps.yaml` for the `local` environment; each function
container's command/args (else the Dockerfile's ENTRYPOINT/CMD) and env are taken from the
Deployment / CronJob / ScaledJob as written. Values from Secrets and fieldRefs get test values
(SECRETS, FIELDS below). What stands in for the cluster, and only that, is overridden
(OVERRIDDEN): each pod's own network namespace (PORT on a free loopback port, listening on
127.0.0.1), the platform's Valkey (K3SFN_QUEUE_ADDRESS -> the test Redis, which requires the
password the Secret would hold), the mail server (SMTP_HOST/SMTP_PORT -> a local SMTP sink with
STARTTLS and AUTH), and `python` (the test venv's, first on PATH). The project's sources are
laid out in a directory standing for the image's WORKDIR by replaying the Dockerfile's COPY
instructions (heredocs included) from the build context that `k3s build-plan` reports.

The k3s binary: $K3S_BIN, else target/debug/k3s under the repository root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from conftest import PACKAGE_ROOT, REPO_ROOT, RedisServer, Runtime, free_port, request, wait_until

yaml = pytest.importorskip("yaml")

K3S = Path(os.environ.get("K3S_BIN") or REPO_ROOT / "target" / "debug" / "k3s")
APPS = REPO_ROOT / "examples" / "functions" / "apps.yaml"
QUEUE_PASSWORD = "valkey-test-password"
SMTP_USER, SMTP_PASSWORD = "mailer", "mail-password"
SECRETS = {("valkey-auth", "password"): QUEUE_PASSWORD}
API_KEY, JWT_SECRET = "test-api-key", "test-jwt-hmac-secret-of-32-bytes!"
# Secrets by name: their keys, as envFrom variables or as the files of a Secret volume.
SECRET_OBJECTS = {
    "smtp-credentials": {"SMTP_USERNAME": SMTP_USER, "SMTP_PASSWORD": SMTP_PASSWORD},
    "toolbox-keys": {"api-key": API_KEY + "\n", "jwt-key": JWT_SECRET},  # failure_project's auth Secret
}
FIELDS = {"metadata.name": "pod-0", "metadata.namespace": "functions", "status.podIP": "127.0.0.1", "spec.nodeName": "node-0"}
HEALTH_PATH = "/_k3sfn/health"


# -- what k3s wrote ----------------------------------------------------------------------------


def _k3s(apps: Path, *args: str) -> str:
    done = subprocess.run([str(K3S), "-f", str(apps), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"k3s {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


class Rendered:
    def __init__(self, apps: Path = APPS) -> None:
        self.documents = [d for d in yaml.safe_load_all(_k3s(apps, "generate", "--env", "local", "--stdout")) if d]
        out = Path(tempfile.mkdtemp(prefix="k3s-tree-"))
        try:
            _k3s(apps, "generate", "--env", "local", "--output-dir", str(out))
            self.dockerfile = (out / "local" / "serverless" / "toolbox" / "Dockerfile").read_text()
        finally:
            shutil.rmtree(out, ignore_errors=True)
        plan = json.loads(_k3s(apps, "build-plan", "--env", "local"))
        (image,) = [i for i in plan["images"] if i["name"] == "toolbox"]
        self.context = (apps.parent / image["context"]).resolve()
        # function name -> (workload document, pod spec, container)
        self.functions: Dict[str, Tuple[dict, dict, dict]] = {}
        for doc in self.documents:
            pod = _pod_spec(doc)
            for container in (pod or {}).get("containers", []):
                names = [e.get("value") for e in container.get("env", []) if e["name"] == "K3SFN_FUNCTION"]
                if names:
                    self.functions[names[0]] = (doc, pod, container)


def _pod_spec(doc: dict) -> Optional[dict]:
    spec = doc.get("spec") or {}
    if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
        return spec["template"]["spec"]
    if doc["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if doc["kind"] == "ScaledJob":
        return spec["jobTargetRef"]["template"]["spec"]
    return None


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    if not K3S.exists():
        pytest.skip(f"no k3s binary at {K3S}: run `cargo build` in {REPO_ROOT}, or set K3S_BIN")
    return Rendered()


# -- the image, laid out -----------------------------------------------------------------------


def parse_dockerfile(text: str) -> List[Tuple[str, str, Dict[str, str]]]:
    """(INSTRUCTION, arguments, {heredoc delimiter: content}) in order; continuation lines
    joined, comments dropped."""
    lines = text.splitlines()
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + " " + lines[i].strip()
            i += 1
        instruction, _, arguments = line.strip().partition(" ")
        heredocs = {}
        for strip_tabs, delimiter in re.findall(r"<<(-?)[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?", arguments):
            body = []
            while i < len(lines) and (lines[i].lstrip("\t") if strip_tabs else lines[i]) != delimiter:
                body.append(lines[i].lstrip("\t") if strip_tabs else lines[i])
                i += 1
            i += 1  # the delimiter line
            heredocs[delimiter] = "\n".join(body) + "\n"
        out.append((instruction.upper(), arguments.strip(), heredocs))
    return out


class Image:
    """The Dockerfile replayed into `root` (standing for the image's /): COPY from the build
    context and COPY heredocs; WORKDIR, ENV, ENTRYPOINT and CMD remembered."""

    def __init__(self, dockerfile: str, context: Path, root: Path) -> None:
        self.root = root
        self.workdir = "/"
        self.env: Dict[str, str] = {}
        self.entrypoint: List[str] = []
        self.cmd: List[str] = []
        self.embedded: Dict[str, str] = {}  # absolute image path -> heredoc content
        for instruction, arguments, heredocs in parse_dockerfile(dockerfile):
            if instruction == "WORKDIR":
                self.workdir = os.path.join(self.workdir, arguments)
                self.path(self.workdir).mkdir(parents=True, exist_ok=True)
            elif instruction == "ENV":
                self.env.update(_env_pairs(arguments))
            elif instruction in ("CMD", "ENTRYPOINT"):
                value = json.loads(arguments)  # exec form, as k3s writes it
                if instruction == "CMD":
                    self.cmd = value
                else:
                    self.entrypoint = value
            elif instruction == "COPY":
                words = [w for w in arguments.split() if not w.startswith("--")]
                *sources, dest = words
                for source in sources:
                    match = re.fullmatch(r"<<-?[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?", source)
                    if match:
                        target = self.image_path(dest)
                        self.embedded[target] = heredocs[match.group(1)]
                        self.path(target).parent.mkdir(parents=True, exist_ok=True)
                        self.path(target).write_text(heredocs[match.group(1)])
                    else:
                        self._copy(context / source, dest)

    def image_path(self, dest: str) -> str:
        return os.path.normpath(os.path.join(self.workdir, dest))

    def path(self, image_path: str) -> Path:
        return self.root / image_path.lstrip("/")

    def _copy(self, source: Path, dest: str) -> None:
        target = self.path(self.image_path(dest))
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            if dest.endswith("/"):
                target = target / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _env_pairs(arguments: str) -> Dict[str, str]:
    import shlex

    words = shlex.split(arguments)
    if len(words) >= 2 and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}  # the legacy `ENV NAME value` form
    return dict(word.split("=", 1) for word in words)


@pytest.fixture(scope="module")
def image(rendered, tmp_path_factory) -> Image:
    return Image(rendered.dockerfile, rendered.context, tmp_path_factory.mktemp("image"))


# -- a pod, started as rendered ----------------------------------------------------------------


def container_env(container: dict, image: Image) -> Dict[str, str]:
    """The container's environment as Kubernetes would build it (image ENV, envFrom, env)."""
    env = dict(image.env)
    for source in container.get("envFrom", []):
        ref = source.get("secretRef")
        assert ref and ref["name"] in SECRET_OBJECTS, f"no test values for envFrom {source}"
        env.update({source.get("prefix", "") + k: v for k, v in SECRET_OBJECTS[ref["name"]].items()})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) in SECRETS, f"no test value for Secret {ref['name']}/{ref['key']}"
            env[item["name"]] = SECRETS[(ref["name"], ref["key"])]
        elif "fieldRef" in item.get("valueFrom", {}):
            env[item["name"]] = FIELDS[item["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            raise AssertionError(f"cannot resolve env {item}")
    # Image paths in variables point into the laid-out image.
    for name, value in env.items():
        if value.startswith("/") and image.path(value).exists():
            env[name] = str(image.path(value))
    return env


def container_command(container: dict, image: Image) -> List[str]:
    """Kubernetes' rule: command replaces ENTRYPOINT, args replaces CMD (and command alone drops CMD)."""
    entrypoint = container.get("command") or image.entrypoint
    if "args" in container:
        args = container["args"]
    elif "command" in container:
        args = []
    else:
        args = image.cmd
    return list(entrypoint) + list(args)


OVERRIDDEN = ("PORT", "K3SFN_HTTP_HOST", "K3SFN_QUEUE_ADDRESS", "SMTP_HOST", "SMTP_PORT", "PATH")


def mount_secret_volumes(pod: dict, container: dict, image: Image) -> None:
    """Writes the test values of every Secret volume the container mounts at its mountPath in
    the laid-out image, as the kubelet would (a key per file)."""
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            continue
        assert secret["secretName"] in SECRET_OBJECTS, f"no test values for Secret volume {secret}"
        target = image.path(mount["mountPath"])
        target.mkdir(parents=True, exist_ok=True)
        for key, value in SECRET_OBJECTS[secret["secretName"]].items():
            (target / key).write_text(value)


def start_pod(rendered: Rendered, image: Image, function: str, **overrides: str) -> Runtime:
    assert set(overrides) <= set(OVERRIDDEN), overrides
    _, pod, container = rendered.functions[function]
    mount_secret_volumes(pod, container, image)
    env = container_env(container, image)
    env.setdefault("HOME", image.path(image.workdir).as_posix())
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")
    env.update(overrides)
    return Runtime(image.path(image.workdir), env, container_command(container, image))


@pytest.fixture
def pods():
    started: List[Runtime] = []
    yield started
    for pod in started:
        pod.stop()


def _env_of(rendered: Rendered, function: str) -> Dict[str, str]:
    _, _, container = rendered.functions[function]
    return {e["name"]: e.get("value") for e in container.get("env", [])}


# -- the tests ---------------------------------------------------------------------------------


def test_every_example_function_is_rendered_with_the_runtime_contract(rendered):
    assert set(rendered.functions) == {"hello", "echo", "summarize", "send_emails", "nightly_report"}
    triggers = {name: _env_of(rendered, name)["K3SFN_TRIGGER"] for name in rendered.functions}
    assert triggers == {"hello": "http", "echo": "http", "summarize": "http", "send_emails": "queue", "nightly_report": "schedule"}
    modules = {name: _env_of(rendered, name)["K3SFN_MODULE"] for name in rendered.functions}
    assert modules == {
        "hello": "functions.api",
        "echo": "functions.api",
        "summarize": "functions.stats",
        "send_emails": "functions.workers.emails",
        "nightly_report": "functions.reports.nightly",
    }


@pytest.mark.parametrize(
    "function, method, path, body, expected",
    [
        ("hello", "GET", "/hello?name=k3s", None, {"message": "Hello, k3s!"}),
        ("echo", "POST", "/echo", b"ping", {"method": "POST", "length": 4, "body": "ping"}),
        ("summarize", "POST", "/stats/summary", {"values": [1, 2, 3, 4]}, None),
    ],
)
def test_http_functions_answer(rendered, image, pods, function, method, path, body, expected):
    _, _, container = rendered.functions[function]
    (port_spec,) = container["ports"]
    assert _env_of(rendered, function)["PORT"] == str(port_spec["containerPort"])
    port = free_port()
    pod = start_pod(rendered, image, function, PORT=str(port), K3SFN_HTTP_HOST="127.0.0.1")
    pods.append(pod)
    pod.wait_healthy()
    reply = request(method, port, path, body=body)
    assert reply.status == 200, reply
    if expected is not None:
        assert reply.json() == expected
    else:  # numpy did the sums
        summary = reply.json()
        assert summary["count"] == 4 and summary["mean"] == 2.5 and summary["min"] == 1 and summary["max"] == 4
        assert summary["p50"] == 2.5
    # The methods of @http_trigger are enforced by the runtime (K3SFN_HTTP_METHODS).
    other = "DELETE"
    refused = request(other, port, path.split("?")[0])
    assert refused.status == 405 and refused.headers["allow"]
    logs = pod.logs()
    assert logs and all(entry["function"] == function for entry in logs)


@pytest.mark.parametrize("function, path", [("hello", "/hello"), ("echo", "/echo"), ("summarize", "/stats/summary")])
def test_http_functions_are_served_only_at_their_path(rendered, image, pods, function, path):
    """K3SFN_HTTP_PATHS from k3s (the @http_trigger path, after any strip_prefix)."""
    assert _env_of(rendered, function).get("K3SFN_HTTP_PATHS") == path
    port = free_port()
    pod = start_pod(rendered, image, function, PORT=str(port), K3SFN_HTTP_HOST="127.0.0.1")
    pods.append(pod)
    pod.wait_healthy()
    assert request("GET", port, "/not-this-function").status == 404


@pytest.mark.parametrize("function", ["hello", "echo", "summarize"])
def test_http_probes_use_the_health_endpoint(rendered, image, pods, function):
    """httpGet probes on the runtime's health endpoint."""
    _, _, container = rendered.functions[function]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe].get("httpGet") == {"path": HEALTH_PATH, "port": "http"}, container[probe]
    port = free_port()
    pod = start_pod(rendered, image, function, PORT=str(port), K3SFN_HTTP_HOST="127.0.0.1")
    pods.append(pod)
    pod.wait_healthy()
    assert request("GET", port, container["readinessProbe"]["httpGet"]["path"]).status == 200


# -- the queue worker, with a mail server --------------------------------------------------------


class SmtpSink:
    """aiosmtpd with STARTTLS (a self-signed certificate) and AUTH, as send_emails expects."""

    def __init__(self, workdir: Path) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        cert, key = _self_signed(workdir)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        self.messages: List[object] = []
        self.logins: List[bytes] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope)
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
                SMTP_USER.encode(),
                SMTP_PASSWORD.encode(),
            )
            sink.logins.append(auth_data.login if isinstance(auth_data, LoginPassword) else b"?")
            return AuthResult(success=ok)

        self.port = free_port()
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, tls_context=tls, require_starttls=True,
            authenticator=authenticator, auth_require_tls=True,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def _self_signed(workdir: Path) -> Tuple[str, str]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )
    cert_path, key_path = workdir / "smtp.crt", workdir / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def valkey(redis_binary):
    """The platform's Valkey stand-in, with the password the `valkey-auth` Secret holds."""
    server = RedisServer(redis_binary, password=QUEUE_PASSWORD)
    yield server
    server.stop()


def test_queue_worker_sends_the_emails(rendered, image, pods, valkey, tmp_path):
    doc, pod_spec, _ = rendered.functions["send_emails"]
    assert doc["kind"] == "Deployment"
    env = _env_of(rendered, "send_emails")
    assert re.fullmatch(r"[\w.-]+:\d+", env["K3SFN_QUEUE_ADDRESS"])
    queue = env["K3SFN_QUEUE"]
    sink = SmtpSink(tmp_path)
    try:
        mails = [{"to": f"user{i}@example.com", "subject": f"hello {i}", "body": f"body {i}"} for i in range(12)]
        valkey.client.rpush(queue, *[json.dumps(m) for m in mails])
        pod = start_pod(
            rendered, image, "send_emails", K3SFN_QUEUE_ADDRESS=valkey.address, SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port)
        )
        pods.append(pod)
        wait_until(lambda: len(sink.messages) >= 12, 30, what=f"12 emails; worker output:\n{pod.stdout}")
        assert sorted(m.rcpt_tos[0] for m in sink.messages) == sorted(m["to"] for m in mails)
        assert all(m.mail_from == "toolbox@example.com" for m in sink.messages)  # MAIL_FROM from apps.yaml
        assert set(sink.logins) == {SMTP_USER.encode()}
        sent_logs = [e for e in pod.logs() if e["message"].startswith("sent ")]
        assert [e["message"].split()[1] for e in sent_logs] == ["10", "2"]  # batch_size=10
        assert all(e["message"].endswith(f"(invocation {e['invocation_id']})") for e in sent_logs)
        started = time.monotonic()
        pod.signal(signal.SIGTERM)
        assert pod.wait(pod_spec.get("terminationGracePeriodSeconds", 30)) == 0
        assert time.monotonic() - started < 5
        assert valkey.client.llen(queue) == 0 and valkey.client.keys(f"{queue}:*") == []
    finally:
        sink.stop()


def test_queue_worker_is_told_max_attempts(rendered):
    """K3SFN_MAX_ATTEMPTS from k3s (the @queue_trigger max_attempts, default 3)."""
    assert _env_of(rendered, "send_emails").get("K3SFN_MAX_ATTEMPTS") == "3"


def test_scheduled_function_runs_once(rendered, image, pods):
    doc, pod_spec, _ = rendered.functions["nightly_report"]
    assert doc["kind"] == "CronJob"
    pod = start_pod(rendered, image, "nightly_report")
    pods.append(pod)
    timeout = doc["spec"]["jobTemplate"]["spec"].get("activeDeadlineSeconds", 60)
    assert pod.wait(min(timeout, 60)) == 0
    (run,) = [e for e in pod.logs() if e["message"].startswith("nightly report ")]
    assert run["message"].split()[2] == run["invocation_id"]
    assert run["logger"] == "functions.reports.nightly"


def test_dockerfile_embeds_this_runtime_and_its_pins(rendered, image):
    """The generated Dockerfile carries runtime/python/k3sfn verbatim (COPY heredocs) and
    installs runtime/python/requirements.txt's pins."""
    assert embedding_problems(rendered.dockerfile, image) == []


def embedding_problems(dockerfile: str, image: "Image") -> List[str]:
    """What keeps the Dockerfile from carrying this runtime: files of runtime/python/k3sfn not
    embedded verbatim (or not at <dir>/k3sfn/...), pins of requirements.txt not installed."""
    problems = []
    package = PACKAGE_ROOT / "k3sfn"
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts)
    by_content = {content: path for path, content in image.embedded.items()}
    for path in files:
        relative = str(path.relative_to(PACKAGE_ROOT))
        target = by_content.get(path.read_text())
        if target is None:
            problems.append(f"{relative} is not embedded verbatim")
        elif not target.endswith("/" + relative):
            problems.append(f"{relative} is embedded at {target}")
    for line in (PACKAGE_ROOT / "requirements.txt").read_text().splitlines():
        pin = line.split(";")[0].strip()
        if pin and not pin.startswith("#") and pin not in dockerfile:
            problems.append(f"{pin} is not installed")
    return problems


def test_dockerfile_replay_understands_heredocs(tmp_path):
    """The check above can pass: a Dockerfile that embeds the package as COPY heredocs."""
    lines = ["FROM python:3.12-slim", "WORKDIR /app", "ENV PYTHONPATH=/opt/k3sfn", "COPY requirements.txt ./"]
    package = PACKAGE_ROOT / "k3sfn"
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            lines.append(f"COPY <<'K3SFN_EOF' /opt/k3sfn/{path.relative_to(PACKAGE_ROOT)}")
            lines.append(path.read_text()[:-1])  # the heredoc adds the last newline back
            lines.append("K3SFN_EOF")
    lines.append("COPY <<'K3SFN_EOF' /opt/k3sfn/requirements.txt")
    lines.append((PACKAGE_ROOT / "requirements.txt").read_text().rstrip("\n"))
    lines.append("K3SFN_EOF")
    lines.append("RUN pip install -r /opt/k3sfn/requirements.txt")
    lines.append('CMD ["python", "-m", "k3sfn.runtime"]')
    dockerfile = "\n".join(lines) + "\n"
    context = tmp_path / "context"
    context.mkdir()
    (context / "requirements.txt").write_text("numpy\n")
    image = Image(dockerfile, context, tmp_path / "root")
    assert embedding_problems(dockerfile, image) == []
    assert image.cmd == ["python", "-m", "k3sfn.runtime"] and image.workdir == "/app"
    assert (tmp_path / "root/app/requirements.txt").read_text() == "numpy\n"
    assert (tmp_path / "root/opt/k3sfn/k3sfn/runtime/queue.py").read_text() == (package / "runtime/queue.py").read_text()
    assert container_env({"env": [{"name": "A", "value": "1"}]}, image)["PYTHONPATH"] == str(tmp_path / "root/opt/k3sfn")
    # One file changed by a byte is found.
    broken = dockerfile.replace("HEALTH_PATH = ", "HEALTH_PATH  = ", 1)
    assert embedding_problems(broken, Image(broken, context, tmp_path / "root2")) == ["k3sfn/runtime/http.py is not embedded verbatim"]


# -- failures, auth and redelivery, from k3s's output --------------------------------------------
#
# The example functions neither overrun their timeout, raise, authenticate nor can be stopped
# mid-batch within a test's time (send_emails' visibility timeout is 120 s). So a copy of
# examples/functions gets one more module, functions/checks.py, and the entry an auth Secret;
# k3s renders that project and its pods are started exactly as for the examples above.

CHECKS = '''"""Added to examples/functions by tests/test_k3s_output.py."""

import asyncio
import os
import time

import redis

from k3sfn import Context, http_trigger, queue_trigger, serverless


@serverless(timeout=1)
@http_trigger(path="/slow", methods=["GET"])
async def slow(request):
    await asyncio.sleep(10)
    return "too late"


@http_trigger(path="/boom", methods=["GET"])
def boom(request):
    raise RuntimeError("detail that must stay in the log")


@http_trigger(path="/keyed", methods=["GET"], auth="api_key")
def keyed(request):
    return "key accepted"


@http_trigger(path="/signed", methods=["GET"], auth="jwt")
def signed(request, context: Context):
    return {"sub": context.claims["sub"]}


def _test_redis():
    """Where the test reads what the worker did: the queue's own server."""
    host, port = os.environ["K3SFN_QUEUE_ADDRESS"].rsplit(":", 1)
    return redis.Redis(host=host, port=int(port), password=os.environ.get("K3SFN_QUEUE_PASSWORD"))


@queue_trigger(queue_name="tasks", batch_size=4, visibility_timeout=2, max_attempts=2)
def tasks(messages, context: Context):
    r = _test_redis()
    r.rpush("test:started", f"{os.getpid()} {len(messages)} {context.attempt}")
    if r.exists("test:hang"):
        time.sleep(3600)
    r.rpush("test:done", *messages)
'''


@pytest.fixture(scope="module")
def failing(tmp_path_factory) -> Rendered:
    if not K3S.exists():
        pytest.skip(f"no k3s binary at {K3S}: run `cargo build` in {REPO_ROOT}, or set K3S_BIN")
    project = tmp_path_factory.mktemp("project") / "functions"
    shutil.copytree(APPS.parent, project, ignore=shutil.ignore_patterns("__pycache__"))
    apps = project / "apps.yaml"
    text = apps.read_text()
    assert text.count("\n    timeout: 30\n") == 1, "examples/functions/apps.yaml changed: update this fixture"
    apps.write_text(text.replace("\n    timeout: 30\n", "\n    timeout: 30\n    auth: {secret: toolbox-keys}\n"))
    (project / "functions" / "checks.py").write_text(CHECKS)
    return Rendered(apps)


@pytest.fixture(scope="module")
def failing_image(failing, tmp_path_factory) -> Image:
    return Image(failing.dockerfile, failing.context, tmp_path_factory.mktemp("image"))


def _http_pod(rendered: Rendered, image: Image, pods: List[Runtime], function: str) -> Runtime:
    pod = start_pod(rendered, image, function, PORT=str(free_port()), K3SFN_HTTP_HOST="127.0.0.1")
    pods.append(pod)
    pod.wait_healthy()
    return pod


def test_over_its_timeout_is_504(failing, failing_image, pods):
    assert _env_of(failing, "slow")["K3SFN_TIMEOUT"] == "1"
    pod = _http_pod(failing, failing_image, pods, "slow")
    started = time.monotonic()
    reply = pod.request("GET", "/slow")
    assert reply.status == 504, reply
    assert time.monotonic() - started < 5


def test_an_exception_is_500_with_the_traceback_in_the_log_only(failing, failing_image, pods):
    pod = _http_pod(failing, failing_image, pods, "boom")
    reply = pod.request("GET", "/boom")
    assert reply.status == 500, reply
    assert "detail that must stay" not in reply.text and reply.json()["error"] == "Internal Server Error"
    (failure,) = [e for e in pod.logs() if "detail that must stay in the log" in (e.get("exc_info") or "")]
    assert failure["invocation_id"] == reply.json()["invocation_id"]


def test_api_key_from_the_mounted_secret_is_refused_then_accepted(failing, failing_image, pods):
    env = _env_of(failing, "keyed")
    assert env["K3SFN_AUTH"] == "api_key" and env["K3SFN_AUTH_DIR"] == "/var/run/secrets/k3sfn-auth"
    assert "K3SFN_AUTH" not in _env_of(failing, "boom")  # the entry names the Secret, the decorator picks the function
    pod = _http_pod(failing, failing_image, pods, "keyed")
    header = env.get("K3SFN_API_KEY_HEADER", "X-API-Key")
    assert pod.request("GET", "/keyed").status == 401
    assert pod.request("GET", "/keyed", headers={header: "wrong"}).status == 401
    accepted = pod.request("GET", "/keyed", headers={header: API_KEY})
    assert (accepted.status, accepted.text) == (200, "key accepted")


def test_jwt_from_the_mounted_secret_is_refused_then_accepted(failing, failing_image, pods):
    import jwt

    assert _env_of(failing, "signed")["K3SFN_AUTH"] == "jwt"
    pod = _http_pod(failing, failing_image, pods, "signed")
    exp = int(time.time()) + 60
    forged = jwt.encode({"sub": "me", "exp": exp}, "not-the-secret-but-32-bytes-long!!", algorithm="HS256")
    assert pod.request("GET", "/signed").status == 401
    assert pod.request("GET", "/signed", headers={"Authorization": f"Bearer {forged}"}).status == 401
    good = jwt.encode({"sub": "me", "exp": exp}, JWT_SECRET, algorithm="HS256")
    accepted = pod.request("GET", "/signed", headers={"Authorization": f"Bearer {good}"})
    assert (accepted.status, accepted.json()) == (200, {"sub": "me"})


def _done(valkey) -> List[str]:
    return [m.decode() for m in valkey.client.lrange("test:done", 0, -1)]


def _queue_keys(valkey, queue: str) -> List[str]:
    return sorted(k.decode() for k in valkey.client.keys(f"{queue}:*"))


def _worker_pod(rendered: Rendered, image: Image, pods: List[Runtime], valkey, function: str) -> Runtime:
    pod = start_pod(rendered, image, function, K3SFN_QUEUE_ADDRESS=valkey.address)
    pods.append(pod)
    pod.wait_for_log(lambda e: e["message"].startswith("consuming "), 15, "the worker to start")
    return pod


def test_n_queue_messages_are_each_processed_once_by_two_pods(failing, failing_image, pods, valkey):
    sent = [f"task-{i}" for i in range(60)]
    valkey.client.rpush("tasks", *sent)
    first = _worker_pod(failing, failing_image, pods, valkey, "tasks")
    second = _worker_pod(failing, failing_image, pods, valkey, "tasks")
    wait_until(lambda: len(_done(valkey)) >= len(sent), 30, what=f"{len(sent)} tasks; output:\n{first.stdout}")
    for pod in (first, second):
        pod.signal(signal.SIGTERM)
    assert first.wait() == 0 and second.wait() == 0
    assert sorted(_done(valkey)) == sorted(sent)  # each once: none lost, none twice
    assert valkey.client.llen("tasks") == 0 and _queue_keys(valkey, "tasks") == []


def test_a_killed_workers_batch_is_processed_after_the_visibility_timeout(failing, failing_image, pods, valkey):
    visibility = int(_env_of(failing, "tasks")["K3SFN_VISIBILITY_TIMEOUT"])
    assert visibility == 2
    sent = [f"task-{i}" for i in range(10)]
    valkey.client.set("test:hang", "1")
    valkey.client.rpush("tasks", *sent)
    doomed = _worker_pod(failing, failing_image, pods, valkey, "tasks")
    wait_until(lambda: valkey.client.llen("test:started") == 1, 15, what="the worker to take a batch")
    (held,) = [k for k in _queue_keys(valkey, "tasks") if k.startswith("tasks:processing:")]
    held_messages = sorted(m.decode() for m in valkey.client.lrange(held, 0, -1))
    assert len(held_messages) == 4  # batch_size
    doomed.process.kill()  # kill -9 mid-batch: nothing settled
    doomed.process.wait()
    killed = time.monotonic()
    valkey.client.delete("test:hang")
    rescuer = _worker_pod(failing, failing_image, pods, valkey, "tasks")
    wait_until(lambda: set(held_messages) <= set(_done(valkey)), 20, what=f"the killed batch; output:\n{rescuer.stdout}")
    # Not before the killed worker's heartbeat (TTL = the visibility timeout, renewed every third of it) ran out.
    assert time.monotonic() - killed >= visibility * 2 / 3 - 0.2
    wait_until(lambda: len(_done(valkey)) >= len(sent), 20, what="all 10 tasks")
    rescuer.signal(signal.SIGTERM)
    assert rescuer.wait() == 0
    assert sorted(_done(valkey)) == sorted(sent)  # none lost, none twice
    assert any("reclaimed 4 message(s)" in e["message"] for e in rescuer.logs()), rescuer.stdout
    assert _queue_keys(valkey, "tasks") == []


def test_a_failing_email_lands_in_the_dead_letters(rendered, image, pods, valkey, tmp_path):
    """examples/functions' own worker: a message without a recipient raises KeyError each time."""
    env = _env_of(rendered, "send_emails")
    queue, attempts = env["K3SFN_QUEUE"], int(env["K3SFN_MAX_ATTEMPTS"])
    sink = SmtpSink(tmp_path)
    try:
        bad = json.dumps({"subject": "no recipient", "body": "x"})
        valkey.client.rpush(queue, bad)
        pod = start_pod(rendered, image, "send_emails", K3SFN_QUEUE_ADDRESS=valkey.address, SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port))
        pods.append(pod)
        wait_until(lambda: valkey.client.llen(f"{queue}:dead") == 1, 30, what=f"the dead letter; output:\n{pod.stdout}")
        (record,) = [json.loads(r) for r in valkey.client.lrange(f"{queue}:dead", 0, -1)]
        assert record["message"] == bad and record["attempts"] == attempts
        assert "KeyError" in record["error"] and "'to'" in record["error"]
        assert record["function"] == "send_emails" and record["queue"] == queue
        assert valkey.client.llen(queue) == 0 and sink.messages == []
        pod.signal(signal.SIGTERM)
        assert pod.wait(10) == 0
    finally:
        sink.stop()


# -- the image's build, replayed -----------------------------------------------------------------


def test_the_image_needs_only_the_project_the_base_image_and_pypi(rendered, image, pods, tmp_path):
    """The Dockerfile's FROM is the base image apps.yaml names, its COPY sources are inside the
    build context (the project) or heredocs, every runtime pin is exact, and its RUN steps,
    replayed into a fresh venv (no site packages), install everything the functions need:
    the example functions then answer from that venv."""
    steps = parse_dockerfile(rendered.dockerfile)
    assert [a for i, a, _ in steps if i == "FROM"] == ["python:3.12-slim"]
    for instruction, arguments, _ in steps:
        if instruction == "COPY":
            *sources, _ = [w for w in arguments.split() if not w.startswith("--")]
            for source in sources:
                if not source.startswith("<<"):
                    assert (rendered.context / source).resolve().is_relative_to(rendered.context), source
    for line in (PACKAGE_ROOT / "requirements.txt").read_text().splitlines():
        pin = line.split("#")[0].split(";")[0].strip()
        assert not pin or re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", pin), f"not pinned: {line}"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    runs = [a for i, a, _ in steps if i == "RUN"]
    installs = [r for r in runs if r.startswith("pip install")]
    assert installs and all(r in installs or r.startswith("useradd ") for r in runs), runs
    for run in installs:
        import shlex

        words = [str(image.path(w)) if w.startswith("/") else w for w in shlex.split(run)]
        done = subprocess.run(
            shlex.join(words), shell=True, cwd=image.path(image.workdir), env={**image.env, "PATH": path, "HOME": str(tmp_path)},
            capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, f"RUN {run}:\n{done.stdout}\n{done.stderr}"
    # What the RUN steps installed, and k3sfn only from the image's copy (PYTHONPATH).
    venv_python = str(venv / "bin" / "python")
    clean = {"PATH": path, "HOME": str(tmp_path)}
    assert subprocess.run([venv_python, "-c", "import numpy, starlette, uvicorn, redis, jwt"], cwd=tmp_path, env=clean).returncode == 0
    assert subprocess.run([venv_python, "-c", "import k3sfn"], cwd=tmp_path, env=clean, capture_output=True).returncode != 0
    for function, method, path_, body in (("hello", "GET", "/hello", None), ("summarize", "POST", "/stats/summary", {"values": [1, 3]})):
        pod = start_pod(rendered, image, function, PORT=str(free_port()), K3SFN_HTTP_HOST="127.0.0.1", PATH=path)
        pods.append(pod)
        pod.wait_healthy(60)
        assert pod.request(method, path_, body=body).status == 200, pod.stdout
