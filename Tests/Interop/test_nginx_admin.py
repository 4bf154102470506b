"""The dashboard's nginx site (`infrastructure/nginx/metachat-admin.conf`) over TLS in front of a
recording upstream standing in for the dashboard: basic auth on everything but /health, the
password file checked by nginx itself, forwarding headers, and the HTTP -> HTTPS redirect.

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
from pathlib import Path
from typing import Iterator

import pytest

from conftest import REPO_ROOT
from restclient import request
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
