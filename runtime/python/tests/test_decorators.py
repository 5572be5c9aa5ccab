"""The decorators: signatures equal decorators.json, values checked as k3s's discovery does,
arguments recorded on the unchanged function."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

import k3sfn
from k3sfn import Context, Request, decorators, http_trigger, queue_trigger, schedule_trigger, serverless

SPEC = json.loads((Path(k3sfn.__file__).parent / "decorators.json").read_text())
DECORATORS = {"serverless": serverless, "http_trigger": http_trigger, "queue_trigger": queue_trigger, "schedule_trigger": schedule_trigger}


def test_decorators_json_lists_the_four_decorators_with_well_formed_entries():
    assert list(SPEC) == ["serverless", "http_trigger", "queue_trigger", "schedule_trigger"]
    for name, arguments in SPEC.items():
        names = [a["name"] for a in arguments]
        assert len(names) == len(set(names)), name
        for argument in arguments:
            assert set(argument) <= {"name", "type", "default", "required", "choices", "min", "meaning"}, argument
            assert argument["meaning"].strip()
            assert ("default" in argument) != bool(argument.get("required")), argument
            if argument["type"] == "choice":
                assert argument["choices"], argument


@pytest.mark.parametrize("name", list(DECORATORS))
def test_signature_equals_decorators_json(name):
    """Names, order, defaults; required arguments have no default (and may be positional), the
    others are keyword-only. A leading positional-only `_fn` (no default needed) is what lets
    a decorator without required arguments be written bare, as `@serverless`."""
    parameters = list(inspect.signature(DECORATORS[name]).parameters.values())
    if parameters and parameters[0].kind is inspect.Parameter.POSITIONAL_ONLY:
        assert parameters[0].name == "_fn" and parameters[0].default is None
        assert not any(a.get("required") for a in SPEC[name])
        parameters = parameters[1:]
    assert [p.name for p in parameters] == [a["name"] for a in SPEC[name]]
    for parameter, argument in zip(parameters, SPEC[name]):
        if argument.get("required"):
            assert parameter.default is inspect.Parameter.empty, parameter
            assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, parameter
        else:
            assert parameter.default == argument["default"], parameter
            assert type(parameter.default) is type(argument["default"]), parameter
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, parameter


def _sample(argument):
    """A valid value for an argument of decorators.json."""
    special = {"path": "/x", "cron": "0 * * * *", "timezone": "Europe/Paris"}
    if argument["name"] in special:
        return special[argument["name"]]
    return {
        "string": "x",
        "integer": max(argument.get("min", 0), 1),
        "boolean": True,
        "choice": (argument.get("choices") or [None])[0],
        "list": ["GET"] if argument["name"] == "methods" else ["a"],
        "dict": {"A": "1"},
    }[argument["type"]]


def _call(decorator_name, /, **kwargs):
    if decorator_name == "queue_trigger":
        kwargs.setdefault("queue_name", "q")
    if decorator_name == "schedule_trigger":
        kwargs.setdefault("cron", "0 * * * *")
    decorator = DECORATORS[decorator_name](**kwargs)

    def fn():
        pass

    return decorator(fn)


@pytest.mark.parametrize("name", list(DECORATORS))
def test_every_choice_is_accepted_and_others_refused(name):
    for argument in SPEC[name]:
        for choice in argument.get("choices", []):
            value = [choice] if argument["type"] == "list" else choice
            _call(name, **{argument["name"]: value})
        if argument.get("choices"):
            bad = ["BREW"] if argument["type"] == "list" else "bogus"
            with pytest.raises(ValueError, match=argument["name"]):
                _call(name, **{argument["name"]: bad})


@pytest.mark.parametrize("name", list(DECORATORS))
def test_every_argument_checks_its_type(name):
    wrong = {"string": 5, "integer": "5", "boolean": "yes", "choice": 1, "list": "single", "dict": ["a"]}
    for argument in SPEC[name]:
        extra = {"queue_type": "stream"} if argument["name"] == "consumer_group" else {}
        _call(name, **extra, **{argument["name"]: _sample(argument)})  # a right value passes
        with pytest.raises(ValueError, match=argument["name"]):
            _call(name, **extra, **{argument["name"]: wrong[argument["type"]]})
        if "min" in argument:
            with pytest.raises(ValueError, match="at least"):
                _call(name, **{argument["name"]: argument["min"] - 1})


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: http_trigger(path="hello"), "must start with `/`"),
        (lambda: http_trigger(path="/a b"), "no spaces"),
        (lambda: http_trigger(methods=["GET", "get"]), "twice"),
        (lambda: http_trigger(auth="basic"), "auth"),
        (lambda: serverless(min_instances=5, max_instances=2), "greater than max_instances"),
        (lambda: serverless(environment={"1BAD": "x"}), "not a valid environment variable"),
        (lambda: serverless(environment={"A": [1]}), "environment"),
        (lambda: serverless(memory=""), "non-empty"),
        (lambda: serverless(labels={"team": 5}), "labels"),
        (lambda: serverless(max_instances=True), "integer"),
        (lambda: queue_trigger("q", consumer_group="g"), "applies only to queue_type"),
        (lambda: schedule_trigger("* * *"), "five fields"),
        (lambda: schedule_trigger("0 * * * *", timezone="Paris"), "Area/Location"),
        (lambda: schedule_trigger("0 * * * *", concurrency_policy="forbid"), "concurrency_policy"),
    ],
)
def test_bad_values_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_arguments_are_recorded_and_the_function_returned_unchanged():
    async def hello(request: Request):
        return {}

    decorated = serverless(visibility="public", timeout=10)(http_trigger(path="/hello", methods=["get"])(hello))
    assert decorated is hello
    meta = hello.__k3sfn__
    assert meta["trigger"] == "http"
    assert meta["http_trigger"]["path"] == "/hello"
    assert meta["http_trigger"]["methods"] == ["GET"]  # normalised as k3s stores them
    assert meta["serverless"]["visibility"] == "public" and meta["serverless"]["timeout"] == 10
    assert meta["serverless"]["memory"] == "256Mi"  # the built-in default


def test_order_does_not_matter_and_bare_serverless_works():
    @queue_trigger(queue_name="invoices", queue_type="stream", consumer_group="billing", mode="job")
    @serverless
    def invoice(task):
        pass

    @serverless()
    @schedule_trigger(cron="0 * * * *", timezone="Europe/Berlin")
    def hourly():
        pass

    @http_trigger
    def root(request):
        return "ok"

    assert invoice.__k3sfn__["trigger"] == "queue" and invoice.__k3sfn__["serverless"]["memory"] == "256Mi"
    assert invoice.__k3sfn__["queue_trigger"]["consumer_group"] == "billing"
    assert hourly.__k3sfn__["trigger"] == "schedule" and hourly.__k3sfn__["schedule_trigger"]["timezone"] == "Europe/Berlin"
    assert root.__k3sfn__["http_trigger"]["path"] == "/" and root("r") == "ok"


def test_one_trigger_and_one_serverless_per_function():
    with pytest.raises(ValueError, match="second trigger"):

        @http_trigger(path="/a")
        @queue_trigger(queue_name="q")
        def two(messages):
            pass

    with pytest.raises(ValueError, match="@serverless twice"):

        @serverless(memory="1Gi")
        @serverless(cpu="1")
        def twice():
            pass


def test_positional_arguments_are_refused_except_required_ones():
    with pytest.raises(TypeError, match="keyword arguments only"):
        serverless("512Mi")
    with pytest.raises(TypeError):
        http_trigger("/hello", ["GET"])
    assert queue_trigger("emails", batch_size=10)(lambda m: None).__k3sfn__["queue_trigger"]["queue_name"] == "emails"
    assert schedule_trigger("30 2 * * *")(lambda: None).__k3sfn__["schedule_trigger"]["cron"] == "30 2 * * *"


def test_the_example_functions_import_and_carry_their_settings(monkeypatch):
    """The examples in the repository, imported for real (numpy is a test dependency)."""
    import importlib
    import sys

    from conftest import REPO_ROOT

    monkeypatch.syspath_prepend(str(REPO_ROOT / "examples" / "functions"))
    for name in list(sys.modules):
        if name == "functions" or name.startswith("functions."):
            monkeypatch.delitem(sys.modules, name)
    api = importlib.import_module("functions.api")
    stats = importlib.import_module("functions.stats")
    emails = importlib.import_module("functions.workers.emails")
    nightly = importlib.import_module("functions.reports.nightly")
    assert api.hello.__k3sfn__["http_trigger"]["methods"] == ["GET"]
    assert api.echo.__k3sfn__["serverless"]["environment"] == {"ECHO_MAX_BYTES": "65536"}
    assert stats.summarize.__k3sfn__["serverless"]["name"] == "stats"
    assert emails.send_emails.__k3sfn__["queue_trigger"]["batch_size"] == 10
    assert nightly.nightly_report.__k3sfn__["schedule_trigger"]["starting_deadline_seconds"] == 600


def test_public_names():
    assert k3sfn.Request is Request and k3sfn.Context is Context
    assert set(k3sfn.__all__) >= {"Request", "Response", "Context", "serverless", "http_trigger", "queue_trigger", "schedule_trigger"}
    assert decorators.TRIGGERS == ("http_trigger", "queue_trigger", "schedule_trigger")


def decorator_tables() -> str:
    """The README's decorator tables, rendered from decorators.json."""
    out = []
    for name, arguments in SPEC.items():
        out.append(f"#### `@{name}`\n")
        out.append("| argument | default | meaning |")
        out.append("|---|---|---|")
        for argument in arguments:
            default = "required" if argument.get("required") else f"`{json.dumps(argument['default'])}`"
            meaning = argument["meaning"]
            if argument.get("choices"):
                meaning += " (" + ", ".join(f"`{c}`" for c in argument["choices"]) + ")"
            out.append(f"| `{argument['name']}` | {default} | {meaning.replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


def test_readme_decorator_tables_are_generated_from_decorators_json():
    readme = (Path(k3sfn.__file__).parent.parent / "README.md").read_text()
    begin, end = "<!-- decorators:begin (generated: python tests/test_decorators.py) -->\n", "<!-- decorators:end -->"
    assert begin in readme and end in readme
    written = readme.split(begin, 1)[1].split(end, 1)[0]
    assert written == decorator_tables(), "README.md is stale: python runtime/python/tests/test_decorators.py > tables, paste"


def test_readme_documents_every_variable_the_runtime_reads():
    import re

    package = Path(k3sfn.__file__).parent
    readme = (package.parent / "README.md").read_text()
    read = set()
    for source in package.rglob("*.py"):
        read |= set(re.findall(r'"(K3SFN_[A-Z_]+|PORT|LOG_LEVEL)"', source.read_text()))
    assert len(read) > 20
    assert sorted(v for v in read if f"`{v}`" not in readme) == []


if __name__ == "__main__":
    print(decorator_tables(), end="")
