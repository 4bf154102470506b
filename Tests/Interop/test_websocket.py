"""WebSocket (RFC 6455) on the HTTP/1.1 face, driven by the `websockets` package against the echo
server's `/v1/ws/echo` route: every message comes back, `close-me` closes with 4000.

The echo server pings every second and allows 5 s for the pong (see
`Tests/EchoServer/EchoWebSocketRoute.swift`); messages and frames are limited to 1 MiB."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import time

import pytest
from websockets.asyncio.client import connect as connect_async
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.sync.client import connect
from websockets.uri import parse_uri

PATH = "/v1/ws/echo"
MiB = 1024 * 1024
MAX_MESSAGE_BYTES = MiB
TIMEOUT_S = 10.0
# The echo server's keepalive: a ping every second, 5 s for its pong.
PONG_TIMEOUT_S = 5.0


def url(server, path: str = PATH) -> str:
    """The ws:// URL of `path` on `server`."""
    return f"ws://{server.address}{path}"


def test_text_and_binary_messages_round_trip(echo_server):
    """Text (non-ASCII), binary and fragmented messages come back unchanged, in order."""
    with connect(url(echo_server), open_timeout=TIMEOUT_S) as ws:
        ws.send("héllo ✓")
        assert ws.recv(timeout=TIMEOUT_S) == "héllo ✓"
        ws.send(bytes(range(256)))
        assert ws.recv(timeout=TIMEOUT_S) == bytes(range(256))
        ws.send(["frag", "ment", "ed"])
        assert ws.recv(timeout=TIMEOUT_S) == "fragmented"
        ws.send(b"")
        assert ws.recv(timeout=TIMEOUT_S) == b""


def test_handshake_response_carries_request_id(echo_server):
    """The 101 answer carries x-request-id, echoing the client's."""
    with connect(url(echo_server), additional_headers={"x-request-id": "ws-test-1"}, open_timeout=TIMEOUT_S) as ws:
        assert ws.response.status_code == 101
        assert ws.response.headers["x-request-id"] == "ws-test-1"


def test_message_at_the_limit_round_trips(echo_server):
    """A message of exactly 1 MiB is accepted and echoed."""
    payload = bytes(i % 251 for i in range(MAX_MESSAGE_BYTES))
    with connect(url(echo_server), max_size=MAX_MESSAGE_BYTES, open_timeout=TIMEOUT_S) as ws:
        ws.send(payload)
        assert ws.recv(timeout=TIMEOUT_S) == payload


@pytest.mark.parametrize("fragmented", [False, True], ids=["one-frame", "fragmented"])
def test_message_over_the_limit_closes_with_1009(echo_server, fragmented):
    """One byte over 1 MiB, in one frame or in fragments, is answered with close 1009."""
    with connect(url(echo_server), open_timeout=TIMEOUT_S) as ws:
        if fragmented:
            ws.send([b"x" * (MAX_MESSAGE_BYTES // 2), b"x" * (MAX_MESSAGE_BYTES // 2 + 1)])
        else:
            ws.send(b"x" * (MAX_MESSAGE_BYTES + 1))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT_S)
    assert closed.value.rcvd is not None, closed.value
    assert closed.value.rcvd.code == 1009, closed.value


def test_client_ping_is_answered(echo_server):
    """A client ping gets its pong, and messages keep flowing afterwards."""
    with connect(url(echo_server), open_timeout=TIMEOUT_S) as ws:
        assert ws.ping(b"are you there").wait(timeout=TIMEOUT_S)
        ws.send("still open")
        assert ws.recv(timeout=TIMEOUT_S) == "still open"


def test_close_me_closes_with_4000_and_reason(echo_server):
    """The text `close-me` makes the server close with code 4000 and its reason."""
    with connect(url(echo_server), open_timeout=TIMEOUT_S) as ws:
        ws.send("close-me")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT_S)
    assert closed.value.rcvd is not None, closed.value
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "closed on request")


def test_unknown_path_is_rejected_with_404(echo_server):
    """A handshake for a path without a WebSocket route is answered 404 in the JSON error shape."""
    with pytest.raises(InvalidStatus) as rejected:
        connect(url(echo_server, "/v1/ws/nothing"), open_timeout=TIMEOUT_S)
    response = rejected.value.response
    assert response.status_code == 404
    error = json.loads(response.body)["error"]
    assert (error["code"], error["status"]) == (404, "NOT_FOUND")


def test_plain_http_works_after_websocket_traffic(echo_server):
    """After WebSocket sessions on the port, plain HTTP/1.1 requests are answered as before."""
    with connect(url(echo_server), open_timeout=TIMEOUT_S) as ws:
        ws.send("ping me")
        assert ws.recv(timeout=TIMEOUT_S) == "ping me"
        connection = http.client.HTTPConnection("127.0.0.1", echo_server.port, timeout=TIMEOUT_S)
        try:
            connection.request("GET", "/ping")
            response = connection.getresponse()
            assert (response.status, json.loads(response.read())) == (200, {"pong": True})
        finally:
            connection.close()
        ws.send("after http")
        assert ws.recv(timeout=TIMEOUT_S) == "after http"


def test_two_hundred_concurrent_sessions_all_echo(echo_server):
    """200 sessions open at once, each sending 5 messages of its own, all get their own echoes."""
    sessions, messages = 200, 5

    async def session(index: int) -> list[str]:
        async with connect_async(url(echo_server), open_timeout=30) as ws:
            answers = []
            for n in range(messages):
                await ws.send(f"session {index} message {n}")
                answers.append(await ws.recv())
            return answers

    async def all_sessions() -> list[list[str]]:
        return await asyncio.wait_for(asyncio.gather(*(session(i) for i in range(sessions))), timeout=120)

    results = asyncio.run(all_sessions())
    assert results == [[f"session {i} message {n}" for n in range(messages)] for i in range(sessions)]


class RawSession:
    """A WebSocket client on a plain socket via the package's sans-I/O protocol, so a test sees
    every frame the server sends (pings included) and decides what goes back."""

    def __init__(self, server) -> None:
        self.protocol = ClientProtocol(parse_uri(url(server)))
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT_S)
        self.protocol.send_request(self.protocol.connect())
        self.flush()
        self.pending: list = []
        response = self.next_event(TIMEOUT_S)
        assert isinstance(response, Response) and response.status_code == 101, response

    def flush(self) -> None:
        """Sends what the protocol queued (e.g. the automatic pong)."""
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def discard_outgoing(self) -> None:
        """Drops what the protocol queued, e.g. to leave a ping unanswered."""
        self.protocol.data_to_send()

    def next_event(self, timeout_s: float):
        """The next handshake response or frame from the server (bounded wait)."""
        deadline = time.monotonic() + timeout_s
        while not self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no event within {timeout_s}s")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            self.pending.extend(self.protocol.events_received())
            if not data and not self.pending:
                raise EOFError("the server closed the connection")
        return self.pending.pop(0)

    def next_frame(self, timeout_s: float) -> Frame:
        """The next frame from the server."""
        event = self.next_event(timeout_s)
        assert isinstance(event, Frame), event
        return event

    def close(self) -> None:
        """Closes the socket."""
        self.sock.close()


def test_server_pings_and_a_pong_keeps_the_session_open(echo_server):
    """The server pings; once the client's pong is back the server pings again (it sends no new
    ping while one is unanswered) and echoes as before."""
    session = RawSession(echo_server)
    try:
        payloads = []
        for _ in range(2):
            frame = session.next_frame(TIMEOUT_S)
            assert frame.opcode is Opcode.PING, frame
            payloads.append(frame.data)
            session.flush()  # the protocol queued the pong
        assert payloads[0] != payloads[1]
        session.protocol.send_text(b"still here")
        session.flush()
        frame = session.next_frame(TIMEOUT_S)
        while frame.opcode is Opcode.PING:
            session.flush()
            frame = session.next_frame(TIMEOUT_S)
        assert (frame.opcode, frame.data) == (Opcode.TEXT, b"still here")
    finally:
        session.close()


def test_unanswered_ping_closes_with_1011(echo_server):
    """A client that never answers the server's ping is closed with 1011 after the pong timeout."""
    session = RawSession(echo_server)
    try:
        frame = session.next_frame(TIMEOUT_S)
        assert frame.opcode is Opcode.PING, frame
        session.discard_outgoing()
        started = time.monotonic()
        frame = session.next_frame(PONG_TIMEOUT_S + TIMEOUT_S)
        waited = time.monotonic() - started
        assert frame.opcode is Opcode.CLOSE, frame
        assert session.protocol.close_rcvd is not None and session.protocol.close_rcvd.code == 1011
        assert waited > PONG_TIMEOUT_S - 1.5, waited
    finally:
        session.close()


def test_graceful_shutdown_closes_sessions_with_1001(fresh_server):
    """When the server shuts down, open sessions are closed with 1001 (going away) and the
    process exits once the closing handshake is done."""
    with connect(url(fresh_server), open_timeout=TIMEOUT_S) as ws:
        ws.send("before")
        assert ws.recv(timeout=TIMEOUT_S) == "before"
        fresh_server.process.stdin.close()  # the echo server shuts down when stdin closes
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT_S)
    assert closed.value.rcvd is not None, closed.value
    assert closed.value.rcvd.code == 1001
    assert fresh_server.process.wait(timeout=TIMEOUT_S) == 0
