"""Fixtures for the external-client interop suite.

Nothing is built here: the suite runs the `echo-server` binary named by the environment
variable METACHAT_ECHO_SERVER (default `.build/debug/echo-server`), and generates the Python
stubs for the fixture's protos into a temporary directory once per session.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterator

import grpc
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 10.0
CHANNEL_READY_TIMEOUT_S = 10.0
# Large enough for the 5 MiB message the size tests send.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def _server_binary() -> Path:
    """The echo-server binary under test (absolute)."""
    path = Path(os.environ.get("METACHAT_ECHO_SERVER", ".build/debug/echo-server"))
    return path if path.is_absolute() else REPO_ROOT / path


def _read_line(stream, timeout_s: float) -> bytes:
    """Reads one line from a pipe, giving up after `timeout_s` (bounded; no sleeping)."""
    deadline = time.monotonic() + timeout_s
    data = b""
    fd = stream.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise TimeoutError(f"no complete line within {timeout_s}s (got {data!r})")
            chunk = os.read(fd, 1)
            if not chunk:
                raise EOFError(f"pipe closed before a complete line (got {data!r})")
            data += chunk
    return data


def _drain(stream) -> None:
    """Reads a pipe to its end so the server can never block writing to it."""
    with contextlib.suppress(OSError, ValueError):
        while stream.read(65536):
            pass


@dataclass
class EchoServer:
    """A running echo-server process."""

    process: subprocess.Popen
    port: int
    stderr_path: Path

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def address(self) -> str:
        """`host:port` for clients."""
        return f"127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        """Whether the process has not exited."""
        return self.process.poll() is None

    def rss_bytes(self) -> int:
        """Resident set size, from /proc/<pid>/status (VmRSS)."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("VmRSS missing from /proc status")

    def stderr_tail(self, limit: int = 4000) -> str:
        """The end of what the server wrote to stderr (for failure messages)."""
        try:
            return self.stderr_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""


@contextlib.contextmanager
def start_echo_server(cpus: set[int] | None = None, env: dict[str, str] | None = None) -> Iterator[EchoServer]:
    """Starts echo-server on a free port, yields it, stops it by closing its stdin.

    With `cpus`, the server may run on those CPUs only (as under `taskset`); `env` adds
    environment variables."""
    binary = _server_binary()
    if not binary.is_file():
        pytest.fail(f"echo-server binary not found at {binary} (set METACHAT_ECHO_SERVER)")
    with tempfile.TemporaryDirectory(prefix="metachat-interop-") as tmp:
        stderr_path = Path(tmp) / "stderr.log"
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                [str(binary), "0"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=REPO_ROOT,
                env=dict(os.environ, **(env or {})),
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
            )
        try:
            line = _read_line(process.stdout, STARTUP_TIMEOUT_S).decode().strip()
            word, _, port = line.partition(" ")
            if word != "listening" or not port.isdigit():
                raise RuntimeError(f"unexpected first line from echo-server: {line!r}")
            threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
            yield EchoServer(process=process, port=int(port), stderr_path=stderr_path)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Closes stdin, waits a bounded time, kills as a last resort."""
    with contextlib.suppress(OSError):
        process.stdin.close()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[EchoServer]:
    """One echo-server shared by the tests of a module."""
    with start_echo_server() as server:
        yield server


@pytest.fixture
def fresh_server() -> Iterator[EchoServer]:
    """An echo-server of the test's own, for tests that attack it."""
    with start_echo_server() as server:
        yield server


def open_channel(server: EchoServer, **kwargs) -> grpc.Channel:
    """A grpcio channel to `server`, connected (bounded wait), with large message limits."""
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        # Each channel its own connection, so a test's channel never shares one with another's.
        ("grpc.use_local_subchannel_pool", 1),
    ]
    channel = grpc.insecure_channel(server.address, options=options, **kwargs)
    grpc.channel_ready_future(channel).result(timeout=CHANNEL_READY_TIMEOUT_S)
    return channel


@pytest.fixture
def channel(echo_server: EchoServer) -> Iterator[grpc.Channel]:
    """A connected grpcio channel to the module's server."""
    ch = open_channel(echo_server)
    yield ch
    ch.close()


@pytest.fixture
def open_channels() -> Iterator[Callable[..., grpc.Channel]]:
    """Opens connected channels (`open_channel` arguments) and closes them after the test."""
    opened: list[grpc.Channel] = []

    def make(server: EchoServer, **kwargs) -> grpc.Channel:
        """Opens one channel and remembers it for closing."""
        ch = open_channel(server, **kwargs)
        opened.append(ch)
        return ch

    yield make
    for ch in opened:
        ch.close()


# MARK: Stubs


def _graft_generated_packages(out: Path) -> None:
    """Lets generated `grpc/health/v1` and `grpc/reflection/*` live beside the installed `grpc`.

    The installed grpcio is a regular package, which would shadow the generated namespace
    directory of the same name; appending the generated directory to its `__path__` makes
    `grpc.health.v1.health_pb2` importable without touching grpcio.

    When grpcio-health-checking or grpcio-reflection is installed, grpcio's `__init__` also
    registers `grpc.health` / `grpc.reflection` in `sys.modules` as aliases of those packages,
    which would hide the generated modules; those aliases are dropped for this process.
    """
    for top in sorted(p for p in out.iterdir() if p.is_dir()):
        if (top / "__init__.py").exists():
            continue
        try:
            package = importlib.import_module(top.name)
        except ImportError:
            continue
        path = getattr(package, "__path__", None)
        if path is None:
            continue
        if str(top) not in list(path):
            path.append(str(top))
        for sub in (d.name for d in top.iterdir() if d.is_dir()):
            alias = f"{top.name}.{sub}"
            for name in [n for n in sys.modules if n == alias or n.startswith(alias + ".")]:
                if str(top) not in (getattr(sys.modules[name], "__file__", None) or ""):
                    del sys.modules[name]
            if hasattr(package, sub):
                delattr(package, sub)


@pytest.fixture(scope="session")
def stubs() -> Iterator[SimpleNamespace]:
    """Python messages and stubs for echo.proto, grpc.health.v1 and grpc.reflection (v1 and
    v1alpha), generated from the repository's protos for this run."""
    with tempfile.TemporaryDirectory(prefix="metachat-interop-stubs-") as tmp:
        out = Path(tmp)
        command = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "proto",
            "-I",
            "Tests/CodegenTests/Fixtures",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            "echo.proto",
            "google/api/annotations.proto",
            "google/api/http.proto",
            "grpc/health/v1/health.proto",
            "grpc/reflection/v1/reflection.proto",
            "grpc/reflection/v1alpha/reflection.proto",
        ]
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            pytest.fail(f"protoc failed ({result.returncode}):\n{result.stderr}")
        sys.path.insert(0, str(out))
        try:
            _graft_generated_packages(out)
            yield SimpleNamespace(
                echo_pb2=importlib.import_module("echo_pb2"),
                echo_pb2_grpc=importlib.import_module("echo_pb2_grpc"),
                health_pb2=importlib.import_module("grpc.health.v1.health_pb2"),
                health_pb2_grpc=importlib.import_module("grpc.health.v1.health_pb2_grpc"),
                reflection={
                    version: (
                        importlib.import_module(f"grpc.reflection.{version}.reflection_pb2"),
                        importlib.import_module(f"grpc.reflection.{version}.reflection_pb2_grpc"),
                    )
                    for version in ("v1", "v1alpha")
                },
            )
        finally:
            sys.path.remove(str(out))


@pytest.fixture
def echo_stub(stubs: SimpleNamespace, channel: grpc.Channel):
    """An EchoService stub on the test's channel."""
    return stubs.echo_pb2_grpc.EchoServiceStub(channel)


@pytest.fixture(scope="session")
def metachat_api() -> Iterator[SimpleNamespace]:
    """Python messages and stubs for the MetaChat security, tenant and system services,
    generated from `proto/metachat/v1` for this run (`metachat_process`)."""
    # Imported here: metachat_process imports this module.
    from metachat_process import metachat_stub_modules

    with metachat_stub_modules() as modules:
        yield modules
