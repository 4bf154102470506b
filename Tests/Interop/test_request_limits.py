"""Client-controlled numbers and request bodies: a huge grpc-timeout is clamped (it used to
stop the process), request bytes one connection can pin are bounded however many streams it
opens, a body that trickles in is refused after REQUEST_BODY_TIMEOUT_SECONDS, and normal large
uploads still pass (docs/hardening.md)."""

from __future__ import annotations

import contextlib
import select
import socket
import time

import grpc
import pytest

from conftest import start_echo_server
from h2peer import H2Client, connect, grpc_request_headers

MiB = 1024 * 1024
GET = "/metachat.fixture.v1.EchoService/Get"
COLLECT = "/metachat.fixture.v1.EchoService/Collect"
BODY_TIMEOUT_S = 2


@pytest.fixture
def slow_body_server():
    """An echo-server whose request-body timeout is two seconds."""
    with start_echo_server(env={"REQUEST_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_S)}) as server:
        yield server


def assert_alive(server, stubs, open_channels) -> None:
    """The process runs and a new grpcio connection gets an answer."""
    assert server.is_running(), f"echo-server exited ({server.process.returncode}):\n{server.stderr_tail()}"
    stub = stubs.echo_pb2_grpc.EchoServiceStub(open_channels(server))
    assert stub.Get(stubs.echo_pb2.EchoRequest(text="alive"), timeout=10).text == "alive"


@pytest.mark.parametrize("timeout", ["99999999H", "99999999M", "99999999S", "99999999m", "1n"])
def test_any_grpc_timeout_is_clamped_and_never_stops_the_server(stubs, fresh_server, open_channels, timeout):
    """grpc-timeout: 99999999H (11,400 years) overflowed the nanosecond conversion and stopped the
    whole process; every well-formed value is now honoured up to 24 hours."""
    client = H2Client(fresh_server.port)
    with contextlib.closing(client.sock):
        request = stubs.echo_pb2.EchoRequest(text="t").SerializeToString()
        stream_id = client.grpc_call(GET, request, extra_headers=[("grpc-timeout", timeout)])
        response = client.read_response(stream_id)
    status = response.trailers.get("grpc-status", response.headers.get("grpc-status"))
    # 1n expires before the handler runs; the others leave plenty of time.
    assert status in (("4", "0") if timeout == "1n" else ("0",)), response
    assert_alive(fresh_server, stubs, open_channels)


def pin_bodies(
    port: int, headers_for, body_bytes: int, streams: int, prefix: bytes = b"", budget_s: float = 15.0
) -> int:
    """Opens `streams` streams on one connection and sends each `prefix` and then up to
    `body_bytes` in all of a body without ending it, as fast as the server's flow control
    lets; stops when the server gives no more window for 2 s (or after `budget_s`). Returns
    the bytes sent."""
    client = H2Client(port)
    ids = []
    for _ in range(streams):
        stream_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream_id, headers_for())
        ids.append(stream_id)
    client.flush()
    sent = {stream_id: 0 for stream_id in ids}
    deadline = time.monotonic() + budget_s
    idle_since = time.monotonic()
    chunk = b"\0" * 16384
    try:
        while time.monotonic() < deadline and time.monotonic() - idle_since < 2.0:
            progressed = False
            for stream_id in ids:
                room = min(
                    client.conn.local_flow_control_window(stream_id),
                    client.conn.max_outbound_frame_size,
                    body_bytes - sent[stream_id],
                )
                if room > 0:
                    data = (prefix + chunk)[:room] if sent[stream_id] == 0 else chunk[:room]
                    client.conn.send_data(stream_id, data)
                    sent[stream_id] += room
                    progressed = True
            client.flush()
            readable, _, _ = select.select([client.sock], [], [], 0 if progressed else 0.5)
            if readable:
                data = client.sock.recv(1 << 20)
                if not data:
                    break
                client.conn.receive_data(data)
                client.flush()
            if progressed:
                idle_since = time.monotonic()
    finally:
        total = sum(sent.values())
        client.sock.close()
    return total


@pytest.mark.parametrize("face", ["rest", "grpc"])
def test_256_streams_of_unfinished_bodies_cannot_pin_unbounded_memory(stubs, fresh_server, open_channels, face):
    """One connection opens 256 streams and sends each a 4 MiB body (REST) or a 4 MiB message
    (gRPC) without finishing it: the server stops granting window at its per-connection budget
    (16 MiB + the 8 MiB connection window), so its RSS grows by far less than the ~1 GiB the
    client offers (before, window came back as bytes arrived and every byte was kept)."""
    baseline = fresh_server.rss_bytes()
    port = fresh_server.port

    def rest_headers():
        return [
            (":method", "POST"),
            (":scheme", "http"),
            (":authority", f"127.0.0.1:{port}"),
            (":path", "/v1/echo"),
            ("content-type", "application/json"),
        ]

    def grpc_headers():
        return grpc_request_headers(port, COLLECT)

    body = 4 * MiB - 16
    if face == "rest":
        sent = pin_bodies(port, rest_headers, body, 256, prefix=b'{"text":"')
    else:
        # Each stream's message prefix announces almost 4 MiB; the zero bytes that follow are
        # its payload, which never completes.
        sent = pin_bodies(port, grpc_headers, body, 256, prefix=b"\x00" + (body - 5).to_bytes(4, "big"))
    peak = fresh_server.rss_bytes()
    print(f"{face}: client sent {sent / MiB:.1f} MiB; RSS {baseline / MiB:.1f} -> {peak / MiB:.1f} MiB")
    assert sent < 64 * MiB, f"the server granted window for {sent / MiB:.1f} MiB on one connection"
    assert peak - baseline < 64 * MiB, f"RSS grew by {(peak - baseline) / MiB:.1f} MiB"
    assert_alive(fresh_server, stubs, open_channels)


def test_http1_body_trickled_byte_by_byte_gets_408_and_the_connection_closes(slow_body_server):
    """A POST announcing 100 bytes that sends one byte every 200 ms is answered 408 with the
    error body once the body timeout has passed, and the connection is closed (its slot is
    free; the server stops sending at once and keeps dropping what arrives for a moment, so the
    answer is read before any reset); before, it was never timed out."""
    sock = connect(slow_body_server.port, timeout_s=10)
    with contextlib.closing(sock):
        sock.sendall(
            b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        answer = b""
        closed = False
        while not closed and time.monotonic() - started < BODY_TIMEOUT_S + 8:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b" ")
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                closed = not chunk
                answer += chunk
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"status":"DEADLINE_EXCEEDED"' in answer, answer
    assert closed, "the connection stayed open after 408"
    assert BODY_TIMEOUT_S - 0.5 <= elapsed < BODY_TIMEOUT_S + 5, elapsed


def test_http2_unfinished_rest_body_gets_408_then_the_stream_is_reset(slow_body_server):
    """Over HTTP/2 the stream gets 408 and is then reset with NO_ERROR, so the client stops
    sending; the connection stays usable."""
    client = H2Client(slow_body_server.port)
    with contextlib.closing(client.sock):
        stream_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(
            stream_id,
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", "x"),
                (":path", "/v1/echo"),
                ("content-type", "application/json"),
            ],
        )
        client.conn.send_data(stream_id, b'{"text":')
        client.flush()
        response = client.read_response(stream_id, timeout_s=BODY_TIMEOUT_S + 8)
        # The answer ends the stream for the server; the reset that follows stops the upload.
        reset = client.read_response(stream_id, timeout_s=5).reset_code if response.reset_code is None else 0
        again = client.conn.get_next_available_stream_id()
        client.conn.send_headers(
            again,
            [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/v1/echo/ok")],
            end_stream=True,
        )
        client.flush()
        second = client.read_response(again)
    assert response.headers.get(":status") == "408", response
    assert b"DEADLINE_EXCEEDED" in response.body, response
    assert reset == 0, reset
    assert second.headers.get(":status") == "200", second


@pytest.mark.parametrize("method", [GET, COLLECT])
def test_grpc_message_that_never_completes_ends_with_deadline_exceeded_and_reset(stubs, slow_body_server, method):
    """A unary request (Get) or a streamed message (Collect) whose announced length never
    arrives ends with DEADLINE_EXCEEDED naming the body timeout, then RST_STREAM."""
    client = H2Client(slow_body_server.port)
    with contextlib.closing(client.sock):
        stream_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream_id, grpc_request_headers(slow_body_server.port, method))
        client.conn.send_data(stream_id, b"\x00" + (1000).to_bytes(4, "big") + b"\x0a\x01")
        client.flush()
        response = client.read_response(stream_id, timeout_s=BODY_TIMEOUT_S + 8)
    status = response.trailers.get("grpc-status", response.headers.get("grpc-status"))
    message = response.trailers.get("grpc-message", response.headers.get("grpc-message", ""))
    assert status == str(grpc.StatusCode.DEADLINE_EXCEEDED.value[0]), response
    assert "did%20not%20arrive" in message or "did not arrive" in message, response


def test_large_uploads_still_pass_alone_and_side_by_side(stubs, echo_server, open_channels):
    """A 4.5 MiB REST body over HTTP/1.1 and HTTP/2, and four 3.5 MiB gRPC messages on one
    connection at once (more than the per-connection budget together), all succeed."""
    import concurrent.futures
    import http.client
    import json

    text = "x" * (4 * MiB + MiB // 2)
    body = json.dumps({"text": text}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", echo_server.port, timeout=30)
    try:
        connection.request("POST", "/v1/echo", body=body, headers={"content-type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    assert response.status == 200, answer[:300]
    assert len(json.loads(answer)["text"]) == len(text)

    client = H2Client(echo_server.port)
    with contextlib.closing(client.sock):
        stream_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(
            stream_id,
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", "x"),
                (":path", "/v1/echo"),
                ("content-type", "application/json"),
            ],
        )
        client.flush()
        upload = client.upload(stream_id, body, timeout_s=30)
        if not upload.response.ended:
            upload.response = client.read_response(stream_id, timeout_s=30)
    assert upload.response.headers.get(":status") == "200", upload.response.headers
    assert len(json.loads(upload.response.body)["text"]) == len(text)

    stub = stubs.echo_pb2_grpc.EchoServiceStub(open_channels(echo_server))
    big = "y" * (3 * MiB + MiB // 2)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda i: stub.Get(stubs.echo_pb2.EchoRequest(text=big + str(i)), timeout=60), range(4))
        )
    assert [len(result.text) for result in results] == [len(big) + 1] * 4


@pytest.mark.parametrize(
    "length",
    ["99999999999999999999", "18446744073709551616", "9223372036854775807", "-1", "1e3", "", " 5", "5, 5"],
)
def test_extreme_content_length_on_http2_is_refused_for_its_stream_only(stubs, echo_server, open_channels, length):
    """A content-length no body can match (beyond Int64, negative, not a number) ends that
    stream (413 or a reset) and nothing else: the server answers on the same connection."""
    client = H2Client(echo_server.port)
    with contextlib.closing(client.sock):
        stream_id = client.conn.get_next_available_stream_id()
        headers = [
            (":method", "POST"),
            (":scheme", "http"),
            (":authority", "x"),
            (":path", "/v1/echo"),
            ("content-type", "application/json"),
            ("content-length", length),
        ]
        client.conn.send_headers(stream_id, headers, end_stream=False)
        # h2 checks content-length itself; send the frames as a peer that does not would.
        client.conn._get_stream_by_id(stream_id)._expected_content_length = None
        client.conn.send_data(stream_id, b'{"text":"a"}', end_stream=True)
        client.flush()
        response = client.read_response(stream_id)
        again = client.conn.get_next_available_stream_id()
        client.conn.send_headers(
            again, [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/v1/echo/ok")], end_stream=True
        )
        client.flush()
        second = client.read_response(again)
    assert response.reset_code is not None or response.headers.get(":status") in ("400", "413"), response
    assert second.headers.get(":status") == "200", second
    assert_alive(echo_server, stubs, open_channels)


@pytest.mark.parametrize("increments", [[2**31 - 1], [2**31 - 1, 2**31 - 1], [0], [1] * 1000])
def test_window_updates_of_any_size_never_overflow_the_server(stubs, fresh_server, open_channels, increments):
    """WINDOW_UPDATE increments up to 2^31-1, repeated past the 2^31-1 window (a flow-control
    error), zero (a protocol error) or a thousand small ones: the connection is answered per
    RFC 9113 (GOAWAY or a stream error) and the server keeps serving others."""
    import struct as _struct

    from h2peer import FrameReader, PREFACE, raw_frame

    sock = connect(fresh_server.port)
    with contextlib.closing(sock):
        sock.sendall(PREFACE + raw_frame(0x4, 0, 0, b""))
        for increment in increments:
            sock.sendall(raw_frame(0x8, 0, 0, _struct.pack(">I", increment)))
        observation = FrameReader(sock).read_until(3.0)
    print(f"window updates {increments[:3]}...: {observation.summary()}")
    if any(increment == 0 for increment in increments) or sum(increments) > 2**31 - 1 - 65535:
        assert observation.goaway is not None, observation.summary()
    assert_alive(fresh_server, stubs, open_channels)
