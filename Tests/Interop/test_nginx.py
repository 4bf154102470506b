"""The deployment's nginx site (`infrastructure/nginx/metachat.conf`) in front of the server.

Each nginx here runs that very file, copied with the substitutions its header documents
(upstream `127.0.0.1:3000` -> the server under test, the TLS include -> a plain listener,
`listen 80;` -> a second test port), inside a minimal main context written by the test:
`nginx -p <tmp> -c <tmp>/nginx.conf -e <tmp>/error.log -g 'daemon off;'`, pid, logs and
temp files in the temp dir (one test listens with TLS and a throwaway certificate instead of
plain HTTP). Behind it: echo-server, or a small Python upstream that records the headers
nginx sends."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from websockets.sync.client import connect as websocket_connect

from conftest import REPO_ROOT, EchoServer, open_channel
from restclient import Reply, curl, curl_stream, request

SITE = REPO_ROOT / "infrastructure" / "nginx" / "metachat.conf"
UPSTREAM_PLACEHOLDER = "127.0.0.1:3000"
TLS_INCLUDE = "include /etc/nginx/snippets/metachat-tls.conf;"
REDIRECT_LISTEN = "listen 80;"
REDIRECT_LISTEN_V6 = "listen [::]:80;"
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0
SSE = "Accept: text/event-stream"
JSON = "Content-Type: application/json"
PROMPT_S = 5.0
MiB = 1024 * 1024


def nginx_binary() -> str:
    """Debian's nginx (scripts/setup.sh installs it; /usr/sbin may be off a user's PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    assert found, "nginx is not installed (scripts/setup.sh installs it)"
    return found


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_site(upstream_port: int, api_listen: str, redirect_port: int) -> str:
    """metachat.conf with the documented substitutions (comments left alone). Each placeholder
    must occur on exactly one directive line, so a change to the file that would make the test
    run something other than the deployment's site fails here."""
    replacements = {
        UPSTREAM_PLACEHOLDER: f"127.0.0.1:{upstream_port}",
        TLS_INCLUDE: api_listen,
        REDIRECT_LISTEN_V6: "",
        REDIRECT_LISTEN: f"listen 127.0.0.1:{redirect_port};",
    }
    # The upstream address appears twice: the HTTP/1.1 upstream and the gRPC one.
    expected = {UPSTREAM_PLACEHOLDER: 2}
    lines = SITE.read_text().splitlines(keepends=True)
    directives = [i for i, line in enumerate(lines) if not line.lstrip().startswith("#")]
    for placeholder, replacement in replacements.items():
        hits = [i for i in directives if placeholder in lines[i]]
        want = expected.get(placeholder, 1)
        assert len(hits) == want, f"{SITE} must use {placeholder!r} on {want} directive line(s), not {len(hits)}"
        for hit in hits:
            lines[hit] = lines[hit].replace(placeholder, replacement)
    return "".join(lines)


def main_context(prefix: Path) -> str:
    """The minimal nginx.conf around the site: one worker, everything under `prefix`."""
    # Workers run as the test's user: as root nginx would otherwise switch them to `nobody`,
    # which cannot use the private temp dir.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp_kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp_paths = "\n".join(f"    {kind}_temp_path {prefix / (kind + '_temp')};" for kind in temp_kinds)
    return f"""{user}worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} info;
events {{
    worker_connections 1024;
}}
http {{
    access_log {prefix / "access.log"};
{temp_paths}
    include {prefix / "metachat.conf"};
}}
"""


@dataclass
class Nginx:
    """A running nginx with the site."""

    process: subprocess.Popen
    port: int
    redirect_port: int
    prefix: Path

    def error_log(self) -> str:
        """nginx's error log (for failure messages)."""
        with contextlib.suppress(OSError):
            return (self.prefix / "error.log").read_text(errors="replace")[-4000:]
        return ""

    def url(self, path: str, scheme: str = "http") -> str:
        """A URL on the API listener."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"


@contextlib.contextmanager
def start_nginx(upstream_port: int, tls: tuple[Path, Path] | None = None) -> Iterator[Nginx]:
    """Runs nginx with the site in front of `upstream_port`; with `tls` (certificate, key) the
    API listener speaks HTTPS with HTTP/2 (as metachat-tls.conf's `listen 443 ssl http2;`).
    Stops it (SIGTERM, then SIGKILL) on exit."""
    binary = nginx_binary()
    port, redirect_port = free_port(), free_port()
    listen = f"listen 127.0.0.1:{port};"
    if tls is not None:
        listen = f"listen 127.0.0.1:{port} ssl http2; ssl_certificate {tls[0]}; ssl_certificate_key {tls[1]};"
    with tempfile.TemporaryDirectory(prefix="metachat-nginx-") as tmp:
        prefix = Path(tmp)
        (prefix / "metachat.conf").write_text(render_site(upstream_port, listen, redirect_port))
        (prefix / "nginx.conf").write_text(main_context(prefix))
        command = [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, f"nginx -t refused the site:\n{checked.stderr}"
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        nginx = Nginx(process=process, port=port, redirect_port=redirect_port, prefix=prefix)
        try:
            wait_until_listening(nginx)
            yield nginx
        finally:
            process.terminate()
            try:
                process.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=SHUTDOWN_TIMEOUT_S)
            with contextlib.suppress(OSError):
                process.stderr.close()


def wait_until_listening(nginx: Nginx) -> None:
    """Polls both listeners until they accept, failing early if nginx exits."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    for port in (nginx.port, nginx.redirect_port):
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"nginx not listening on {port}:\n{nginx.error_log()}"
            # Waiting on the process both paces the polling and notices an early exit.
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = nginx.process.wait(timeout=0.05)
                pytest.fail(f"nginx exited with {code}:\n{nginx.error_log()}")


@pytest.fixture(scope="module")
def front(echo_server: EchoServer) -> Iterator[Nginx]:
    """nginx with the site in front of the module's echo-server."""
    with start_nginx(echo_server.port) as nginx:
        yield nginx


# MARK: A recording upstream


@dataclass
class Seen:
    """A request the recording upstream received."""

    method: str
    path: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class RecordingUpstream:
    """An HTTP/1.1 server that records each request's headers and answers `{"ok":true}`."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        lock = threading.Lock()
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            """Records, then answers with a small JSON body (keep-alive)."""

            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                """Records the request and answers it."""
                length = int(self.headers.get("content-length", "0"))
                if length:
                    self.rfile.read(length)
                with lock:
                    seen.append(Seen(self.command, self.path, list(self.headers.items())))
                body = b'{"ok":true}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
                """Quiet."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingUpstream:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=SHUTDOWN_TIMEOUT_S)


@pytest.fixture
def recorded() -> Iterator[tuple[RecordingUpstream, Nginx]]:
    """nginx with the site in front of a recording upstream."""
    with RecordingUpstream() as upstream, start_nginx(upstream.port) as nginx:
        yield upstream, nginx


# MARK: REST and streams through nginx


def test_rest_get_through_nginx(front):
    """GET with a path variable and query parameters comes back exactly as direct."""
    reply = curl(front.url("/v1/echo/caf%C3%A9?repeat=2&tags=a&tags=b&mood=MOOD_SAD"))
    assert reply.status == 200, (reply.body, front.error_log())
    assert reply.header("content-type") == "application/json"
    assert reply.json() == {
        "text": "café",
        "request": {"text": "café", "repeat": 2, "tags": ["a", "b"], "mood": "MOOD_SAD"},
    }
    assert reply.header("x-request-id"), reply.headers


def test_rest_post_through_nginx(front):
    """POST with a JSON body comes back exactly, and a refused body keeps the error shape."""
    body = {"text": "via nginx ✓", "labels": {"k": "v"}, "big": "9007199254740993"}
    reply = curl(front.url("/v1/echo"), "-X", "POST", "-H", JSON, "--data-binary", json.dumps(body))
    assert reply.status == 200, (reply.body, front.error_log())
    assert reply.json() == {"text": "via nginx ✓", "labels": {"k": "v"}, "request": body}
    refused = curl(front.url("/v1/echo"), "-X", "POST", "-H", JSON, "--data-binary", '{"nope":1}')
    assert refused.status == 400
    assert "'nope'" in refused.error()["message"]


def test_sse_events_arrive_through_nginx_before_the_stream_ends(front):
    """A stream that writes two events and then stays open (`wait`): both events reach the
    client through nginx while the stream is still open — nothing is held in a buffer."""
    with curl_stream(front.url("/v1/echo/wait/expand?repeat=2"), "-H", SSE) as stream:
        assert stream.read_head() == 200, front.error_log()
        assert stream.header("content-type") == "text/event-stream; charset=utf-8"
        events = [stream.read_event(timeout_s=5.0), stream.read_event(timeout_s=5.0)]
        assert stream.process.poll() is None, "the stream ended; it should still be open"
    assert [(e.id, e.event, e.json()["eventId"]) for e in events] == [("0", "echoed", "0"), ("1", "echoed", "1")]


def test_client_leaving_an_sse_stream_through_nginx_cancels_the_handler(stubs, echo_server, front):
    """When the client goes away, nginx drops the upstream request and the handler is
    cancelled (the fixture's counter, read over gRPC, goes up within a deadline)."""

    def cancellations() -> int:
        """The fixture's cancellation count."""
        channel = open_channel(echo_server)
        try:
            stub = stubs.echo_pb2_grpc.EchoServiceStub(channel)
            return stub.Probe(stubs.echo_pb2.EchoRequest(text="cancellations"), timeout=10).index
        finally:
            channel.close()

    before = cancellations()
    with curl_stream(front.url("/v1/echo/wait/expand?repeat=1"), "-H", SSE) as stream:
        assert stream.read_head() == 200
        assert stream.read_event(timeout_s=5.0).id == "0"
    deadline = time.monotonic() + 10
    seen = before
    while time.monotonic() < deadline and seen == before:
        seen = cancellations()
    assert seen == before + 1, f"handler not cancelled within 10 s ({before} -> {seen})"


# MARK: Forwarding headers


def test_forwarding_headers_reach_the_upstream(recorded):
    """nginx tells the upstream who the client is and how it came: Host kept, X-Real-IP the
    peer, X-Forwarded-For the client's chain plus the peer, X-Forwarded-Proto nginx's own
    scheme (a client's claim of https is replaced), and no Connection: upgrade on plain
    requests (so upstream connections are reused)."""
    upstream, nginx = recorded
    reply = request(
        nginx.port,
        "GET",
        "/v1/echo/x?y=1",
        headers={"host": "chat.genai.hr", "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"},
    )
    assert (reply.status, reply.json()) == (200, {"ok": True}), nginx.error_log()
    [seen] = upstream.seen
    assert (seen.method, seen.path) == ("GET", "/v1/echo/x?y=1")
    assert seen.header("host") == "chat.genai.hr"
    assert seen.header("x-real-ip") == "127.0.0.1"
    assert seen.header("x-forwarded-for") == "203.0.113.9, 127.0.0.1"
    assert seen.header("x-forwarded-proto") == "http"
    assert seen.header("upgrade") is None
    assert (seen.header("connection") or "").lower() != "upgrade"


def test_websocket_handshake_headers_reach_the_upstream(recorded):
    """A WebSocket handshake is passed on as one: Upgrade: websocket, Connection: upgrade and
    the Sec-WebSocket headers reach the upstream."""
    upstream, nginx = recorded
    request(
        nginx.port,
        "GET",
        "/v1/ws/echo",
        headers={
            "upgrade": "websocket",
            "connection": "Upgrade",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            "sec-websocket-version": "13",
        },
    )
    [seen] = upstream.seen
    assert seen.header("upgrade") == "websocket"
    assert (seen.header("connection") or "").lower() == "upgrade"
    assert seen.header("sec-websocket-key") == "dGhlIHNhbXBsZSBub25jZQ=="
    assert seen.header("sec-websocket-version") == "13"


def test_h2c_upgrade_offer_is_not_passed_upstream(recorded):
    """curl --http2 on plain HTTP offers `Upgrade: h2c`; nginx passes on no Upgrade and no
    Connection: upgrade for anything but a WebSocket."""
    upstream, nginx = recorded
    reply = curl(nginx.url("/v1/echo/x"), protocol="--http2")
    assert (reply.status, reply.version) == (200, "1.1")
    [seen] = upstream.seen
    assert seen.header("upgrade") is None
    assert "upgrade" not in (seen.header("connection") or "").lower()


def test_websocket_handshake_to_a_plain_route_leaves_later_requests_unaffected(fresh_server):
    """A WebSocket handshake to a route that does not upgrade is answered normally, and the
    requests after it — nginx reuses its upstream connections — are answered promptly too."""
    with start_nginx(fresh_server.port) as nginx:
        handshake = request(
            nginx.port,
            "GET",
            "/v1/echo/not-a-socket",
            headers={
                "upgrade": "websocket",
                "connection": "Upgrade",
                "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
                "sec-websocket-version": "13",
            },
            timeout=PROMPT_S,
        )
        assert handshake.status == 200, nginx.error_log()
        for i in range(3):
            reply = request(nginx.port, "GET", f"/v1/echo/after-{i}", timeout=PROMPT_S)
            assert reply.json() == {"text": f"after-{i}", "request": {"text": f"after-{i}"}}


def test_a_client_cannot_claim_https_through_nginx(echo_server, front):
    """Direct from loopback, X-Forwarded-Proto: https turns on HSTS; through nginx on plain
    HTTP the same client header is replaced by nginx's `http`, so the server sends no HSTS."""
    direct = request(echo_server.port, "GET", "/ping", headers={"x-forwarded-proto": "https"})
    assert direct.header("strict-transport-security") is not None
    proxied = request(front.port, "GET", "/ping", headers={"x-forwarded-proto": "https"})
    assert proxied.status == 200
    assert proxied.header("strict-transport-security") is None


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed"
    result = subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return cert, key


def test_https_through_nginx_reaches_the_server_as_https(tmp_path, echo_server):
    """With the API listener on TLS, nginx's X-Forwarded-Proto says https and the server (which
    trusts loopback) answers with Strict-Transport-Security; the JSON is unchanged."""
    cert, key = make_certificate(tmp_path)
    with start_nginx(echo_server.port, tls=(cert, key)) as nginx:
        context = ssl.create_default_context(cafile=str(cert))
        connection = http.client.HTTPSConnection("127.0.0.1", nginx.port, timeout=10, context=context)
        try:
            connection.request("GET", "/v1/echo/secure")
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
    assert response.status == 200, body
    assert json.loads(body) == {"text": "secure", "request": {"text": "secure"}}
    assert response.getheader("strict-transport-security") == "max-age=31536000; includeSubDomains"


# MARK: WebSocket


def test_websocket_round_trip_through_nginx(echo_server):
    """A WebSocket to /v1/ws/echo through nginx echoes a text and a binary message, twice
    each, in order."""
    with start_nginx(echo_server.port) as nginx:
        uri = f"ws://127.0.0.1:{nginx.port}/v1/ws/echo"
        with websocket_connect(uri, open_timeout=10, close_timeout=5) as ws:
            for round_number in range(2):
                text = f"hello through nginx ✓ {round_number}"
                ws.send(text)
                assert ws.recv(timeout=10) == text
                payload = bytes(range(256)) * 4 + bytes([round_number])
                ws.send(payload)
                assert ws.recv(timeout=10) == payload


# MARK: Limits, errors nginx answers itself, the redirect


def test_json_body_at_the_api_limit_passes_and_one_byte_more_is_refused_by_nginx(front):
    """nginx's body limit is the API's (API_MAX_BODY_BYTES, 5 MiB): a JSON body of exactly
    5242880 bytes reaches the API and comes back; one byte more is refused by nginx before it
    reaches the API, in the API's JSON error shape and naming the same limit."""
    filler = 5 * MiB - len(json.dumps({"text": ""}))
    body = json.dumps({"text": "a" * filler})
    assert len(body) == 5 * MiB
    reply = request(front.port, "POST", "/v1/echo", body=body, headers={"content-type": "application/json"}, timeout=60)
    assert reply.status == 200, (reply.body[:300], front.error_log())
    assert len(reply.json()["text"]) == filler
    refused = request(front.port, "POST", "/v1/echo", body=body + " ", headers={"content-type": "application/json"})
    assert refused.status == 413, (refused.body[:300], front.error_log())
    assert refused.header("content-type") == "application/json"
    assert refused.error()["status"] == "RESOURCE_EXHAUSTED"
    assert str(5 * MiB) in refused.error()["message"]


def declared_body_status(port: int, path: str, length: int) -> Reply:
    """Sends only the head of a POST declaring `length` bytes and reads the answer (nginx
    refuses an oversized declaration before any body is sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: chat.genai.hr\r\nContent-Type: application/json\r\n".encode()
            + f"Content-Length: {length}\r\n\r\n".encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Reply(response.status, [(k.lower(), v) for k, v in response.getheaders()], response.read())


def test_declared_body_past_the_limit_is_refused_by_nginx_in_the_error_shape(front):
    """A declared 6 MiB body is refused at once, in the API's error shape."""
    reply = declared_body_status(front.port, "/v1/echo", 6 * MiB)
    assert reply.status == 413
    assert reply.header("content-type") == "application/json"
    assert str(5 * MiB) in reply.error()["message"]


def test_document_uploads_may_be_up_to_100_mib(recorded):
    """/api/documents/upload takes a 100 MiB file plus its multipart envelope: a 6 MiB body
    reaches the upstream (streamed, not refused), a declared 102 MiB one is refused by nginx."""
    upstream, nginx = recorded
    body = b"x" * (6 * MiB)
    reply = request(nginx.port, "POST", "/api/documents/upload", body=body, headers={"content-type": "application/octet-stream"}, timeout=60)
    assert reply.status == 200, (reply.body[:300], nginx.error_log())
    assert [(s.method, s.path, s.header("content-length")) for s in upstream.seen] == [
        ("POST", "/api/documents/upload", str(6 * MiB))
    ]
    assert declared_body_status(nginx.port, "/api/documents/upload", 102 * MiB).status == 413
    assert len(upstream.seen) == 1


def test_requests_without_credentials_are_limited_like_the_server_and_keyed_ones_are_not(recorded):
    """Without credentials a client address gets the server's default allowance (100 at once,
    then one per 600 ms): the first 100 pass, a burst past it gets 429 in the error shape with
    Retry-After. Requests with a key and health checks are not counted by nginx (the server
    limits them per key)."""
    upstream, nginx = recorded
    statuses = [request(nginx.port, "GET", f"/v1/echo/a{i}").status for i in range(100)]
    assert statuses == [200] * 100, nginx.error_log()
    # The allowance refills one request per 600 ms: a fast burst of 20 more must hit the limit.
    burst = [request(nginx.port, "GET", f"/v1/echo/b{i}") for i in range(20)]
    refused = [r for r in burst if r.status == 429]
    assert refused, [r.status for r in burst]
    assert refused[0].header("content-type") == "application/json"
    assert refused[0].error()["status"] == "RESOURCE_EXHAUSTED"
    assert refused[0].header("retry-after") == "1"
    for i in range(5):
        keyed = request(nginx.port, "GET", f"/v1/echo/k{i}", headers={"x-api-key": "mc_test_key"})
        assert keyed.status == 200
        bearer = request(nginx.port, "GET", f"/v1/echo/t{i}", headers={"authorization": "Bearer abc"})
        assert bearer.status == 200
        assert request(nginx.port, "GET", "/api/health").status == 200
    seen_paths = [s.path for s in upstream.seen]
    assert "/v1/echo/k4" in seen_paths and "/v1/echo/t4" in seen_paths
    assert len([p for p in seen_paths if p.startswith("/v1/echo/b")]) == 20 - len(refused)


def test_metrics_are_not_published(recorded):
    """/metrics through nginx is a 404 in the error shape and never reaches the upstream."""
    upstream, nginx = recorded
    reply = request(nginx.port, "GET", "/metrics")
    assert reply.status == 404
    assert reply.error()["status"] == "NOT_FOUND"
    assert upstream.seen == []


def test_unreachable_api_answers_503_in_the_error_shape():
    """With nothing listening upstream, nginx answers 503 UNAVAILABLE in the error shape with
    Retry-After, not its HTML 502 page."""
    with start_nginx(free_port()) as nginx:
        reply = request(nginx.port, "GET", "/v1/echo/x")
    assert reply.status == 503, (reply.body, nginx.error_log())
    assert reply.header("content-type") == "application/json"
    assert reply.error()["status"] == "UNAVAILABLE"
    assert reply.header("retry-after") == "5"


def test_plain_http_redirects_to_https(front):
    """The port-80 server answers 301 to the same host and path on https."""
    reply = request(front.redirect_port, "GET", "/v1/echo/x?y=1", headers={"host": "chat.genai.hr"})
    assert reply.status == 301
    assert reply.header("location") == "https://chat.genai.hr/v1/echo/x?y=1"
