"""The REST bridge from the outside: curl over HTTP/1.1 and HTTP/2 prior knowledge, http.client
and h2 against the echo fixture's generated routes (`google.api.http`) and raw routes.

Covers exact JSON for each verb, Server-Sent Events (`curl -N`, resume with Last-Event-ID,
heartbeats, cancellation on disconnect), early 413s, the table of refused inputs with messages
that name the problem, concurrent requests without cross-talk, CORS, HSTS behind a trusted
proxy and gzip."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import secrets
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote

import h2.events
import pytest

from conftest import EchoServer, open_channel, start_echo_server
from h2peer import H2Client, send_ignoring_close
from restclient import (
    CURL_PROTOCOLS,
    HTTP1,
    Reply,
    curl,
    curl_binary,
    curl_stream,
    parse_sse,
    request,
)

ALLOWED_ORIGIN = "https://ok.example"
SSE = "Accept: text/event-stream"
JSON = "Content-Type: application/json"
KiB = 1024
MiB = 1024 * KiB
# The fixture's limits: /upload takes 64 KiB, JSON bodies 5 MiB.
UPLOAD_LIMIT = 64 * KiB
JSON_LIMIT = 5 * MiB
PROMPT_S = 5.0
CANCEL_DEADLINE_S = 10.0
SERVER_ENV = ("API_CORS_ORIGINS", "TRUSTED_PROXIES", "SSE_HEARTBEAT_SECONDS")


@contextlib.contextmanager
def server_with_env(**env: str) -> Iterator[EchoServer]:
    """An echo-server started with exactly these of its variables set (the others unset); the
    test process's environment is restored as soon as the server runs."""
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:
            for name in SERVER_ENV:
                if name in env:
                    patch.setenv(name, env[name])
                else:
                    patch.delenv(name, raising=False)
            server = stack.enter_context(start_echo_server())
        yield server


@pytest.fixture(scope="module")
def rest_server() -> Iterator[EchoServer]:
    """The module's echo-server, allowing the one browser origin."""
    with server_with_env(API_CORS_ORIGINS=ALLOWED_ORIGIN) as server:
        yield server


def url(server: EchoServer, path: str) -> str:
    """`http://host:port/path`."""
    return f"http://{server.address}{path}"


def assert_serving(server: EchoServer) -> None:
    """The server still answers a plain request on a new connection."""
    reply = request(server.port, "GET", "/ping")
    assert (reply.status, reply.json()) == (200, {"pong": True}), server.stderr_tail()


def probe_cancellations(stubs, server: EchoServer) -> int:
    """The fixture's count of handler cancellations (the gRPC Probe `cancellations`)."""
    channel = open_channel(server)
    try:
        stub = stubs.echo_pb2_grpc.EchoServiceStub(channel)
        return stub.Probe(stubs.echo_pb2.EchoRequest(text="cancellations"), timeout=10).index
    finally:
        channel.close()


# MARK: Verbs over curl

GET_QUERY = (
    "repeat=2&tags=a&tags=b%20c&target.roomId=r1&flag=true&mood=MOOD_HAPPY"
    "&big=9007199254740993&at=2024-01-02T03:04:05Z&limit=7&ratio=0.5"
)


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_curl_get_binds_path_variable_and_every_query_parameter_kind(rest_server, protocol):
    """GET /v1/echo/{text}: the percent-decoded path variable and query parameters of every
    kind (int32, repeated, nested, bool, enum name, int64, timestamp, wrapper, double) come
    back exactly in the echoed request."""
    reply = curl(url(rest_server, f"/v1/echo/caf%C3%A9%20ol%C3%A9?{GET_QUERY}"), protocol=protocol)
    assert (reply.status, reply.version) == (200, CURL_PROTOCOLS[protocol]), reply.body
    assert reply.header("content-type") == "application/json"
    assert reply.json() == {
        "text": "café olé",
        "request": {
            "text": "café olé",
            "repeat": 2,
            "target": {"roomId": "r1"},
            "big": "9007199254740993",
            "flag": True,
            "mood": "MOOD_HAPPY",
            "at": "2024-01-02T03:04:05Z",
            "tags": ["a", "b c"],
            "limit": 7,
            "ratio": 0.5,
        },
    }


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_curl_post_takes_the_whole_request_from_the_json_body(rest_server, protocol):
    """POST /v1/echo (body `*`): every field of the JSON body, proto names accepted, reaches
    the handler; the answer is the protobuf JSON of the response (int64 as string, enum names,
    wrappers, RFC 3339 with millis)."""
    body = {
        "text": "post ✓",
        "labels": {"k": "v", "ü": "ß"},
        "big": "-9007199254740993",
        "mood": "MOOD_SAD",
        "at": "2024-02-29T23:59:59.500Z",
        "tags": ["x"],
        "limit": 0,
        "ratio": -1.25,
        "target": {"room_id": "r", "userId": "u"},
    }
    reply = curl(
        url(rest_server, "/v1/echo"), "-X", "POST", "-H", JSON, "--data-binary", json.dumps(body), protocol=protocol
    )
    assert (reply.status, reply.version) == (200, CURL_PROTOCOLS[protocol]), reply.body
    echoed = dict(body, target={"roomId": "r", "userId": "u"})
    assert reply.json() == {"text": "post ✓", "labels": {"k": "v", "ü": "ß"}, "request": echoed}


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_curl_patch_binds_nested_path_variables_and_the_body_field(rest_server, protocol):
    """PATCH /v1/rooms/{target.room_id}/users/{target.user_id=*} with body `labels`: the two
    nested path variables (one with an escaped slash), the map body and the remaining query
    parameters land in their own fields."""
    reply = curl(
        url(rest_server, "/v1/rooms/room%201/users/u%2F2?text=t&repeat=3"),
        "-X",
        "PATCH",
        "-H",
        JSON,
        "--data-binary",
        '{"a":"1","b":"2"}',
        protocol=protocol,
    )
    assert (reply.status, reply.version) == (200, CURL_PROTOCOLS[protocol]), reply.body
    assert reply.json() == {
        "text": "t",
        "labels": {"a": "1", "b": "2"},
        "request": {
            "text": "t",
            "repeat": 3,
            "target": {"roomId": "room 1", "userId": "u/2"},
            "labels": {"a": "1", "b": "2"},
        },
    }


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_curl_put_answers_only_the_response_body_field(rest_server, protocol):
    """PUT /v1/echo/{text} has `response_body: "summary"`: the HTTP body is the (empty)
    summary message, not the whole echo."""
    reply = curl(
        url(rest_server, "/v1/echo/x"), "-X", "PUT", "-H", JSON, "--data-binary", '{"repeat":3}', protocol=protocol
    )
    assert (reply.status, reply.body) == (200, b"{}")


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_curl_delete_echoes(rest_server, protocol):
    """DELETE /v1/echo/{text} binds the path variable and echoes."""
    deleted = curl(url(rest_server, "/v1/echo/gone"), "-X", "DELETE", protocol=protocol)
    assert (deleted.status, deleted.json()) == (200, {"text": "gone", "request": {"text": "gone"}})


def test_custom_head_route_answers_headers_only_and_keeps_the_connection_usable(rest_server):
    """The custom HEAD binding answers 200 with the JSON content type and the length of the
    body it would have sent, but no body: the next request on the same connection is read
    correctly."""
    connection = http.client.HTTPConnection("127.0.0.1", rest_server.port, timeout=10)
    try:
        connection.request("HEAD", "/v1/echo/probe")
        head = connection.getresponse()
        assert (head.status, head.read()) == (200, b"")
        assert head.getheader("content-type") == "application/json"
        assert int(head.getheader("content-length", "0")) == len(b'{"request":{"text":"probe"}}')
        connection.request("GET", "/ping")
        after = connection.getresponse()
        assert (after.status, json.loads(after.read())) == (200, {"pong": True})
    finally:
        connection.close()


# MARK: Streams


def expand_event(text: str, repeat: int, index: int, after: str | None = None) -> dict:
    """The JSON of the Expand message with this index."""
    request_json = {"text": text, "repeat": repeat}
    if after is not None:
        request_json["afterEventId"] = after
    message = {"text": text, "request": request_json, "eventId": str(index), "echoed": text}
    if index:
        message["index"] = index
    return message


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_curl_n_reads_server_sent_events_with_ids_names_and_json_data(rest_server, protocol):
    """`curl -N` with Accept: text/event-stream gets one `id:`/`event: echoed`/`data:` block
    per message, in order, and the stream ends after the last."""
    with curl_stream(url(rest_server, "/v1/echo/hey/expand?repeat=3"), "-H", SSE, protocol=protocol) as stream:
        assert stream.read_head() == 200
        assert stream.header("content-type") == "text/event-stream; charset=utf-8"
        assert stream.header("cache-control") == "no-cache"
        events = parse_sse(stream.read_to_end().decode())
    assert [(e.id, e.event) for e in events] == [("0", "echoed"), ("1", "echoed"), ("2", "echoed")]
    assert [e.json() for e in events] == [expand_event("hey", 3, i) for i in range(3)]


def test_sse_events_arrive_while_the_stream_is_still_open(rest_server):
    """The events of a stream that then waits arrive before it ends (nothing is buffered until
    the end): `text=wait` writes `repeat` messages and then never finishes."""
    with curl_stream(url(rest_server, "/v1/echo/wait/expand?repeat=2"), "-H", SSE) as stream:
        assert stream.read_head() == 200
        first, second = stream.read_event(), stream.read_event()
        assert stream.process.poll() is None, "the stream ended; it should still be open"
    assert [(first.id, first.json()), (second.id, second.json())] == [
        ("0", expand_event("wait", 2, 0)),
        ("1", expand_event("wait", 2, 1)),
    ]


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_last_event_id_resumes_after_that_event(rest_server, protocol):
    """`Last-Event-ID: 1` on a 5-message stream yields only events 2, 3, 4."""
    with curl_stream(
        url(rest_server, "/v1/echo/again/expand?repeat=5"), "-H", SSE, "-H", "Last-Event-ID: 1", protocol=protocol
    ) as stream:
        assert stream.read_head() == 200
        events = parse_sse(stream.read_to_end().decode())
    assert [e.id for e in events] == ["2", "3", "4"]
    assert [e.json() for e in events] == [expand_event("again", 5, i, after="1") for i in (2, 3, 4)]


def test_stream_without_sse_accept_is_ndjson(rest_server):
    """Without Accept: text/event-stream the stream is newline-delimited JSON."""
    reply = curl(url(rest_server, "/v1/echo/nd/expand?repeat=2"))
    assert reply.status == 200
    assert reply.header("content-type") == "application/x-ndjson"
    lines = reply.body.decode().split("\n")
    assert lines[-1] == ""
    assert [json.loads(line) for line in lines[:-1]] == [expand_event("nd", 2, i) for i in range(2)]


def test_stream_that_fails_before_its_first_message_answers_its_status(rest_server):
    """A handler error before the first message is an ordinary error response (400 here)."""
    reply = curl(url(rest_server, "/v1/echo/fail:nope/expand?repeat=2"), "-H", SSE)
    assert reply.status == 400
    assert reply.error() == {"code": 400, "status": "INVALID_ARGUMENT", "message": "nope", "details": []}


def test_idle_sse_stream_carries_heartbeat_comments():
    """With SSE_HEARTBEAT_SECONDS=0.2 an idle stream (`wait`, no messages) carries
    `: heartbeat` comment blocks, repeatedly, and nothing else."""
    with server_with_env(SSE_HEARTBEAT_SECONDS="0.2") as server:
        with curl_stream(url(server, "/v1/echo/wait/expand"), "-H", SSE) as stream:
            assert stream.read_head() == 200
            blocks = [stream.read_event(timeout_s=5.0) for _ in range(3)]
        assert_serving(server)
    assert [(b.comments, b.data, b.id, b.event) for b in blocks] == [([": heartbeat"], None, None, None)] * 3


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_client_disconnect_cancels_the_streaming_handler(stubs, rest_server, protocol):
    """curl reading an SSE stream of `wait` is stopped after its first event: the handler sees
    the cancellation (the fixture's counter, read over gRPC, goes up within a deadline)."""
    before = probe_cancellations(stubs, rest_server)
    with curl_stream(url(rest_server, "/v1/echo/wait/expand?repeat=1"), "-H", SSE, protocol=protocol) as stream:
        assert stream.read_head() == 200
        assert stream.read_event().id == "0"
        assert probe_cancellations(stubs, rest_server) == before, "cancelled while the client was still reading"
    deadline = time.monotonic() + CANCEL_DEADLINE_S
    seen = before
    while time.monotonic() < deadline and seen == before:
        seen = probe_cancellations(stubs, rest_server)
    assert seen == before + 1, f"handler not cancelled within {CANCEL_DEADLINE_S}s ({before} -> {seen})"


# MARK: Body limits


def read_http1_response(sock: socket.socket, timeout_s: float) -> tuple[int, dict[str, str], bytes]:
    """Reads one HTTP/1.1 response with content-length from a raw socket (bounded)."""
    data = b""
    deadline = time.monotonic() + timeout_s
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            length = int(headers.get("content-length", "0"))
            if len(rest) >= length:
                return int(lines[0].split()[1]), headers, rest[:length]
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no whole response within {timeout_s}s (got {data[:300]!r})"
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a whole response (got {data[:300]!r})"
        data += chunk


LIMITED_ROUTES = {
    "upload-100KiB": ("/upload", "application/octet-stream", 100 * KiB, UPLOAD_LIMIT),
    "json-6MiB": ("/v1/echo", "application/json", 6 * MiB, JSON_LIMIT),
}


@pytest.mark.parametrize("route", LIMITED_ROUTES)
def test_http1_declared_oversized_body_is_refused_before_it_is_sent(fresh_server, route):
    """A request whose Content-Length passes the route's limit is answered 413 in the error
    shape while the client has sent only the head: the server does not wait for the body."""
    path, content_type, size, limit = LIMITED_ROUTES[route]
    with socket.create_connection(("127.0.0.1", fresh_server.port), timeout=PROMPT_S) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {size}\r\n\r\n"
        sock.sendall(head.encode())
        status, headers, body = read_http1_response(sock, PROMPT_S)
    reply = Reply(status=status, headers=list(headers.items()), body=body)
    assert status == 413
    error = reply.error()
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert str(limit) in error["message"], error
    assert_serving(fresh_server)


def test_http1_chunked_upload_is_refused_once_it_passes_the_limit(fresh_server):
    """A chunked upload (no Content-Length) that passes 64 KiB is answered 413 before the
    client has finished it."""
    with socket.create_connection(("127.0.0.1", fresh_server.port), timeout=PROMPT_S) as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"a" * (8 * KiB)
        for _ in range(UPLOAD_LIMIT // len(chunk) + 2):
            if not send_ignoring_close(sock, b"%x\r\n%s\r\n" % (len(chunk), chunk)):
                break
        status, _, body = read_http1_response(sock, PROMPT_S)
    assert status == 413, body
    assert json.loads(body)["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert_serving(fresh_server)


# HTTP/1.1 only: over HTTP/2 the server answers 413 and then resets the stream with NO_ERROR
# (RFC 9113 §8.1), and Debian's curl 7.88.1, when that reset arrives while it is still
# uploading, sometimes drops the response it already has (exit 92). The HTTP/2 case is
# test_http2_oversized_body_sent_in_full_gets_a_prompt_413_then_a_no_error_reset, with an h2 client.
@pytest.mark.parametrize("protocol", [HTTP1])
@pytest.mark.parametrize("route", LIMITED_ROUTES)
def test_curl_oversized_body_gets_a_prompt_413_and_the_server_keeps_serving(tmp_path, fresh_server, route, protocol):
    """curl sending the whole oversized body (no Expect: 100-continue) gets 413 in the error
    shape well within the time bound, and the server then serves the next request."""
    path, content_type, size, limit = LIMITED_ROUTES[route]
    payload = tmp_path / "body"
    if content_type == "application/json":
        payload.write_text(json.dumps({"text": "a" * size}))
    else:
        payload.write_bytes(b"a" * size)
    started = time.monotonic()
    reply = curl(
        url(fresh_server, path),
        "-X",
        "POST",
        "-H",
        f"Content-Type: {content_type}",
        "-H",
        "Expect:",
        "--data-binary",
        f"@{payload}",
        protocol=protocol,
        timeout=PROMPT_S,
    )
    assert time.monotonic() - started < PROMPT_S
    assert reply.status == 413, (reply.status, reply.body[:300])
    error = reply.error()
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert str(limit) in error["message"], error
    assert_serving(fresh_server)


# Bodies the HTTP/2 client sends in full with their content-length, as curl does. Each is larger
# than the server's stream window (1 MiB), so the client can send all of it only if the server
# reads it all, opening the window as it goes.
H2_LIMITED_ROUTES = {
    "upload-2MiB": ("/upload", "application/octet-stream", 2 * MiB, UPLOAD_LIMIT),
    "json-6MiB": ("/v1/echo", "application/json", 6 * MiB, JSON_LIMIT),
}


@pytest.mark.parametrize("route", H2_LIMITED_ROUTES)
def test_http2_oversized_body_sent_in_full_gets_a_prompt_413_then_a_no_error_reset(fresh_server, route):
    """An h2 client uploading a whole oversized body without waiting gets the 413 HEADERS and the
    error body while it is still uploading; then the stream ends or is reset with NO_ERROR (RFC
    9113 §8.1: the request need not be finished). The server never read the whole body: it answered
    before the client could send it. The same connection and a new one serve the next request."""
    path, content_type, size, limit = H2_LIMITED_ROUTES[route]
    body = json.dumps({"text": "a" * size}).encode() if content_type == "application/json" else b"a" * size
    client = h2_client(fresh_server.port)
    try:
        window = client.conn.remote_settings.initial_window_size
        assert len(body) > window, f"the body must not fit the server's stream window of {window} bytes"
        stream_id = client.conn.get_next_available_stream_id()
        extra = [("content-type", content_type), ("content-length", str(len(body)))]
        client.conn.send_headers(stream_id, h2_headers(fresh_server.port, "POST", path, extra))
        client.flush()
        upload = client.upload(stream_id, body, timeout_s=PROMPT_S)
        response = upload.response

        assert response.headers.get(":status") == "413", upload
        error = json.loads(response.body)["error"]
        assert (error["code"], error["status"]) == (413, "RESOURCE_EXHAUSTED"), error
        assert str(limit) in error["message"], error
        assert response.reset_code in (None, 0) and (response.ended or response.reset_code == 0), upload
        assert upload.sent_at_response is not None and upload.sent_at_response < len(body), upload
        assert not upload.finished and upload.sent < len(body), upload
        assert not response.connection_closed and response.goaway_code is None, upload

        next_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(next_id, h2_headers(fresh_server.port, "GET", "/ping"), end_stream=True)
        client.flush()
        pong = client.read_response(next_id, timeout_s=PROMPT_S)
    finally:
        client.sock.close()
    assert (pong.headers.get(":status"), json.loads(pong.body)) == ("200", {"pong": True}), pong
    assert_serving(fresh_server)


def h2_client(port: int) -> H2Client:
    """An h2 client that has received the server's SETTINGS (so its windows are known)."""
    client = H2Client(port)
    deadline = time.monotonic() + PROMPT_S
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no SETTINGS from the server"
        client.sock.settimeout(remaining)
        events = client.conn.receive_data(client.sock.recv(65536))
        client.flush()
        if any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events):
            return client


def h2_headers(port: int, method: str, path: str, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Request headers for an h2 stream."""
    return [(":method", method), (":scheme", "http"), (":authority", f"127.0.0.1:{port}"), (":path", path)] + (
        extra or []
    )


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "data-frames"])
def test_http2_oversized_upload_is_answered_413_not_just_reset(fresh_server, declared):
    """Over HTTP/2 an upload past 64 KiB (declared in content-length, or sent in DATA frames
    without it) gets a 413 HEADERS frame and the error body before the stream ends or is
    reset, while the client has not finished sending."""
    client = h2_client(fresh_server.port)
    try:
        stream_id = client.conn.get_next_available_stream_id()
        extra = [("content-type", "application/octet-stream")]
        if declared:
            extra.append(("content-length", str(100 * KiB)))
        client.conn.send_headers(stream_id, h2_headers(fresh_server.port, "POST", "/upload", extra))
        if not declared:
            for _ in range(5):
                client.conn.send_data(stream_id, b"a" * (16 * KiB))
        client.flush()
        response = client.read_response(stream_id, timeout_s=PROMPT_S)
    finally:
        client.sock.close()
    assert response.headers.get(":status") == "413", response
    assert json.loads(response.body)["error"]["status"] == "RESOURCE_EXHAUSTED", response
    assert_serving(fresh_server)


# MARK: Refused input

@dataclass(frozen=True)
class BadInput:
    """A request the bridge must refuse, and what the answer must say."""

    method: str
    path: str
    body: str | None
    fragments: tuple[str, ...]
    status: int = 400
    status_name: str = "INVALID_ARGUMENT"
    content_type: str | None = "application/json"


def posted(body: str, *fragments: str, **answer) -> BadInput:
    """A POST /v1/echo (body `*`) with this body."""
    return BadInput("POST", "/v1/echo", body, fragments, **answer)


def queried(path: str, *fragments: str, **answer) -> BadInput:
    """A GET without a body."""
    return BadInput("GET", path, None, fragments, content_type=None, **answer)


BAD_INPUTS = {
    "malformed-json": posted('{"text":\n "hi",}', "not valid JSON", "line 2, column 7"),
    "unknown-field": posted('{"text":"hi","nope":1}', "'nope'"),
    "unknown-nested-field": posted('{"target":{"nope":1}}', "'target.nope'"),
    "wrong-type": posted('{"repeat":"many"}', "'repeat'", "integer"),
    "wrong-nested-type": posted('{"target":{"roomId":5}}', "'target.roomId'", "string"),
    "int64-out-of-range": posted('{"big":"99999999999999999999"}', "'big'", "int64"),
    "bad-enum-name": posted('{"mood":"MOOD_ANGRY"}', "'mood'", "MOOD_ANGRY", "MOOD_HAPPY"),
    "bad-timestamp": posted('{"at":"yesterday"}', "'at'", "RFC 3339"),
    "body-not-object": posted("[1,2]", "object", "array"),
    "map-value-type": BadInput("PATCH", "/v1/rooms/r/users/u", '{"k":1}', ("'labels.k'", "string")),
    "non-json-content-type": posted(
        "text=hi", "text/plain", "JSON", status=415, status_name="UNSUPPORTED_MEDIA_TYPE", content_type="text/plain"
    ),
    "unknown-query-param": queried("/v1/echo/x?bogus=1", "'bogus'"),
    "query-wrong-type": queried("/v1/echo/x?repeat=abc", "'repeat'", "abc"),
    "query-bad-enum": queried("/v1/echo/x?mood=MOOD_ANGRY", "'mood'", "MOOD_ANGRY"),
    "query-bad-timestamp": queried("/v1/echo/x?at=yesterday", "'at'", "RFC 3339"),
    "query-bad-bool": queried("/v1/echo/x?flag=maybe", "'flag'", "true or false"),
    "query-rebinds-path": queried("/v1/echo/x?text=y", "'text'", "path"),
    "query-on-body-star-route": BadInput("POST", "/v1/echo?text=y", "{}", ("'text'", "body")),
    "query-bad-escape": queried("/v1/echo/x?tags=%zz", "%zz"),
    "body-on-get": BadInput("GET", "/v1/echo/x", '{"text":"a"}', ("no request body",)),
    "unknown-route": queried("/v1/nothing/here", "/v1/nothing/here", status=404, status_name="NOT_FOUND"),
    "wrong-method": BadInput(
        "POST", "/v1/echo/x", "{}", ("POST", "/v1/echo/x", "GET"), status=405, status_name="METHOD_NOT_ALLOWED"
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_with_a_message_naming_the_problem(rest_server, case):
    """Each bad request is answered with its status in the one error shape, and the message
    names what is wrong (the field, value, position, media type, route or method)."""
    bad = BAD_INPUTS[case]
    headers = {"content-type": bad.content_type} if bad.content_type else {}
    reply = request(rest_server.port, bad.method, bad.path, body=bad.body, headers=headers)
    assert reply.status == bad.status, (reply.status, reply.body)
    error = reply.error()
    assert error["status"] == bad.status_name, error
    for fragment in bad.fragments:
        assert fragment in error["message"], (fragment, error["message"])
    assert reply.header("x-request-id"), reply.headers


def test_wrong_method_lists_the_allowed_methods(rest_server):
    """405 carries `Allow` with every method the path serves (the custom HEAD included)."""
    reply = request(rest_server.port, "POST", "/v1/echo/x", body="{}", headers={"content-type": "application/json"})
    assert reply.status == 405
    assert reply.header("allow") == "DELETE, GET, HEAD, PUT"
    reply = request(rest_server.port, "GET", "/v1/echo")
    assert (reply.status, reply.header("allow")) == (405, "POST")


# MARK: Concurrency


def concurrent_case(i: int) -> tuple[str, str, str | None, int, object]:
    """Request `i` of the mixed batch: (method, path, body, expected status, expected JSON or
    the fragments an error message must contain). Every request differs from all others."""
    kind = i % 6
    if kind == 0:
        return "GET", f"/v1/echo/get-{i}?repeat={i + 1}&tags=t{i}", None, 200, {
            "text": f"get-{i}",
            "request": {"text": f"get-{i}", "repeat": i + 1, "tags": [f"t{i}"]},
        }
    if kind == 1:
        body = {"text": f"post-{i}", "labels": {"i": str(i)}}
        expected = {"text": f"post-{i}", "labels": {"i": str(i)}, "request": body}
        return "POST", "/v1/echo", json.dumps(body), 200, expected
    if kind == 2:
        return "PATCH", f"/v1/rooms/r{i}/users/u{i}", json.dumps({"n": str(i)}), 200, {
            "labels": {"n": str(i)},
            "request": {"target": {"roomId": f"r{i}", "userId": f"u{i}"}, "labels": {"n": str(i)}},
        }
    if kind == 3:
        return "POST", "/v1/echo", json.dumps({"repeat": f"bad-{i}"}), 400, ["'repeat'", f"not bad-{i}."]
    if kind == 4:
        return "GET", f"/v1/echo/x?mood=MOOD_NO_{i}", None, 400, ["'mood'", f"'MOOD_NO_{i}'"]
    return "GET", f"/v1/missing/{i}", None, 404, [f"/v1/missing/{i}."]


def check_concurrent_reply(i: int, request_id: str, expected_status: int, expected, reply: Reply) -> str | None:
    """Why the reply does not answer request `i`, or None."""
    if reply.header("x-request-id") != request_id:
        return f"#{i}: x-request-id {reply.header('x-request-id')!r} != {request_id!r}"
    if reply.status != expected_status:
        return f"#{i}: status {reply.status} != {expected_status}: {reply.body[:200]!r}"
    if expected_status == 200:
        return None if reply.json() == expected else f"#{i}: body {reply.body[:300]!r}"
    message = reply.error()["message"]
    missing = [f for f in expected if f not in message]
    return f"#{i}: message {message!r} lacks {missing}" if missing else None


def test_two_hundred_concurrent_mixed_requests_each_get_their_own_answer(rest_server):
    """200 threads, each on its own connection, released together: good and bad requests of
    six kinds, all different. Every answer is the one for its own request (status, exact body
    or a message naming its own value) and echoes its own x-request-id."""
    count = 200
    barrier = threading.Barrier(count, timeout=60)
    outcomes: list[str | None] = [f"#{i}: no answer" for i in range(count)]

    def run(i: int) -> None:
        """Sends request `i` once all threads are ready."""
        method, path, body, status, expected = concurrent_case(i)
        request_id = f"concurrent-{i}-{secrets.token_hex(8)}"
        headers = {"x-request-id": request_id}
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            barrier.wait()
            reply = request(rest_server.port, method, path, body=body, headers=headers, timeout=60)
            outcomes[i] = check_concurrent_reply(i, request_id, status, expected, reply)
        except Exception as error:  # noqa: BLE001 - reported per request below
            outcomes[i] = f"#{i}: {type(error).__name__}: {error}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "requests did not finish within 120 s"
    problems = [o for o in outcomes if o is not None]
    assert not problems, f"{len(problems)} wrong answers, e.g. {problems[:5]}"


def test_one_hundred_multiplexed_http2_streams_each_get_their_own_answer(rest_server):
    """100 requests of the same mixed kinds as concurrent streams on one HTTP/2 connection:
    each stream's answer is its own request's (status, body, x-request-id)."""
    count = 100
    client = h2_client(rest_server.port)
    try:
        pending: dict[int, tuple[int, str, int, object]] = {}
        for i in range(count):
            method, path, body, status, expected = concurrent_case(i)
            request_id = f"h2-{i}-{secrets.token_hex(8)}"
            extra = [("x-request-id", request_id)]
            if body is not None:
                extra.append(("content-type", "application/json"))
            stream_id = client.conn.get_next_available_stream_id()
            client.conn.send_headers(
                stream_id, h2_headers(rest_server.port, method, path, extra), end_stream=body is None
            )
            if body is not None:
                client.conn.send_data(stream_id, body.encode(), end_stream=True)
            pending[stream_id] = (i, request_id, status, expected)
        client.flush()
        replies: dict[int, Reply] = {}
        headers: dict[int, list[tuple[str, str]]] = {}
        bodies: dict[int, bytes] = {}
        deadline = time.monotonic() + 30
        while len(replies) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"only {len(replies)} of {count} streams ended within 30 s"
            client.sock.settimeout(remaining)
            data = client.sock.recv(1 << 16)
            assert data, "the server closed the connection"
            for event in client.conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    headers[event.stream_id] = [(k.lower(), v) for k, v in event.headers]
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                    client.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    head = headers.get(event.stream_id, [])
                    status = int(dict(head).get(":status", "0"))
                    replies[event.stream_id] = Reply(status, head, bodies.get(event.stream_id, b""), "2")
                elif isinstance(event, h2.events.StreamReset):
                    pytest.fail(f"stream {event.stream_id} reset with {event.error_code}")
            client.flush()
    finally:
        client.sock.close()
    problems = [
        check_concurrent_reply(i, request_id, status, expected, replies[stream_id])
        for stream_id, (i, request_id, status, expected) in pending.items()
    ]
    assert not [p for p in problems if p], [p for p in problems if p][:5]


# MARK: CORS, proxies, compression


def test_cors_preflight_from_an_allowed_origin(rest_server):
    """OPTIONS with Origin and Access-Control-Request-Method from the allowed origin: 204,
    the origin echoed, x-api-key among the allowed headers, PATCH among the methods."""
    reply = request(
        rest_server.port,
        "OPTIONS",
        "/v1/echo",
        headers={
            "origin": ALLOWED_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-api-key, content-type",
        },
    )
    assert (reply.status, reply.body) == (204, b"")
    assert reply.header("access-control-allow-origin") == ALLOWED_ORIGIN
    allowed_headers = [h.strip() for h in (reply.header("access-control-allow-headers") or "").split(",")]
    assert {"x-api-key", "content-type", "last-event-id"} <= set(allowed_headers), allowed_headers
    methods = [m.strip() for m in (reply.header("access-control-allow-methods") or "").split(",")]
    assert {"GET", "POST", "PATCH", "PUT", "DELETE"} <= set(methods), methods
    assert "origin" in [v.lower() for v in reply.header_values("vary")]


def test_cors_actual_request_from_an_allowed_origin_exposes_the_request_id(rest_server):
    """A GET from the allowed origin is served with Access-Control-Allow-Origin and exposes
    x-request-id."""
    reply = request(rest_server.port, "GET", "/v1/echo/hi", headers={"origin": ALLOWED_ORIGIN})
    assert (reply.status, reply.json()) == (200, {"text": "hi", "request": {"text": "hi"}})
    assert reply.header("access-control-allow-origin") == ALLOWED_ORIGIN
    assert "x-request-id" in (reply.header("access-control-expose-headers") or "")


@pytest.mark.parametrize("preflight", [True, False], ids=["preflight", "actual"])
def test_cors_refused_origin_gets_403_in_the_error_shape(rest_server, preflight):
    """An origin outside API_CORS_ORIGINS is refused with 403 PERMISSION_DENIED naming it, and
    no CORS grant, for preflights and actual requests alike."""
    headers = {"origin": "https://evil.example"}
    if preflight:
        headers["access-control-request-method"] = "POST"
    method, path = ("OPTIONS", "/v1/echo") if preflight else ("GET", "/v1/echo/hi")
    reply = request(rest_server.port, method, path, headers=headers)
    assert reply.status == 403
    error = reply.error()
    assert error["status"] == "PERMISSION_DENIED"
    assert "https://evil.example" in error["message"]
    assert reply.header("access-control-allow-origin") is None


def test_forwarded_proto_https_from_loopback_proxy_turns_on_hsts(rest_server):
    """X-Forwarded-Proto: https from a trusted (loopback) peer adds Strict-Transport-Security;
    without it there is none. The other security headers are always there."""
    plain = request(rest_server.port, "GET", "/v1/echo/hi")
    forwarded = request(rest_server.port, "GET", "/v1/echo/hi", headers={"x-forwarded-proto": "https"})
    assert plain.header("strict-transport-security") is None
    assert forwarded.header("strict-transport-security") == "max-age=31536000; includeSubDomains"
    for reply in (plain, forwarded):
        assert reply.header("x-content-type-options") == "nosniff"
        assert reply.header("x-frame-options") == "DENY"


def test_forwarded_proto_from_an_untrusted_peer_is_ignored():
    """With TRUSTED_PROXIES not covering loopback, X-Forwarded-Proto: https from this client is
    not believed: no HSTS."""
    with server_with_env(TRUSTED_PROXIES="10.0.0.0/8") as server:
        reply = request(server.port, "GET", "/v1/echo/hi", headers={"x-forwarded-proto": "https"})
    assert reply.status == 200
    assert reply.header("strict-transport-security") is None


@pytest.mark.parametrize("protocol", CURL_PROTOCOLS)
def test_gzip_large_response_decompresses_to_the_json(rest_server, protocol):
    """Accept-Encoding: gzip on a large answer: Content-Encoding gzip, Vary: accept-encoding,
    and the body inflates to exactly the JSON; without the header the same JSON comes plain."""
    text = "z" * 3000 + "".join(chr(0x41 + i % 26) for i in range(500))
    path = f"/v1/echo/{quote(text)}"
    expected = {"text": text, "request": {"text": text}}
    compressed = curl(url(rest_server, path), "-H", "Accept-Encoding: gzip", protocol=protocol)
    assert compressed.status == 200
    assert compressed.header("content-encoding") == "gzip"
    assert "accept-encoding" in [v.lower() for v in compressed.header_values("vary")]
    assert len(compressed.body) < len(json.dumps(expected))
    assert json.loads(gzip.decompress(compressed.body)) == expected
    plain = curl(url(rest_server, path), protocol=protocol)
    assert plain.header("content-encoding") is None
    assert plain.json() == expected


UPGRADE_OFFERS = {
    "h2c": "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n",
    "websocket": "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n",
}


@pytest.mark.parametrize("offer", UPGRADE_OFFERS)
def test_upgrade_offer_that_is_not_taken_leaves_the_connection_usable(fresh_server, offer):
    """A request offering an upgrade the route does not take (curl --http2's h2c offer, a
    WebSocket handshake to a plain route) is answered normally; then the connection either
    serves the next request or is closed after announcing `Connection: close` — it never
    goes silent."""
    with socket.create_connection(("127.0.0.1", fresh_server.port), timeout=PROMPT_S) as sock:
        sock.sendall(f"GET /v1/echo/first HTTP/1.1\r\nHost: x\r\n{UPGRADE_OFFERS[offer]}\r\n".encode())
        status, headers, body = read_http1_response(sock, PROMPT_S)
        assert (status, json.loads(body)) == (200, {"text": "first", "request": {"text": "first"}})
        sock.sendall(b"GET /v1/echo/second HTTP/1.1\r\nHost: x\r\n\r\n")
        if headers.get("connection", "").lower() == "close":
            sock.settimeout(PROMPT_S)
            try:
                received = sock.recv(1)
            except ConnectionResetError:
                # The second request reached a socket the server had already closed: the
                # kernel answers it with a reset, which is the close showing up.
                received = b""
            assert received == b"", "announced Connection: close but kept the connection"
        else:
            status, _, body = read_http1_response(sock, PROMPT_S)
            assert (status, json.loads(body)) == (200, {"text": "second", "request": {"text": "second"}})


def test_curl_http2_upgrade_offer_then_reuse(rest_server):
    """`curl --http2` on plain HTTP offers h2c on its first request and reuses the connection
    for the second URL: both are answered."""
    result = subprocess.run(
        [
            curl_binary(), "-sS", "--http2", "--max-time", str(PROMPT_S), "--write-out", "\n%{http_code}\n",
            url(rest_server, "/v1/echo/one"), url(rest_server, "/v1/echo/two"),
        ],
        capture_output=True,
        text=True,
        timeout=PROMPT_S + 10,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert [json.loads(lines[0]), lines[1], json.loads(lines[2]), lines[3]] == [
        {"text": "one", "request": {"text": "one"}},
        "200",
        {"text": "two", "request": {"text": "two"}},
        "200",
    ]


def test_request_id_is_echoed_or_generated(rest_server):
    """A sane client x-request-id comes back unchanged; an unusable one (spaces) is replaced by
    a generated 32-hex-digit id."""
    sent = request(rest_server.port, "GET", "/ping", headers={"x-request-id": "client-id-42"})
    assert sent.header("x-request-id") == "client-id-42"
    replaced = request(rest_server.port, "GET", "/ping", headers={"x-request-id": "has spaces"})
    generated = replaced.header("x-request-id") or ""
    assert len(generated) == 32 and all(c in "0123456789abcdef" for c in generated), generated

