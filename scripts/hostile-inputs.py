#!/usr/bin/env python3
"""Writes large and hostile inputs for k3s into DIR, one project directory per case, for
scripts/size-test (timings) and by hand. Nothing here runs k3s.

    scripts/hostile-inputs.py DIR [--apps N] [--x-keys N] [--env-keys N] [--py-mb N]

Cases (each DIR/<case>/ holds an apps.yaml):
  apps        N apps × 3 environments (the bench's realistic app, repeated)
  x-block     one `x-` block of N keys (the duplicate-key check's worst case)
  compose-env a compose service with N environment keys
  python      a serverless project whose functions.py is about N MB
  deep-yaml   a list nested 100,000 deep (refused at 64)
  deep-python a decorator argument nested 100,000 deep (refused at 100)
"""

import argparse
import os

HEAD = (
    'version: "2"\n'
    "defaults:\n  namespace: apps\n"
    "  registry: {local: registry.localhost:5111, dev: registry.localhost:5111, gcp: gcr.io/bench}\n"
    "  ingress: {local: traefik, dev: traefik, gcp: haproxy}\n"
    "environments:\n  local: {domain: localhost}\n  dev: {domain: dev.example.com}\n"
    "  gcp: {domain: example.com, tls: true, tls_secret: wildcard}\n"
    "argocd:\n  repo_url: https://git.example.com/platform.git\n"
)


def app(i):
    scaling = [
        "    scaling: {type: hpa, min_instances: 2, max_instances: 6, target_cpu_percent: 70}\n",
        "    scaling: {type: keda-http, min_instances: 0, max_instances: 10}\n",
        "    replicas: 2\n",
    ][i % 3]
    ingress = (
        f"    ingress: {{path: /svc-{i}, strip_prefix: false}}\n    visibility: public\n"
        if i % 3 == 1
        else ""
    )
    return (
        f"  - name: svc-{i}\n    image: ghcr.io/example/svc:1.{i}\n"
        "    container:\n      ports:\n        - {container_port: 8080, service_port: 80}\n"
        "        - {name: metrics, container_port: 9090}\n"
        "    resources: {memory: 256Mi, cpu: 100m, memory_limit: 512Mi}\n"
        "    probes:\n      readiness: {path: /ready}\n      liveness: {path: /live, period: 10}\n"
        f"    environment: {{LOG_LEVEL: info, SERVICE_INDEX: {i}}}\n"
        f"{scaling}{ingress}"
        "    gcp:\n      resources: {memory: 512Mi}\n      environment: {LOG_LEVEL: warn}\n"
    )


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--apps", type=int, default=88_000)
    parser.add_argument("--x-keys", type=int, default=80_000)
    parser.add_argument("--env-keys", type=int, default=40_000)
    parser.add_argument("--py-mb", type=int, default=50)
    args = parser.parse_args()
    root = args.dir

    write(f"{root}/apps/apps.yaml", HEAD + "apps:\n" + "".join(app(i) for i in range(args.apps)))

    keys = "".join(f"  key_{i:06}: value {i}\n" for i in range(args.x_keys))
    write(f"{root}/x-block/apps.yaml", HEAD + "x-notes:\n" + keys + "apps:\n" + app(0))

    env = "".join(f"      VAR_{i:06}: value-{i}\n" for i in range(args.env_keys))
    write(
        f"{root}/compose-env/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n    environment:\n" + env,
    )
    write(
        f"{root}/compose-env/apps.yaml",
        HEAD + "compose:\n  - name: shop\n    path: .\n",
    )

    function = (
        '@serverless(memory="128Mi", cpu="50m", environment={{"INDEX": "{i}"}})\n'
        '@http_trigger(path="/f-{i}", methods=["GET", "POST"])\n'
        "async def f_{i}(request):\n"
        '    """A generated function."""\n'
        "    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
        '    return {{"index": {i}, "sum": sum(values)}}\n\n\n'
    )
    py = ["from k3sfn import http_trigger, serverless\n\n\n"]
    size, i = 0, 0
    while size < args.py_mb * 1_000_000:
        # Decorated functions are few (each is a workload); the rest is plain code.
        text = function.format(i=i) if i < 200 else function.format(i=i).split("\n", 2)[2]
        py.append(text)
        size += len(text)
        i += 1
    write(f"{root}/python/functions.py", "".join(py))
    write(
        f"{root}/python/apps.yaml",
        HEAD + "serverless:\n  - name: big\n    path: .\n",
    )

    depth = 100_000
    write(f"{root}/deep-yaml/apps.yaml", HEAD + "x-deep: " + "[" * depth + "]" * depth + "\n")
    write(
        f"{root}/deep-python/functions.py",
        "@serverless(memory=" + "[" * depth + "]" * depth + ")\n"
        '@http_trigger(path="/x")\nasync def f(request):\n    pass\n',
    )
    write(
        f"{root}/deep-python/apps.yaml",
        HEAD + "serverless:\n  - name: deep\n    path: .\n",
    )


if __name__ == "__main__":
    main()
