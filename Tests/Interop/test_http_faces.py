"""The plain-HTTP faces of the gRPC port: curl over HTTP/1.1 and HTTP/2, and gRPC-Web."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess

import pytest

from h2peer import grpc_message, split_grpc_messages

CURL_TIMEOUT_S = 10
PROTOCOLS = {"--http2-prior-knowledge": "2", "--http1.1": "1.1"}


def _curl(flag: str, url: str) -> tuple[int, str, str]:
    """Runs Debian's curl; returns (status, HTTP version, body)."""
    curl = shutil.which("curl")
    assert curl, "curl is not installed (scripts/setup.sh installs it)"
    marker = "\n--curl-status--"
    result = subprocess.run(
        [curl, "-sS", flag, "--max-time", str(CURL_TIMEOUT_S), "-w", f"{marker}%{{http_code}} %{{http_version}}", url],
        capture_output=True,
        text=True,
        timeout=CURL_TIMEOUT_S + 5,
    )
    assert result.returncode == 0, result.stderr
    body, _, tail = result.stdout.rpartition(marker)
    status, version = tail.split()
    return int(status), version, body


@pytest.mark.parametrize("flag", PROTOCOLS)
def test_curl_ping_answers_pong(echo_server, flag):
    """GET /ping answers 200 {"pong":true} over HTTP/2 prior knowledge and HTTP/1.1."""
    status, version, body = _curl(flag, f"http://{echo_server.address}/ping")
    assert (status, version) == (200, PROTOCOLS[flag])
    assert json.loads(body) == {"pong": True}


@pytest.mark.parametrize("flag", PROTOCOLS)
def test_curl_unknown_path_answers_json_404(echo_server, flag):
    """An unknown path answers 404 in the one JSON error shape, on both protocols."""
    status, version, body = _curl(flag, f"http://{echo_server.address}/no/such/path")
    assert (status, version) == (404, PROTOCOLS[flag])
    error = json.loads(body)["error"]
    assert error["code"] == 404
    assert error["status"] == "NOT_FOUND"
    assert isinstance(error["message"], str) and error["message"]
    assert error["details"] == []


def test_grpc_web_unary_over_http1_answers_message_then_trailer_frame(stubs, echo_server):
    """POST application/grpc-web+proto over HTTP/1.1 answers the message frame, then a trailer
    frame (flag 0x80) carrying grpc-status:0."""
    request = stubs.echo_pb2.EchoRequest(text="web ✓").SerializeToString()
    connection = http.client.HTTPConnection("127.0.0.1", echo_server.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/metachat.fixture.v1.EchoService/Get",
            body=grpc_message(request),
            headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1", "accept": "application/grpc-web+proto"},
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200, (response.status, body[:300])
    assert response.getheader("content-type", "").startswith("application/grpc-web"), response.getheaders()
    frames = split_grpc_messages(body)
    assert [flag for flag, _ in frames] == [0x00, 0x80], frames
    assert stubs.echo_pb2.EchoResponse.FromString(frames[0][1]).text == "web ✓"
    trailer_lines = frames[1][1].decode().split("\r\n")
    assert "grpc-status:0" in [line.replace(" ", "").lower() for line in trailer_lines], trailer_lines
