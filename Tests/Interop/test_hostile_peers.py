"""Hostile HTTP/2 peers over raw sockets. Each test gets a server of its own and ends by
proving that the server still answers a well-behaved grpcio client on another connection,
with its resident memory under a bound.

What the server sent back to each hostile connection is printed (see `-rP` or `-s`)."""

from __future__ import annotations

import contextlib
import socket
import time

import h2.settings
import pytest

from h2peer import (
    ERROR_CANCEL,
    PREFACE,
    FrameReader,
    H2Client,
    connect,
    grpc_request_headers,
    literal_header,
    raw_frame,
    read_until_closed,
    send_ignoring_close,
)

MiB = 1024 * 1024
RSS_LIMIT = 200 * MiB
READ_TIMEOUT_S = 10.0
GET = "/metachat.fixture.v1.EchoService/Get"
EXPAND = "/metachat.fixture.v1.EchoService/Expand"
MARKER = b"marker!!"
TYPE_HEADERS, TYPE_SETTINGS, TYPE_PING, TYPE_CONTINUATION = 0x1, 0x4, 0x6, 0x9


def assert_still_serving(server, stubs, open_channels) -> None:
    """The process is alive, a new grpcio connection gets an answer within 10 s, RSS is bounded."""
    assert server.is_running(), f"echo-server exited ({server.process.returncode}):\n{server.stderr_tail()}"
    stub = stubs.echo_pb2_grpc.EchoServiceStub(open_channels(server))
    assert stub.Get(stubs.echo_pb2.EchoRequest(text="still here"), timeout=10).text == "still here"
    rss = server.rss_bytes()
    print(f"server RSS afterwards: {rss / MiB:.1f} MiB")
    assert rss < RSS_LIMIT, f"RSS {rss / MiB:.1f} MiB"


def open_raw_session(port: int) -> socket.socket:
    """A socket that has sent the client preface and an empty SETTINGS frame."""
    sock = connect(port)
    sock.sendall(PREFACE + raw_frame(TYPE_SETTINGS, 0, 0, b""))
    return sock


def report(name: str, observation) -> None:
    """Prints what the server sent on a hostile connection."""
    print(f"{name}: {observation.summary()}")


def test_rapid_reset_of_two_thousand_streams_is_stopped_and_server_keeps_serving(stubs, fresh_server, open_channels):
    """HEADERS then RST_STREAM on 2,000 streams in a loop (CVE-2023-44487 pattern): the server
    ends the connection (GOAWAY or close) and keeps serving others."""
    client = H2Client(fresh_server.port)
    headers = grpc_request_headers(fresh_server.port, GET)
    sent_all = True
    with contextlib.closing(client.sock):
        for _ in range(20):
            for _ in range(100):
                stream_id = client.conn.get_next_available_stream_id()
                client.conn.send_headers(stream_id, headers)
                client.conn.reset_stream(stream_id, error_code=ERROR_CANCEL)
            if not send_ignoring_close(client.sock, client.conn.data_to_send()):
                sent_all = False
                break
        send_ignoring_close(client.sock, raw_frame(TYPE_PING, 0, 0, MARKER))
        observation = FrameReader(client.sock).read_until(READ_TIMEOUT_S, ping_payload=MARKER)
    report(f"rapid reset (sent all 2000: {sent_all})", observation)
    assert observation.closed_or_goaway, observation.summary()
    assert_still_serving(fresh_server, stubs, open_channels)


def test_continuation_flood_is_stopped_and_server_keeps_serving(stubs, fresh_server, open_channels):
    """HEADERS without END_HEADERS followed by 10,000 CONTINUATION frames: the server ends the
    connection instead of collecting the header block."""
    block = b"".join(
        literal_header(name.encode(), value.encode()) for name, value in grpc_request_headers(fresh_server.port, GET)
    )
    continuation = raw_frame(TYPE_CONTINUATION, 0, 1, literal_header(b"x-flood", b"a" * 32))
    with contextlib.closing(open_raw_session(fresh_server.port)) as sock:
        flood = raw_frame(TYPE_HEADERS, 0, 1, block) + continuation * 10_000
        sent_all = send_ignoring_close(sock, flood)
        observation = FrameReader(sock).read_until(READ_TIMEOUT_S)
    report(f"CONTINUATION flood (sent all: {sent_all})", observation)
    assert observation.closed_or_goaway, observation.summary()
    assert_still_serving(fresh_server, stubs, open_channels)


def test_oversized_header_block_is_refused_and_server_keeps_serving(stubs, fresh_server, open_channels):
    """A gRPC call carrying a 64 KiB header value (4x the 16 KiB header list limit the server
    announces) is refused: reset, 431, an error status, or the connection ended; never served."""
    client = H2Client(fresh_server.port)
    with contextlib.closing(client.sock):
        message = stubs.echo_pb2.EchoRequest(text="big").SerializeToString()
        stream_id = client.grpc_call(GET, message, extra_headers=[("x-big", "v" * 65536)])
        response = client.read_response(stream_id, timeout_s=READ_TIMEOUT_S)
    status = response.trailers.get("grpc-status", response.headers.get("grpc-status"))
    print(
        f"oversized header: :status={response.headers.get(':status')} grpc-status={status} "
        f"reset={response.reset_code} goaway={response.goaway_code} closed={response.connection_closed}"
    )
    served = response.ended and response.headers.get(":status") == "200" and status == "0"
    assert not served, "the server served a call whose header list is 64 KiB (limit announced: 16 KiB)"
    assert_still_serving(fresh_server, stubs, open_channels)


def test_response_headers_too_large_to_send_end_the_call_instead_of_hanging(stubs, fresh_server, open_channels):
    """A call whose echoed metadata (a 64 KiB `echo-` header) cannot be sent back still ends
    (refused, reset or an error status) within 10 s; it must not hang with no answer at all."""
    client = H2Client(fresh_server.port)
    with contextlib.closing(client.sock):
        message = stubs.echo_pb2.EchoRequest(text="big").SerializeToString()
        stream_id = client.grpc_call(GET, message, extra_headers=[("echo-big", "v" * 65536)])
        try:
            response = client.read_response(stream_id, timeout_s=READ_TIMEOUT_S)
        except TimeoutError:
            response = None
    print(f"echoed 64 KiB header: {response}"[:300])
    assert response is not None, f"no HEADERS, RST_STREAM or GOAWAY for the call within {READ_TIMEOUT_S}s"
    assert_still_serving(fresh_server, stubs, open_channels)


def test_settings_flood_without_reading_acks_is_stopped_and_server_keeps_serving(stubs, fresh_server, open_channels):
    """10,000 SETTINGS frames sent without reading a single ACK: the server ends the connection."""
    entry = (h2.settings.SettingCodes.INITIAL_WINDOW_SIZE).to_bytes(2, "big") + (65535).to_bytes(4, "big")
    with contextlib.closing(open_raw_session(fresh_server.port)) as sock:
        sent_all = send_ignoring_close(sock, raw_frame(TYPE_SETTINGS, 0, 0, entry) * 10_000)
        send_ignoring_close(sock, raw_frame(TYPE_PING, 0, 0, MARKER))
        observation = FrameReader(sock).read_until(READ_TIMEOUT_S, ping_payload=MARKER)
    report(f"SETTINGS flood (sent all: {sent_all})", observation)
    assert observation.closed_or_goaway, observation.summary()
    assert_still_serving(fresh_server, stubs, open_channels)


def test_ping_flood_without_reading_acks_is_stopped_and_server_keeps_serving(stubs, fresh_server, open_channels):
    """10,000 PINGs sent without reading a single ACK: the server answers GOAWAY
    ENHANCE_YOUR_CALM (0xb) and ends the connection."""
    with contextlib.closing(open_raw_session(fresh_server.port)) as sock:
        pings = b"".join(raw_frame(TYPE_PING, 0, 0, i.to_bytes(8, "big")) for i in range(10_000))
        sent_all = send_ignoring_close(sock, pings)
        send_ignoring_close(sock, raw_frame(TYPE_PING, 0, 0, MARKER))
        observation = FrameReader(sock).read_until(READ_TIMEOUT_S, ping_payload=MARKER)
    report(f"PING flood (sent all: {sent_all})", observation)
    assert observation.goaway is not None and observation.goaway[0] == 0xB, observation.summary()
    assert_still_serving(fresh_server, stubs, open_channels)


def _http1_response_head_complete(data: bytes) -> bool:
    """Whether `data` holds a whole HTTP/1.x response head."""
    return data.startswith(b"HTTP/1.") and b"\r\n\r\n" in data


HTTP1_GARBAGE = {
    "garbage": b"\x16\x03\x01\x02\x00GARBAGE\xff\xfe\r\n\r\n" + bytes(range(256)),
    "near-preface": b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\x00" * 64,
}


def test_bad_prefaces_are_refused_and_server_keeps_serving(stubs, fresh_server, open_channels):
    """Garbage and an almost-HTTP/2 preface are answered 400 or closed; a valid preface
    followed by junk frames gets GOAWAY or a close. The server stays up."""
    for name, data in HTTP1_GARBAGE.items():
        with contextlib.closing(connect(fresh_server.port)) as sock:
            send_ignoring_close(sock, data)
            answer, closed = read_until_closed(sock, READ_TIMEOUT_S, stop=_http1_response_head_complete)
        print(f"bad preface {name}: answered {answer[:60]!r}, closed={closed}")
        assert closed or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.0 400")), name
    with contextlib.closing(connect(fresh_server.port)) as sock:
        send_ignoring_close(sock, PREFACE + b"\xff" * 64)
        observation = FrameReader(sock).read_until(READ_TIMEOUT_S)
    report("bad preface preface-then-junk-frames", observation)
    assert observation.closed_or_goaway, observation.summary()
    assert_still_serving(fresh_server, stubs, open_channels)


def test_http1_bad_request_answer_closes_the_connection(fresh_server):
    """After answering a malformed HTTP/1.1 request with 400 and `Connection: close`, the
    server closes the connection (within 5 s) instead of leaving it open."""
    with contextlib.closing(connect(fresh_server.port)) as sock:
        send_ignoring_close(sock, HTTP1_GARBAGE["garbage"])
        answer, closed = read_until_closed(sock, 5.0)
    print(f"HTTP/1.1 garbage: answered {answer[:80]!r}, closed={closed}")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    assert closed, "the server said `Connection: close` but kept the connection open"


def test_two_hundred_idle_connections_do_not_block_a_good_client(stubs, fresh_server, open_channels):
    """200 TCP connections that send nothing (and 50 stuck mid-preface) leave the server
    answering a well-behaved client."""
    idle = []
    try:
        for i in range(250):
            sock = connect(fresh_server.port)
            if i >= 200:
                sock.sendall(PREFACE[:10])
            idle.append(sock)
        started = time.monotonic()
        assert_still_serving(fresh_server, stubs, open_channels)
        print(f"good call with 250 idle connections open took {time.monotonic() - started:.2f}s")
    finally:
        for sock in idle:
            sock.close()
    assert_still_serving(fresh_server, stubs, open_channels)


@pytest.mark.parametrize("windows", ["default", "maximal"])
def test_client_that_never_reads_does_not_make_the_server_buffer_without_bound(
    stubs, fresh_server, open_channels, windows
):
    """Expand(repeat=100000, 1 KiB each, ~100 MiB in all) to a client that never reads, with
    the default 64 KiB flow-control windows or with both windows opened to 2^31-1: the
    server's RSS grows by less than 64 MiB (it must stop producing, not queue the stream)."""
    stub = stubs.echo_pb2_grpc.EchoServiceStub(open_channels(fresh_server))
    baseline = fresh_server.rss_bytes()
    huge = 2**31 - 1
    settings = {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: huge} if windows == "maximal" else None
    client = H2Client(fresh_server.port, rcvbuf=4096, local_settings=settings)
    with contextlib.closing(client.sock):
        if windows == "maximal":
            client.conn.increment_flow_control_window(huge - 65535)
            client.flush()
        request = stubs.echo_pb2.EchoRequest(text="x" * 1024, repeat=100_000)
        client.grpc_call(EXPAND, request.SerializeToString())
        # Pace the observation with round-trips on the good connection, for at most 3 s.
        peak = baseline
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and peak - baseline < 64 * MiB:
            stub.Probe(stubs.echo_pb2.EchoRequest(text="x"), timeout=10)
            peak = max(peak, fresh_server.rss_bytes())
        print(f"never-reading client ({windows} windows): RSS {baseline / MiB:.1f} MiB -> peak {peak / MiB:.1f} MiB")
        assert peak - baseline < 64 * MiB, f"RSS grew by {(peak - baseline) / MiB:.1f} MiB"
        assert_still_serving(fresh_server, stubs, open_channels)
    assert_still_serving(fresh_server, stubs, open_channels)
