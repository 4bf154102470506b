"""`metachat healthcheck`: the container health check for images without curl. Exit 0 when
GET /api/health/ready answers 200, 1 for anything else (another status, no answer, a closed
port, an answer that is not HTTP), 64 for a URL it cannot use."""

from __future__ import annotations

import socket
import threading
from typing import Iterator

import pytest

from metachat_process import free_port, require_services, run_metachat, running_metachat


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_services()
    with running_metachat(tmp_path_factory.mktemp("healthcheck")) as running:
        yield running


def one_shot_server(answer: bytes) -> Iterator[int]:
    """A listener that answers one connection with `answer` and closes it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            if answer:
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(timeout=5)


def test_a_ready_server_passes_by_url_and_by_port(server):
    by_url = run_metachat(["healthcheck", "--url", f"http://127.0.0.1:{server.port}/api/health/ready"])
    by_port = run_metachat(["healthcheck"], PORT=str(server.port))
    assert by_url.returncode == 0, by_url.stdout + by_url.stderr
    assert by_port.returncode == 0, by_port.stdout + by_port.stderr
    assert "200" in by_url.stdout


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n", b"SSH-2.0-OpenSSH\r\n", b""],
    ids=["503", "not-http", "silence"],
)
def test_anything_but_200_fails(answer):
    for port in one_shot_server(answer):
        result = run_metachat(["healthcheck", "--url", f"http://127.0.0.1:{port}/api/health/ready", "--timeout", "2"])
        assert result.returncode == 1, result.stdout + result.stderr


def test_a_closed_port_fails():
    result = run_metachat(["healthcheck", "--url", f"http://127.0.0.1:{free_port()}/api/health/ready"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "healthcheck" in result.stderr


@pytest.mark.parametrize("url", ["ftp://x/", "http://", "http://host:99999/", "http://host:port/", "http://h/a b"])
def test_a_url_it_cannot_use_is_a_usage_error(url):
    result = run_metachat(["healthcheck", "--url", url])
    assert result.returncode == 64, result.stdout + result.stderr
    assert "--url" in result.stderr
