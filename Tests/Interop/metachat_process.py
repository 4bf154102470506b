"""Real `metachat` processes for the interop suite: `metachat serve` on a free port (started,
polled until healthy, stopped), `metachat seed-admin --json` and `metachat migrate`, and Python
stubs for the MetaChat protos.

The binary is METACHAT_BINARY, or `metachat` beside the echo-server under test. Servers inherit
the environment `scripts/test.sh interop` exports (DATABASE_URL, REDIS_URL, API_KEY_PEPPER);
callers override single variables, e.g. to point a server at a PostgreSQL or Redis of their own.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import grpc
import pytest

from conftest import CHANNEL_READY_TIMEOUT_S, REPO_ROOT, _server_binary

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 15.0
COMMAND_TIMEOUT_S = 60.0
# Attempts at starting a server when the free port was taken before it could bind.
START_ATTEMPTS = 3


def metachat_binary() -> Path:
    """The metachat binary under test (absolute)."""
    configured = os.environ.get("METACHAT_BINARY")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else REPO_ROOT / path
    return _server_binary().parent / "metachat"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_services() -> None:
    """Fails the test unless the suite's PostgreSQL, Redis and pepper are configured."""
    missing = [name for name in ("DATABASE_URL", "REDIS_URL", "API_KEY_PEPPER") if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run this through `scripts/test.sh interop`")


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET over HTTP/1.1; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
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

    @property
    def address(self) -> str:
        """`host:port` for gRPC clients."""
        return f"127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        """Whether the process has not exited."""
        return self.process.poll() is None

    def log_tail(self) -> str:
        """The end of the server's output (for failure messages)."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""


class _ExitedEarly(Exception):
    """The server exited before it became healthy."""

    def __init__(self, code: int):
        super().__init__(f"exited with {code}")
        self.code = code


def wait_until_healthy(server: MetaChat, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Polls `/api/health` until it answers 200, failing early if the server exits."""
    deadline = time.monotonic() + timeout_s
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
            raise _ExitedEarly(server.process.wait(timeout=0.1))
    pytest.fail(f"/api/health not healthy within {timeout_s}s ({last}):\n{server.log_tail()}")


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, a bounded wait, SIGKILL as a last resort."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)


@contextlib.contextmanager
def running_metachat(log_dir: Path, **environment: str) -> Iterator[MetaChat]:
    """`metachat serve` on a free loopback port with the suite's environment plus
    `environment`, healthy when yielded, stopped (SIGTERM) afterwards.

    A start whose port was taken between choosing and binding it is retried on another port."""
    binary = metachat_binary()
    if not binary.is_file():
        pytest.fail(f"metachat binary not found at {binary} (set METACHAT_BINARY)")
    log_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        log_path = log_dir / f"serve-{port}.log"
        merged = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="warning")
        merged.update(environment)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [str(binary), "serve"], env=merged, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        server = MetaChat(process=process, port=port, log_path=log_path)
        try:
            try:
                wait_until_healthy(server)
            except _ExitedEarly as exited:
                if attempt < START_ATTEMPTS and "in use" in server.log_tail().lower():
                    continue
                pytest.fail(f"metachat serve exited with {exited.code}:\n{server.log_tail()}")
            yield server
            return
        finally:
            stop_process(process)


def run_metachat(arguments: list[str], **environment: str) -> subprocess.CompletedProcess:
    """Runs a one-shot `metachat` command with the suite's environment plus `environment`."""
    merged = dict(os.environ)
    merged.update(environment)
    return subprocess.run(
        [str(metachat_binary()), *arguments],
        capture_output=True,
        text=True,
        env=merged,
        timeout=COMMAND_TIMEOUT_S,
    )


def seed_admin(email: str, label: str, **environment: str) -> dict:
    """`metachat seed-admin --json`: the admin id, key id and plaintext key of a SUPER admin."""
    result = run_metachat(["seed-admin", "--email", email, "--label", label, "--json"], **environment)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


# MARK: Stubs


def generate_metachat_stubs(out: Path) -> SimpleNamespace:
    """Generates Python messages and stubs for `proto/metachat/v1/*.proto` (with the
    `google/api` protos they import) into `out`, puts `out` on `sys.path` and imports the
    security, tenant, system, conversation, common and chat modules. The caller removes `out`
    from `sys.path`."""
    protos = sorted(str(path.relative_to(REPO_ROOT / "proto")) for path in (REPO_ROOT / "proto").rglob("*.proto"))
    protos = [name for name in protos if name.startswith(("metachat/", "google/api/"))]
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I",
        "proto",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"protoc failed ({result.returncode}):\n{result.stderr}")
    sys.path.insert(0, str(out))
    modules = {}
    for name in ("security", "tenants", "system", "conversations", "common", "chat"):
        modules[f"{name}_pb2"] = importlib.import_module(f"metachat.v1.{name}_pb2")
        modules[f"{name}_pb2_grpc"] = importlib.import_module(f"metachat.v1.{name}_pb2_grpc")
    return SimpleNamespace(**modules)


@contextlib.contextmanager
def metachat_stub_modules() -> Iterator[SimpleNamespace]:
    """``generate_metachat_stubs`` into a temporary directory that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="metachat-interop-api-stubs-") as tmp:
        try:
            yield generate_metachat_stubs(Path(tmp))
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(tmp)


def open_channel(server: MetaChat) -> grpc.Channel:
    """A connected grpcio channel (own connection) to `server`."""
    channel = grpc.insecure_channel(server.address, options=[("grpc.use_local_subchannel_pool", 1)])
    grpc.channel_ready_future(channel).result(timeout=CHANNEL_READY_TIMEOUT_S)
    return channel
