"""schemathesis against the real `metachat serve`: every operation of the OpenAPI document the
server publishes (`GET /api/openapi.json`, narrowed to the routes it serves) is called with
generated valid and invalid input; no answer may be a server error (5xx), and every documented
answer must match its response schema.

Needs PostgreSQL and Redis: `scripts/test.sh interop` exports DATABASE_URL and REDIS_URL. The
binary is METACHAT_BINARY, or `metachat` beside the echo-server under test. The run is
deterministic (`--generation-deterministic`) and bounded (a few examples per operation, one
worker, a request timeout and an overall subprocess timeout)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Iterator

import pytest

from metachat_process import MetaChat, get, require_services, running_metachat

SCHEMATHESIS_TIMEOUT_S = 600
MAX_EXAMPLES = 20
REQUEST_TIMEOUT_S = 10


def schemathesis_cli() -> Path:
    """`st` from the virtualenv running this suite (requirements-dev.txt pins it)."""
    return Path(sys.executable).parent / "st"


@pytest.fixture(scope="module")
def metachat(tmp_path_factory) -> Iterator[MetaChat]:
    """`metachat serve` on a free port, against the suite's PostgreSQL and Redis."""
    require_services()
    with running_metachat(tmp_path_factory.mktemp("metachat")) as server:
        yield server


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
