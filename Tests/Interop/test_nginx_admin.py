"""The dashboard's nginx site (`infrastructure/nginx/metachat-admin.conf`) over TLS in front of a
recording upstream standing in for the dashboard: basic auth on everything but /health, the
password file checked by nginx itself, forwarding headers, and the HTTP -> HTTPS redirect; and in
front of a real dashboard: its live Server-Sent Events pass unbuffered.

The site runs exactly as written after the substitutions its header documents, inside the same
minimal main context as `test_nginx.py`."""

from __future__ import annotations

import base64
import contextlib
import http.client
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from conftest import REPO_ROOT
from metachat_process import require_services, running_metachat, seed_admin
from restclient import curl_stream, request
from test_conversation_events import new_tenant
from test_conversations import ok, rest
from test_dashboard import PASSWORD, create_user, wait_for_dashboard
from test_nginx import (
    REDIRECT_LISTEN,
    REDIRECT_LISTEN_V6,
    TLS_INCLUDE,
    Nginx,
    RecordingUpstream,
    free_port,
    main_context,
    make_certificate,
    nginx_binary,
    wait_until_listening,
)

SITE = REPO_ROOT / "infrastructure" / "nginx" / "metachat-admin.conf"
UPSTREAM = "127.0.0.1:3001"
PASSWORD_FILE = "/etc/nginx/.htpasswd-meta-chat"
# How long an event may take through nginx: far below the 30 s heartbeat a buffered event would wait for.
EVENT_BOUND_S = 5.0


def password_entry(user: str, password: str) -> str:
    """An htpasswd line as the site's install steps make it (`openssl passwd -apr1`)."""
    openssl = shutil.which("openssl")
    assert openssl
    hashed = subprocess.run(
        [openssl, "passwd", "-apr1", "-stdin"], input=password, capture_output=True, text=True, check=True
    ).stdout.strip()
    return f"{user}:{hashed}\n"


@contextlib.contextmanager
def admin_nginx(upstream_port: int, directory: Path) -> Iterator[tuple[Nginx, Path]]:
    certificate, key = make_certificate(directory)
    passwords = directory / "htpasswd"
    passwords.write_text(password_entry("ops", "correct horse"))
    port, redirect_port = free_port(), free_port()
    replacements = {
        UPSTREAM: f"127.0.0.1:{upstream_port}",
        TLS_INCLUDE: f"listen 127.0.0.1:{port} ssl; ssl_certificate {certificate}; ssl_certificate_key {key};",
        REDIRECT_LISTEN_V6: "",
        REDIRECT_LISTEN: f"listen 127.0.0.1:{redirect_port};",
        PASSWORD_FILE: str(passwords),
    }
    lines = SITE.read_text().splitlines(keepends=True)
    directives = [i for i, line in enumerate(lines) if not line.lstrip().startswith("#")]
    for placeholder, replacement in replacements.items():
        hits = [i for i in directives if placeholder in lines[i]]
        assert len(hits) == 1, f"{SITE} must use {placeholder!r} on one directive line, not {len(hits)}"
        lines[hits[0]] = lines[hits[0]].replace(placeholder, replacement)
    with tempfile.TemporaryDirectory(prefix="metachat-nginx-admin-") as tmp:
        prefix = Path(tmp)
        (prefix / "metachat.conf").write_text("".join(lines))
        (prefix / "nginx.conf").write_text(main_context(prefix))
        command = [nginx_binary(), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, f"nginx -t refused the site:\n{checked.stderr}"
        process = subprocess.Popen([*command, "-g", "daemon off;"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        nginx = Nginx(process=process, port=port, redirect_port=redirect_port, prefix=prefix)
        try:
            wait_until_listening(nginx)
            yield nginx, certificate
        finally:
            process.terminate()
            process.wait(timeout=10)
            with contextlib.suppress(OSError):
                process.stderr.close()


@pytest.fixture
def admin(tmp_path) -> Iterator[tuple[RecordingUpstream, Nginx, Path]]:
    with RecordingUpstream() as upstream, admin_nginx(upstream.port, tmp_path) as (nginx, certificate):
        yield upstream, nginx, certificate


def https_get(nginx: Nginx, certificate: Path, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    context = ssl.create_default_context(cafile=str(certificate))
    connection = http.client.HTTPSConnection("127.0.0.1", nginx.port, timeout=10, context=context)
    try:
        connection.request("GET", path, headers={"host": "chat-admin.genai.hr", **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_the_dashboard_needs_the_password(admin):
    """Without credentials or with a wrong password nginx answers 401 and nothing reaches the
    dashboard; with the right one the request arrives with the forwarding headers."""
    upstream, nginx, certificate = admin
    status, headers = https_get(nginx, certificate, "/tenants")
    assert status == 401 and headers["www-authenticate"] == 'Basic realm="MetaChat admin"'
    assert https_get(nginx, certificate, "/tenants", basic("ops", "wrong"))[0] == 401
    assert upstream.seen == []
    status, _ = https_get(nginx, certificate, "/tenants", basic("ops", "correct horse"))
    assert status == 200, nginx.error_log()
    [seen] = upstream.seen
    assert (seen.path, seen.header("x-forwarded-proto"), seen.header("x-real-ip")) == ("/tenants", "https", "127.0.0.1")


def test_health_is_open_for_probes(admin):
    upstream, nginx, certificate = admin
    assert https_get(nginx, certificate, "/health")[0] == 200
    assert [s.path for s in upstream.seen] == ["/health"]


def test_plain_http_redirects_to_https(admin):
    _, nginx, _ = admin
    reply = request(nginx.redirect_port, "GET", "/tenants?x=1", headers={"host": "chat-admin.genai.hr"})
    assert reply.status == 301
    assert reply.header("location") == "https://chat-admin.genai.hr/tenants?x=1"


def test_the_dashboards_live_updates_pass_through_nginx_unbuffered(tmp_path):
    """A real `metachat serve` dashboard behind the site: sign in through nginx (basic auth and
    the dashboard's own sign-in), open the inbox's live stream through nginx, and a conversation
    created through the API reaches the browser's stream within 5 s (printed in ms) although the
    heartbeat is 30 s apart: nginx does not buffer it."""
    require_services()
    dashboard_port = free_port()
    environment = {"DASHBOARD_PORT": str(dashboard_port), "SSE_HEARTBEAT_SECONDS": "30"}
    with running_metachat(tmp_path / "serve", **environment) as server, admin_nginx(
        dashboard_port, tmp_path
    ) as (nginx, certificate):
        wait_for_dashboard(dashboard_port, server)
        admin = seed_admin(f"nginx-dash-{uuid.uuid4().hex[:6]}@example.com", f"nd-{uuid.uuid4().hex[:8]}")["apiKey"]
        tenant, credentials = new_tenant(server, admin)
        agent = f"agent-{uuid.uuid4().hex[:8]}@example.com"
        assert create_user(agent, "agent", "--tenant", tenant).returncode == 0
        context = ssl.create_default_context(cafile=str(certificate))
        connection = http.client.HTTPSConnection("127.0.0.1", nginx.port, timeout=10, context=context)
        try:
            body = urllib.parse.urlencode({"email": agent, "password": PASSWORD})
            connection.request("POST", "/login", body=body, headers={
                "host": "chat-admin.genai.hr", "content-type": "application/x-www-form-urlencoded",
                "origin": "https://chat-admin.genai.hr", **basic("ops", "correct horse")})  # fmt: skip
            response = connection.getresponse()
            response.read()
            assert response.status == 303, nginx.error_log()
            cookie = response.getheader("set-cookie").split(";")[0]
        finally:
            connection.close()
        url = f"https://127.0.0.1:{nginx.port}/tenants/{tenant}/live?after=0"
        authorization = basic("ops", "correct horse")["authorization"]
        headers = ["-H", f"cookie: {cookie}", "-H", f"authorization: {authorization}", "-H", "accept: text/event-stream"]
        with curl_stream(url, "--cacert", str(certificate), *headers) as stream:
            assert stream.read_head(timeout_s=EVENT_BOUND_S) == 200, nginx.error_log()
            assert stream.header("content-type") == "text/event-stream; charset=utf-8"
            written = time.monotonic()
            ok(rest(server, "POST", "/api/conversations", credentials, {"externalUserId": "through-nginx"}))
            event = stream.read_event(timeout_s=EVENT_BOUND_S)
            while event.data is None or event.event != "change":
                event = stream.read_event(timeout_s=EVENT_BOUND_S)
            elapsed = time.monotonic() - written
        print(f"dashboard SSE event through nginx {elapsed * 1000:.1f} ms after the write")
        assert event.json()["kind"] == "conversation_created"
        assert event.id is not None and int(event.id) >= 1
        assert elapsed < EVENT_BOUND_S
