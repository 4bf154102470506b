"""schemathesis against the real `metachat serve`: every operation of the OpenAPI document the
server publishes (`GET /api/openapi.json`, narrowed to the routes it serves) is called with
generated valid and invalid input; no answer may be a server error (5xx), and every documented
answer must match its response schema.

Needs PostgreSQL and Redis: `scripts/test.sh interop` exports DATABASE_URL and REDIS_URL. The
binary is METACHAT_BINARY, or `metachat` beside the echo-server under test. The run is
deterministic (`--generation-deterministic`) and bounded (a few examples per operation, one
worker, a request timeout and an overall subprocess timeout)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from conftest import REPO_ROOT, _server_binary

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 15.0
SCHEMATHESIS_TIMEOUT_S = 600
MAX_EXAMPLES = 20
REQUEST_TIMEOUT_S = 10


def metachat_binary() -> Path:
    """The metachat binary under test (absolute)."""
    configured = os.environ.get("METACHAT_BINARY")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else REPO_ROOT / path
    return _server_binary().parent / "metachat"


def schemathesis_cli() -> Path:
    """`st` from the virtualenv running this suite (requirements-dev.txt pins it)."""
    return Path(sys.executable).parent / "st"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET over HTTP/1.1; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class MetaChat:
    """A running `metachat serve`."""

    process: subprocess.Popen
    port: int
    log_path: Path

    def log_tail(self) -> str:
        """The end of the server's output (for failure messages)."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""


def wait_until_healthy(server: MetaChat) -> None:
    """Polls `/api/health` until it answers 200, failing early if the server exits."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            status, body = get(server.port, "/api/health")
            if status == 200:
                return
            last = f"{status} {body[:300]!r}"
        except OSError as error:
            last = str(error)
        # Waiting on the process both paces the polling and notices an early exit.
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = server.process.wait(timeout=0.1)
            pytest.fail(f"metachat serve exited with {code}:\n{server.log_tail()}")
    pytest.fail(f"/api/health not healthy within {STARTUP_TIMEOUT_S}s ({last}):\n{server.log_tail()}")


@pytest.fixture(scope="module")
def metachat(tmp_path_factory) -> Iterator[MetaChat]:
    """`metachat serve` on a free port, against the suite's PostgreSQL and Redis."""
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run this through `scripts/test.sh interop`")
    binary = metachat_binary()
    if not binary.is_file():
        pytest.fail(f"metachat binary not found at {binary} (set METACHAT_BINARY)")
    log_path = tmp_path_factory.mktemp("metachat") / "serve.log"
    port = free_port()
    environment = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="warning")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(binary), "serve"], env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    server = MetaChat(process=process, port=port, log_path=log_path)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)


def test_openapi_document_is_served(metachat):
    """GET /api/openapi.json answers an OpenAPI 3 document whose paths include the health
    route the server serves."""
    status, body = get(metachat.port, "/api/openapi.json")
    assert status == 200, body[:300]
    document = json.loads(body)
    assert str(document.get("openapi", "")).startswith("3."), list(document)
    assert "/api/health" in document.get("paths", {}), sorted(document.get("paths", {}))


def test_schemathesis_finds_no_server_errors_and_responses_match_the_schema(metachat, tmp_path):
    """`st run` over every published operation, valid and invalid inputs, checks
    not_a_server_error and response_schema_conformance: exit code 0, and at least one
    operation was really tested (the JUnit report lists it)."""
    cli = schemathesis_cli()
    assert cli.is_file(), f"{cli} missing: scripts/setup.sh installs schemathesis into .venv"
    junit = tmp_path / "junit.xml"
    command = [
        str(cli),
        "run",
        f"http://127.0.0.1:{metachat.port}/api/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        str(REQUEST_TIMEOUT_S),
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
    ]
    # cwd: schemathesis and hypothesis keep their caches in the working directory.
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=SCHEMATHESIS_TIMEOUT_S)
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"schemathesis exited with {result.returncode}:\n{output}\n{metachat.log_tail()}"
    suite = ElementTree.parse(junit).getroot()
    tested = [case.get("name") for case in suite.iter("testcase")]
    assert tested, f"schemathesis tested no operation:\n{output}"
    assert "GET /api/health" in tested, tested
    assert metachat.process.poll() is None, f"the server exited during the run:\n{metachat.log_tail()}"
