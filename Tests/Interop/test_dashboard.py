"""The dashboard's listener of a real `metachat serve` (docs/dashboard.md): a second port of the
same process, `metachat dashboard-user create` for the first user, password sign-in with a
`__Host-` session cookie, pages calling the same handlers as the API (a tenant created through
the API is listed; one created on the dashboard is readable through the API), CSRF and
cross-site refusals over the wire, and `DASHBOARD_PORT=off`."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
import urllib.parse
import uuid
from typing import Iterator

import pytest

import restclient
from metachat_process import (
    COMMAND_TIMEOUT_S,
    MetaChat,
    free_port,
    metachat_binary,
    require_services,
    running_metachat,
    seed_admin,
)

PASSWORD = "a long dashboard password"
TIMEOUT_S = 10.0


def create_user(email: str, role: str, *extra: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(metachat_binary()), "dashboard-user", "create", "--email", email, "--role", role, *extra],
        input=password + "\n", capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
    )  # fmt: skip


def wait_for_dashboard(port: int, server: MetaChat) -> None:
    deadline = time.monotonic() + 30
    last = ""
    while time.monotonic() < deadline:
        try:
            reply = restclient.request(port, "GET", "/health", timeout=2)
            if reply.status == 200:
                return
            last = str(reply.status)
        except OSError as error:
            last = str(error)
        # Waiting on the process paces the polling and notices an early exit.
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=0.05)
        assert server.is_running(), server.log_tail()
    pytest.fail(f"dashboard on {port} not healthy ({last}):\n{server.log_tail()}")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Iterator[tuple[MetaChat, int]]:
    require_services()
    port = free_port()
    with running_metachat(tmp_path_factory.mktemp("dashboard"), DASHBOARD_PORT=str(port)) as server:
        wait_for_dashboard(port, server)
        yield server, port


def form(fields: dict[str, str]) -> str:
    return urllib.parse.urlencode(fields)


def post(port: int, path: str, fields: dict[str, str], cookie: str | None = None, **headers: str) -> restclient.Reply:
    all_headers = {"content-type": "application/x-www-form-urlencoded", "host": f"127.0.0.1:{port}"}
    if cookie:
        all_headers["cookie"] = f"__Host-metachat_session={cookie}"
    all_headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return restclient.request(port, "POST", path, body=form(fields), headers=all_headers, timeout=TIMEOUT_S)


def get(port: int, path: str, cookie: str | None = None) -> restclient.Reply:
    headers = {"host": f"127.0.0.1:{port}"}
    if cookie:
        headers["cookie"] = f"__Host-metachat_session={cookie}"
    return restclient.request(port, "GET", path, headers=headers, timeout=TIMEOUT_S)


def login(port: int, email: str) -> str:
    reply = post(port, "/login", {"email": email, "password": PASSWORD}, origin=f"http://127.0.0.1:{port}")
    assert reply.status == 303, reply.body[:500]
    cookie = reply.header("set-cookie")
    match = re.match(r"__Host-metachat_session=([0-9a-f]{64}); Path=/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$", cookie)
    assert match, cookie
    return match.group(1)


def csrf_of(port: int, cookie: str) -> str:
    page = get(port, "/tenants", cookie).body.decode()
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert match, page[:1000]
    return match.group(1)


def test_the_dashboard_listens_on_its_own_port_of_the_same_process(dashboard):
    server, port = dashboard
    assert port != server.port
    health = get(port, "/health")
    assert (health.status, json.loads(health.body)) == (200, {"status": "ok", "service": "dashboard"})
    # The API's routes are not on the dashboard's port, nor the dashboard's on the API's.
    assert get(port, "/api/health").status == 404
    assert restclient.request(server.port, "GET", "/login", timeout=TIMEOUT_S).status == 404
    login_page = get(port, "/login")
    assert login_page.status == 200 and b'action="/login"' in login_page.body
    assert login_page.header("cache-control") == "no-store"


def test_first_user_from_the_cli_signs_in_and_sees_tenants_made_through_the_api(dashboard):
    server, port = dashboard
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    created = create_user(email, "super_admin")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created super_admin ")
    admin = seed_admin(f"dash-{uuid.uuid4().hex[:6]}@example.com", f"dash-{uuid.uuid4().hex[:8]}")["apiKey"]
    name = f"Made by API {uuid.uuid4().hex[:6]}"
    api = restclient.request(
        server.port, "POST", "/api/tenants", body=json.dumps({"name": name}),
        headers={"x-admin-key": admin, "content-type": "application/json"}, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert api.status == 200, api.body
    cookie = login(port, email)
    page = get(port, "/tenants", cookie)
    assert page.status == 200
    assert name.encode() in page.body
    # A tenant made on the dashboard is the API's tenant too.
    dashboard_name = f"Made on dashboard {uuid.uuid4().hex[:6]}"
    made = post(port, "/tenants", {"name": dashboard_name, "csrf": csrf_of(port, cookie)}, cookie, sec_fetch_site="same-origin")
    assert made.status == 303, made.body[:500]
    listed = restclient.request(server.port, "GET", "/api/tenants?pageSize=200", headers={"x-admin-key": admin}, timeout=TIMEOUT_S)
    assert dashboard_name in [tenant["name"] for tenant in json.loads(listed.body)["tenants"]]


def test_csrf_and_cross_site_refusals_over_the_wire(dashboard):
    _, port = dashboard
    email = f"csrf-{uuid.uuid4().hex[:8]}@example.com"
    assert create_user(email, "super_admin").returncode == 0
    cookie = login(port, email)
    token = csrf_of(port, cookie)
    assert post(port, "/tenants", {"name": "No token"}, cookie).status == 403
    assert post(port, "/tenants", {"name": "Cross", "csrf": token}, cookie, sec_fetch_site="cross-site").status == 403
    assert post(port, "/tenants", {"name": "Cross", "csrf": token}, cookie, origin="https://evil.example").status == 403
    assert post(port, "/login", {"email": email, "password": PASSWORD}, origin="https://evil.example").status == 403


def test_cli_refuses_bad_input_with_exit_65(dashboard):
    for arguments, password, message in [
        (["--email", "x@example.com", "--role", "owner"], PASSWORD, "--role must be one of"),
        (["--email", "x@example.com", "--role", "agent"], PASSWORD, "tenant:"),
        (["--email", "x@example.com", "--role", "agent", "--tenant", "nope"], PASSWORD, "--tenant must be"),
        (["--email", "x@example.com", "--role", "super_admin"], "short", "at least 12 characters"),
        (["--email", "not-an-email", "--role", "super_admin"], PASSWORD, "email:"),
    ]:
        result = subprocess.run(
            [str(metachat_binary()), "dashboard-user", "create", *arguments],
            input=password + "\n", capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
        )  # fmt: skip
        assert result.returncode == 65, (arguments, result.stderr)
        assert message in result.stderr, (arguments, result.stderr)
    email = f"twice-{uuid.uuid4().hex[:8]}@example.com"
    assert create_user(email, "super_admin").returncode == 0
    again = create_user(email.upper(), "super_admin")
    assert again.returncode == 65 and "already exists" in again.stderr


def test_dashboard_port_off_serves_no_dashboard_and_a_bad_value_is_refused(tmp_path):
    require_services()
    port = free_port()
    with running_metachat(tmp_path / "off", DASHBOARD_PORT="off") as server:
        assert server.is_running()
        with pytest.raises(OSError):
            restclient.request(port, "GET", "/health", timeout=2)
    for value, message in [("70000", "DASHBOARD_PORT must be a number from 1 to 65535 or `off`"), ("abc", "DASHBOARD_PORT must be"), ("1", "DASHBOARD_PORT must differ from PORT")]:
        result = subprocess.run(
            [str(metachat_binary()), "serve"], env={**os.environ, "DASHBOARD_PORT": value, "PORT": "1"},
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
        )  # fmt: skip
        assert result.returncode == 78 and message in result.stderr, result.stderr
