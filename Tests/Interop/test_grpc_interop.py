"""gRPC's interop client cases against interop-server.

Each test is one case of gRPC's `doc/interop-test-descriptions.md` that applies to a server
without TLS, and asserts what that document says the client asserts. The client is grpcio,
with stubs generated from `proto/grpc/testing` for this run. Two things grpcio's Python API
cannot do are done with a plain HTTP/2 client (`h2`, through `h2peer.H2Client`) in the same
test: reading a response message's compressed flag (server_compressed_unary,
server_compressed_streaming) and choosing compression per request message
(client_compressed_streaming).

The last test runs gRPC's official interop client, the Ruby one Debian's `ruby-grpc` ships,
for every listed case it implements (docs/interop.md).
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import os
import queue
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import grpc
import pytest

from conftest import REPO_ROOT, SHUTDOWN_TIMEOUT_S, STARTUP_TIMEOUT_S, _drain, _graft_generated_packages, _read_line
from h2peer import H2Client, grpc_message, grpc_request_headers, split_grpc_messages

CALL_TIMEOUT_S = 10.0
CHANNEL_READY_TIMEOUT_S = 10.0
# One official client run: a Ruby process start plus one case (the slowest waits 2 s).
OFFICIAL_CLIENT_TIMEOUT_S = 60.0
SERVICE = "/grpc.testing.TestService"
STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")

# The listed cases the official Ruby client (ruby-grpc 1.51) implements; it has no
# server_compressed_unary, server_compressed_streaming or special_status_message.
OFFICIAL_CLIENT_CASES = [
    "empty_unary",
    "large_unary",
    "client_compressed_unary",
    "client_streaming",
    "client_compressed_streaming",
    "server_streaming",
    "ping_pong",
    "empty_stream",
    "cancel_after_begin",
    "cancel_after_first_response",
    "timeout_on_sleeping_server",
    "custom_metadata",
    "status_code_and_message",
    "unimplemented_method",
    "unimplemented_service",
]


# MARK: Server, stubs, channel


@dataclass
class InteropServer:
    """A running interop-server process."""

    process: subprocess.Popen
    port: int

    @property
    def address(self) -> str:
        """`host:port` for clients."""
        return f"127.0.0.1:{self.port}"


def _server_binary() -> Path:
    """The interop-server binary under test (absolute)."""
    path = Path(os.environ.get("METACHAT_INTEROP_SERVER", ".build/debug/interop-server"))
    return path if path.is_absolute() else REPO_ROOT / path


@pytest.fixture(scope="module")
def interop_server() -> Iterator[InteropServer]:
    """One interop-server on a free port for the module; stopped by closing its stdin."""
    binary = _server_binary()
    if not binary.is_file():
        pytest.fail(f"interop-server binary not found at {binary} (set METACHAT_INTEROP_SERVER)")
    process = subprocess.Popen(
        [str(binary), "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO_ROOT,
    )
    try:
        line = _read_line(process.stdout, STARTUP_TIMEOUT_S).decode().strip()
        word, _, port = line.partition(" ")
        if word != "listening" or not port.isdigit():
            raise RuntimeError(f"unexpected first line from interop-server: {line!r}")
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
        yield InteropServer(process=process, port=int(port))
    finally:
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    assert process.returncode == 0, f"interop-server exited with {process.returncode}"


@pytest.fixture(scope="module")
def testing() -> Iterator[SimpleNamespace]:
    """Messages and stubs of `proto/grpc/testing`, generated with grpcio-tools for this run."""
    protos = ["grpc/testing/empty.proto", "grpc/testing/messages.proto", "grpc/testing/test.proto"]
    with tempfile.TemporaryDirectory(prefix="metachat-interop-testing-") as tmp:
        out = Path(tmp)
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
        try:
            _graft_generated_packages(out)
            yield SimpleNamespace(
                empty=importlib.import_module("grpc.testing.empty_pb2"),
                messages=importlib.import_module("grpc.testing.messages_pb2"),
                services=importlib.import_module("grpc.testing.test_pb2_grpc"),
            )
        finally:
            sys.path.remove(str(out))


@pytest.fixture
def channel(interop_server: InteropServer) -> Iterator[grpc.Channel]:
    """A connected grpcio channel of the test's own."""
    ch = grpc.insecure_channel(interop_server.address, options=[("grpc.use_local_subchannel_pool", 1)])
    grpc.channel_ready_future(ch).result(timeout=CHANNEL_READY_TIMEOUT_S)
    yield ch
    ch.close()


@pytest.fixture
def stub(testing: SimpleNamespace, channel: grpc.Channel):
    """A TestService stub on the test's channel."""
    return testing.services.TestServiceStub(channel)


# MARK: Helpers


def _zeros(size: int) -> bytes:
    return bytes(size)


def _payload(testing: SimpleNamespace, size: int):
    return testing.messages.Payload(body=_zeros(size))


def _large_request(testing: SimpleNamespace, **fields):
    """The SimpleRequest of large_unary and the compression cases: 314159 bytes asked for,
    271828 zeros sent."""
    return testing.messages.SimpleRequest(response_size=314159, payload=_payload(testing, 271828), **fields)


def _assert_zero_payload(payload, size: int, testing: SimpleNamespace) -> None:
    assert payload.type == testing.messages.COMPRESSABLE
    assert len(payload.body) == size
    assert payload.body == _zeros(size)


def _streaming_request(testing: SimpleNamespace, response_size: int | None = None, payload_size: int | None = None):
    request = testing.messages.StreamingOutputCallRequest()
    if response_size is not None:
        request.response_parameters.add(size=response_size)
    if payload_size is not None:
        request.payload.body = _zeros(payload_size)
    return request


class Outbox:
    """A request iterator the test feeds one message at a time; ends on `close()`.

    Every wait is bounded: a test that stops feeding ends the iterator after CALL_TIMEOUT_S."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()

    def put(self, message) -> None:
        """Queues one request."""
        self._queue.put(message)

    def close(self) -> None:
        """Ends the request stream (half-close)."""
        self._queue.put(None)

    def __iter__(self):
        while True:
            try:
                item = self._queue.get(timeout=CALL_TIMEOUT_S)
            except queue.Empty:
                return
            if item is None:
                return
            yield item


def _raw_call(server: InteropServer, method: str, body: bytes, headers: list[tuple[str, str]]):
    """One call with a hand-framed request body over h2; returns the response (status checked
    by the caller) with its body split into (flag, payload) messages."""
    client = H2Client(server.port)
    with contextlib.closing(client.sock):
        stream_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream_id, grpc_request_headers(server.port, f"{SERVICE}/{method}", headers))
        client.flush()
        response = client.upload(stream_id, body, timeout_s=CALL_TIMEOUT_S).response
    assert response.ended, response
    status = response.trailers.get("grpc-status", response.headers.get("grpc-status"))
    return status, response, split_grpc_messages(response.body)


def _decoded(flag: int, payload: bytes) -> bytes:
    return gzip.decompress(payload) if flag == 1 else payload


# MARK: The cases


def test_empty_unary(testing, stub):
    """empty_unary: EmptyCall with the default Empty succeeds with a non-null (empty) response."""
    response = stub.EmptyCall(testing.empty.Empty(), timeout=CALL_TIMEOUT_S)
    assert isinstance(response, testing.empty.Empty)
    assert response.ByteSize() == 0


def test_large_unary(testing, stub):
    """large_unary: 271828 zeros in, a payload of 314159 zeros back."""
    response = stub.UnaryCall(_large_request(testing), timeout=CALL_TIMEOUT_S)
    _assert_zero_payload(response.payload, 314159, testing)


def test_client_compressed_unary(testing, stub):
    """client_compressed_unary: the uncompressed probe expecting compression fails with
    INVALID_ARGUMENT; a gzip-compressed call expecting it and an uncompressed call expecting
    none succeed with 314159 bytes."""
    expect = testing.messages.BoolValue
    with pytest.raises(grpc.RpcError) as probe:
        stub.UnaryCall(_large_request(testing, expect_compressed=expect(value=True)), timeout=CALL_TIMEOUT_S)
    assert probe.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    compressed = stub.UnaryCall(
        _large_request(testing, expect_compressed=expect(value=True)),
        timeout=CALL_TIMEOUT_S,
        compression=grpc.Compression.Gzip,
    )
    _assert_zero_payload(compressed.payload, 314159, testing)

    uncompressed = stub.UnaryCall(
        _large_request(testing, expect_compressed=expect(value=False)),
        timeout=CALL_TIMEOUT_S,
        compression=grpc.Compression.NoCompression,
    )
    _assert_zero_payload(uncompressed.payload, 314159, testing)


def test_server_compressed_unary(testing, stub, interop_server):
    """server_compressed_unary: with response_compressed true the response message has the
    compressed flag set, with false it has not; both carry 314159 zeros."""
    for wanted in (True, False):
        request = _large_request(testing, response_compressed=testing.messages.BoolValue(value=wanted))
        response = stub.UnaryCall(request, timeout=CALL_TIMEOUT_S)
        _assert_zero_payload(response.payload, 314159, testing)

        status, raw, messages = _raw_call(
            interop_server,
            "UnaryCall",
            grpc_message(request.SerializeToString()),
            [("grpc-accept-encoding", "identity,deflate,gzip")],
        )
        assert status == "0", raw
        [(flag, payload)] = messages
        assert flag == (1 if wanted else 0), f"response_compressed={wanted} but the flag is {flag}"
        decoded = testing.messages.SimpleResponse.FromString(_decoded(flag, payload))
        _assert_zero_payload(decoded.payload, 314159, testing)


def test_client_streaming(testing, stub):
    """client_streaming: four payloads (27182, 8, 1828, 45904) aggregate to 74922."""
    requests = [testing.messages.StreamingInputCallRequest(payload=_payload(testing, n)) for n in (27182, 8, 1828, 45904)]
    response = stub.StreamingInputCall(iter(requests), timeout=CALL_TIMEOUT_S)
    assert response.aggregated_payload_size == 74922


def test_client_compressed_streaming(testing, stub, interop_server):
    """client_compressed_streaming: the uncompressed probe expecting compression fails with
    INVALID_ARGUMENT; then a compressed message expecting compression and an uncompressed one
    expecting none aggregate to 73086."""
    expect = testing.messages.BoolValue
    first = testing.messages.StreamingInputCallRequest(
        payload=_payload(testing, 27182), expect_compressed=expect(value=True)
    )
    second = testing.messages.StreamingInputCallRequest(
        payload=_payload(testing, 45904), expect_compressed=expect(value=False)
    )
    with pytest.raises(grpc.RpcError) as probe:
        stub.StreamingInputCall(iter([first]), timeout=CALL_TIMEOUT_S)
    assert probe.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    body = grpc_message(gzip.compress(first.SerializeToString()), compressed=True) + grpc_message(
        second.SerializeToString()
    )
    status, raw, messages = _raw_call(interop_server, "StreamingInputCall", body, [("grpc-encoding", "gzip")])
    assert status == "0", raw
    [(flag, payload)] = messages
    assert testing.messages.StreamingInputCallResponse.FromString(payload).aggregated_payload_size == 73086


def test_server_streaming(testing, stub):
    """server_streaming: exactly four responses sized 31415, 9, 2653, 58979, in order."""
    sizes = [31415, 9, 2653, 58979]
    request = testing.messages.StreamingOutputCallRequest()
    for size in sizes:
        request.response_parameters.add(size=size)
    responses = list(stub.StreamingOutputCall(request, timeout=CALL_TIMEOUT_S))
    assert [len(r.payload.body) for r in responses] == sizes
    for response, size in zip(responses, sizes):
        _assert_zero_payload(response.payload, size, testing)


def test_server_compressed_streaming(testing, stub, interop_server):
    """server_compressed_streaming: two responses, 31415 bytes with the compressed flag set and
    92653 bytes without it."""
    request = testing.messages.StreamingOutputCallRequest()
    request.response_parameters.add(size=31415, compressed=testing.messages.BoolValue(value=True))
    request.response_parameters.add(size=92653, compressed=testing.messages.BoolValue(value=False))
    responses = list(stub.StreamingOutputCall(request, timeout=CALL_TIMEOUT_S))
    assert [len(r.payload.body) for r in responses] == [31415, 92653]

    status, raw, messages = _raw_call(
        interop_server,
        "StreamingOutputCall",
        grpc_message(request.SerializeToString()),
        [("grpc-accept-encoding", "identity,deflate,gzip")],
    )
    assert status == "0", raw
    assert [flag for flag, _ in messages] == [1, 0]
    decoded = [testing.messages.StreamingOutputCallResponse.FromString(_decoded(f, p)) for f, p in messages]
    for response, size in zip(decoded, [31415, 92653]):
        _assert_zero_payload(response.payload, size, testing)


def test_ping_pong(testing, stub):
    """ping_pong: four requests on FullDuplexCall, each sent after the previous answer arrived;
    exactly four answers sized 31415, 9, 2653, 58979."""
    pairs = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
    outbox = Outbox()
    responses = stub.FullDuplexCall(iter(outbox), timeout=CALL_TIMEOUT_S)
    try:
        for response_size, payload_size in pairs:
            outbox.put(_streaming_request(testing, response_size, payload_size))
            _assert_zero_payload(next(responses).payload, response_size, testing)
        outbox.close()
        assert list(responses) == []
        assert responses.code() == grpc.StatusCode.OK
    finally:
        outbox.close()


def test_empty_stream(testing, stub):
    """empty_stream: FullDuplexCall half-closed at once succeeds with exactly zero responses."""
    responses = stub.FullDuplexCall(iter([]), timeout=CALL_TIMEOUT_S)
    assert list(responses) == []
    assert responses.code() == grpc.StatusCode.OK


def test_cancel_after_begin(testing, stub):
    """cancel_after_begin: StreamingInputCall cancelled before any message ends CANCELLED."""
    outbox = Outbox()
    call = stub.StreamingInputCall.future(iter(outbox), timeout=CALL_TIMEOUT_S)
    try:
        assert call.cancel()
        assert call.cancelled()
        assert call.code() == grpc.StatusCode.CANCELLED
        with pytest.raises(grpc.FutureCancelledError):
            call.result(timeout=CALL_TIMEOUT_S)
    finally:
        outbox.close()


def test_cancel_after_first_response(testing, stub):
    """cancel_after_first_response: FullDuplexCall cancelled after its first answer ends
    CANCELLED."""
    outbox = Outbox()
    responses = stub.FullDuplexCall(iter(outbox), timeout=CALL_TIMEOUT_S)
    try:
        outbox.put(_streaming_request(testing, 31415, 27182))
        _assert_zero_payload(next(responses).payload, 31415, testing)
        responses.cancel()
        with pytest.raises(grpc.RpcError) as ended:
            next(responses)
        assert ended.value.code() == grpc.StatusCode.CANCELLED
        assert responses.code() == grpc.StatusCode.CANCELLED
    finally:
        outbox.close()


def test_timeout_on_sleeping_server(testing, stub):
    """timeout_on_sleeping_server: FullDuplexCall with a 1 ms timeout, its request stream left
    open, ends DEADLINE_EXCEEDED."""
    outbox = Outbox()
    outbox.put(_streaming_request(testing, payload_size=27182))
    responses = stub.FullDuplexCall(iter(outbox), timeout=0.001)
    try:
        with pytest.raises(grpc.RpcError) as ended:
            list(responses)
        assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        outbox.close()


def test_custom_metadata(testing, stub):
    """custom_metadata: x-grpc-test-echo-initial comes back in the initial metadata and
    x-grpc-test-echo-trailing-bin (0xababab) in the trailing metadata, of a UnaryCall and of a
    FullDuplexCall."""
    metadata = [ECHO_INITIAL, ECHO_TRAILING]

    response, call = stub.UnaryCall.with_call(_large_request(testing), metadata=metadata, timeout=CALL_TIMEOUT_S)
    _assert_zero_payload(response.payload, 314159, testing)
    assert ECHO_INITIAL in list(call.initial_metadata())
    assert ECHO_TRAILING in list(call.trailing_metadata())

    request = _streaming_request(testing, response_size=314159, payload_size=271828)
    responses = stub.FullDuplexCall(iter([request]), metadata=metadata, timeout=CALL_TIMEOUT_S)
    received = list(responses)
    assert [len(r.payload.body) for r in received] == [314159]
    assert responses.code() == grpc.StatusCode.OK
    assert ECHO_INITIAL in list(responses.initial_metadata())
    assert ECHO_TRAILING in list(responses.trailing_metadata())


def _assert_status_echoed(testing, stub, message: str) -> None:
    """UnaryCall and FullDuplexCall asked for status 2 with `message` end with exactly that."""
    status = testing.messages.EchoStatus(code=2, message=message)
    with pytest.raises(grpc.RpcError) as unary:
        stub.UnaryCall(testing.messages.SimpleRequest(response_status=status), timeout=CALL_TIMEOUT_S)
    assert unary.value.code() == grpc.StatusCode.UNKNOWN
    assert unary.value.details() == message

    request = testing.messages.StreamingOutputCallRequest(response_status=status)
    responses = stub.FullDuplexCall(iter([request]), timeout=CALL_TIMEOUT_S)
    with pytest.raises(grpc.RpcError) as streamed:
        list(responses)
    assert streamed.value.code() == grpc.StatusCode.UNKNOWN
    assert streamed.value.details() == message


def test_status_code_and_message(testing, stub):
    """status_code_and_message: the requested code (2) and message come back from a UnaryCall and
    a FullDuplexCall."""
    _assert_status_echoed(testing, stub, STATUS_MESSAGE)


def test_special_status_message(testing, stub):
    """special_status_message: a message with whitespace, a BMP and a non-BMP character comes
    back unchanged (grpc-message percent-encoding both ways)."""
    with pytest.raises(grpc.RpcError) as unary:
        stub.UnaryCall(
            testing.messages.SimpleRequest(
                response_status=testing.messages.EchoStatus(code=2, message=SPECIAL_STATUS_MESSAGE)
            ),
            timeout=CALL_TIMEOUT_S,
        )
    assert unary.value.code() == grpc.StatusCode.UNKNOWN
    assert unary.value.details() == SPECIAL_STATUS_MESSAGE


def test_unimplemented_method(testing, stub):
    """unimplemented_method: TestService/UnimplementedCall ends UNIMPLEMENTED (12)."""
    with pytest.raises(grpc.RpcError) as failure:
        stub.UnimplementedCall(testing.empty.Empty(), timeout=CALL_TIMEOUT_S)
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_unimplemented_service(testing, channel):
    """unimplemented_service: UnimplementedService/UnimplementedCall ends UNIMPLEMENTED (12)."""
    stub = testing.services.UnimplementedServiceStub(channel)
    with pytest.raises(grpc.RpcError) as failure:
        stub.UnimplementedCall(testing.empty.Empty(), timeout=CALL_TIMEOUT_S)
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED


# MARK: The official interop client


def _official_client() -> Path:
    """gRPC's Ruby interop client (`src/ruby/pb/test/client.rb` of grpc/grpc), as Debian's
    ruby-grpc installs it with the grpc gem; METACHAT_RUBY_INTEROP_CLIENT overrides."""
    override = os.environ.get("METACHAT_RUBY_INTEROP_CLIENT")
    if override:
        return Path(override)
    result = subprocess.run(
        ["ruby", "-e", 'print Gem::Specification.find_by_name("grpc").full_gem_path'],
        capture_output=True,
        text=True,
        timeout=OFFICIAL_CLIENT_TIMEOUT_S,
    )
    if result.returncode != 0:
        pytest.fail(f"the grpc gem is not installed (scripts/setup.sh installs ruby-grpc): {result.stderr}")
    return Path(result.stdout) / "src/ruby/pb/test/client.rb"


@pytest.mark.parametrize("case", OFFICIAL_CLIENT_CASES)
def test_official_ruby_interop_client(interop_server, case):
    """gRPC's official Ruby interop client passes the case against interop-server."""
    client = _official_client()
    assert client.is_file(), f"the official interop client is missing at {client}"
    environment = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    result = subprocess.run(
        [
            "ruby",
            str(client),
            "--server_host=127.0.0.1",
            f"--server_port={interop_server.port}",
            f"--test_case={case}",
            "--use_tls=false",
        ],
        capture_output=True,
        text=True,
        timeout=OFFICIAL_CLIENT_TIMEOUT_S,
        env=environment,
    )
    assert result.returncode == 0, f"{case} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    assert f'"OK: {case}"' in result.stdout, result.stdout
