"""Schemathesis against our committed OpenAPI schema and a live server (make test-api).

Builds a fresh SQLite database with a small demo city, starts gunicorn on a free port,
gets a token for the demo dispatcher (who sees the whole city), and runs Schemathesis
with a bounded number of examples per operation. Fails on any server error or any
response that violates the schema. Exit code: Schemathesis's (0 = no problems).

    .venv/bin/python scripts/api_fuzz.py [--max-examples N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(port: int, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def known_identifiers(port: int, token: str, env: dict[str, str]) -> dict[str, str]:
    """Real ids for the path parameters, so that calls reach past the 404 of an unknown id:
    a household, building, station, zone, coal yard, facility, plan and round of the demo
    city and a freshly filed request."""
    household = call(port, token, "GET", "/api/v1/households/?page_size=1")["results"][0]
    filed = call(
        port,
        token,
        "POST",
        "/api/v1/requests/",
        {
            "category": "not_warm",
            "account_number": household["account_number"],
            "attributes": {"indoor_temperature": "15", "rooms_affected": "whole_home"},
        },
    )
    station = call(port, token, "GET", "/api/v1/stations/?page_size=1")["results"][0]
    yard = call(port, token, "GET", "/api/v1/fuel/sources/")[0]
    facility = call(port, token, "GET", "/api/v1/inspections/facilities/?page_size=1")["results"][0]
    plan = call(port, token, "GET", "/api/v1/inspections/plans/?page_size=1")["results"][0]
    rounds = call(port, token, "GET", "/api/v1/inspections/rounds/?page_size=1")["results"]
    return {
        "inspections/facilities": facility["code"],
        "inspections/plans": str(plan["id"]),
        "inspections/rounds": str(rounds[0]["id"]) if rounds else "1",
        "fuel/sources": yard["source"],
        "number": filed["number"],
        "account_number": household["account_number"],
        "buildings": household["building"],
        "zones": household["zone"],
        "stations": station["code"],
        "gateway": gateway_token(env),
    }


def gateway_token(env: dict[str, str]) -> str:
    made = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "telemetry_gateway", "create", "api-fuzz"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip()


def schemathesis_config(known: dict[str, str]) -> str:
    lines = [
        "[cache]",
        "enabled = false",
        "[parameters]",
        f'"path.number" = "{known["number"]}"',
        f'"path.account_number" = "{known["account_number"]}"',
    ]
    # Telemetry ingest authenticates gateways, not staff.
    lines += [
        "[[operations]]",
        'include-path-regex = "^/api/v1/telemetry/"',
        f'headers = {{ Authorization = "Bearer {known["gateway"]}" }}',
    ]
    for collection in ("buildings", "zones", "stations", "fuel/sources", "inspections/facilities"):
        lines += [
            "[[operations]]",
            f'include-path-regex = "^/api/v1/{collection}/"',
            f'parameters = {{ "path.code" = "{known[collection]}" }}',
        ]
    for collection in ("inspections/plans", "inspections/rounds"):
        lines += [
            "[[operations]]",
            f'include-path-regex = "^/api/v1/{collection}/"',
            f'parameters = {{ "path.id" = "{known[collection]}" }}',
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wennuan-api-fuzz-", dir=ROOT / "var"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "DEBUG": "false",
        "SECRET_KEY": "api-fuzz-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(work / "static"),
        "LOG_LEVEL": "WARNING",
        "API_RATE_PER_MINUTE_USER": "0",
        "HYPOTHESIS_STORAGE_DIRECTORY": str(work / "hypothesis"),
    }
    manage = [PYTHON, str(ROOT / "manage.py")]
    print("== API fuzzing: fresh database and a 2,000-household demo city", flush=True)
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "demo_city", "--households", "2000", "-v0"], env=env, check=True, cwd=ROOT
    )
    made = subprocess.run(
        [*manage, "drf_create_token", "dispatcher"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    token = re.search(r"token (\w+)", made)
    if token is None:
        print(f"could not read the token from: {made!r}")
        return 2
    port = free_port()
    log = open(work / "gunicorn.log", "w")  # noqa: SIM115 - read after the run
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "wennuan.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        known = known_identifiers(port, token.group(1), env)
        config = work / "schemathesis.toml"
        config.write_text(schemathesis_config(known))
        command = [
            str(Path(PYTHON).parent / "schemathesis"),
            "--config-file", str(config),
            "run", str(ROOT / "docs" / "openapi.yaml"),
            "--url", f"http://127.0.0.1:{port}",
            "--header", f"Authorization: Token {token.group(1)}",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--max-examples", str(args.max_examples),
            "--seed", "2020",
            "--generation-deterministic",
            "--phases", "examples,coverage,fuzzing",
            "--workers", "1",
            "--no-color",
        ]  # fmt: skip
        print(f"== Schemathesis against http://127.0.0.1:{port}", flush=True)
        code = subprocess.run(command, env=env, cwd=work).returncode
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    errors = (work / "gunicorn.log").read_text()
    if "Traceback" in errors:
        print("== server errors in the log:\n" + errors[-5000:])
        code = code or 1
    if code == 0:
        shutil.rmtree(work)
    else:
        print(f"== the database and server log are kept in {work}")
    return code


if __name__ == "__main__":
    sys.exit(main())
