"""Two `metachat serve` processes on one PostgreSQL and one Redis, as a horizontally scaled
deployment runs them: both hash keys under the same API_KEY_PEPPER and share the key cache
invalidations and the rate-limit counters through Redis.

- A key rotated, revoked or disabled through instance A stops authenticating on instance B
  within one second of A's answer, although B had the old key cached.
- The rate limit of a key is one allowance across both instances and both faces (REST and gRPC).
- Without Redis (a dedicated redis-server, killed with SIGKILL) both instances keep serving,
  limit per instance, and report DEGRADED; once Redis is back on the same port they report
  HEALTHY again, share the limit again, and propagate rotations again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import grpc
import pytest

import restclient
from metachat_process import MetaChat, free_port, open_channel, require_services, running_metachat, seed_admin

# The bound: a change made through one instance is enforced by every other within 1 s.
PROPAGATION_DEADLINE_S = 1.0
# Generous bounds for everything that only has to happen eventually (loaded 2-core CI).
RECOVERY_TIMEOUT_S = 10.0
REDIS_START_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 10.0
GRPC_TIMEOUT_S = 10.0
# High enough that the polling of these tests never meets the limit.
UNLIMITED = "1000000"
KEY_CHANNELS = ("metachat:keys:changed", "metachat:tenants:changed")


# MARK: REST and gRPC helpers


def call(
    server: MetaChat, method: str, path: str, *, admin: str | None = None, key: str | None = None, body=None
) -> restclient.Reply:
    """One REST call with an admin key (`x-admin-key`) or a tenant key (`x-api-key`)."""
    headers = {}
    if admin is not None:
        headers["x-admin-key"] = admin
    if key is not None:
        headers["x-api-key"] = key
    payload = None
    if body is not None:
        headers["content-type"] = "application/json"
        payload = json.dumps(body)
    return restclient.request(server.port, method, path, body=payload, headers=headers, timeout=REQUEST_TIMEOUT_S)


def ok(reply: restclient.Reply) -> dict:
    """The JSON body of a 200 answer (fails with the body otherwise)."""
    assert reply.status == 200, (reply.status, reply.body[:500])
    return reply.json()


@dataclass
class TenantKey:
    """A tenant and one of its keys."""

    tenant_id: str
    key_id: str
    key: str


def create_tenant_with_key(server: MetaChat, admin: str, settings: dict | None = None) -> TenantKey:
    """Creates a tenant (optionally with settings) and a key for it, through `server`."""
    body = {"name": f"Multi Instance {uuid.uuid4().hex[:8]}"}
    if settings is not None:
        body["settings"] = settings
    tenant = ok(call(server, "POST", "/api/tenants", admin=admin, body=body))
    created = ok(
        call(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin=admin, body={"label": "multi"})
    )
    assert created["apiKey"].startswith("ten_"), created
    return TenantKey(tenant_id=tenant["id"], key_id=created["id"], key=created["apiKey"])


def read_own_tenant(server: MetaChat, tenant: TenantKey, key: str | None = None) -> restclient.Reply:
    """GET /api/tenants/{id} with the tenant's key (or `key`)."""
    return call(server, "GET", f"/api/tenants/{tenant.tenant_id}", key=key or tenant.key)


def rotate(server: MetaChat, admin: str, tenant: TenantKey) -> tuple[str, float]:
    """Rotates the tenant key through `server` (start, confirm); the new key and the monotonic
    time the confirm answer arrived."""
    base = f"/api/security/tenants/{tenant.tenant_id}/api-keys/{tenant.key_id}/rotation"
    started = ok(call(server, "POST", base, admin=admin))
    confirmed = call(server, "POST", base + "/confirm", admin=admin, body={"token": started["rotationToken"]})
    answered_at = time.monotonic()
    return ok(confirmed)["apiKey"], answered_at


def refused_within(
    server: MetaChat, tenant: TenantKey, key: str, since: float, expected_status: int, deadline_s: float
) -> float:
    """Polls the tenant's own record on `server` with `key` until it answers `expected_status`;
    returns how long after `since` that answer arrived. Until then every answer must be 200, and
    the refusal must come within `deadline_s` of `since`."""
    answers = []
    while True:
        reply = read_own_tenant(server, tenant, key)
        elapsed = time.monotonic() - since
        if reply.status == expected_status:
            reply.error()
            return elapsed
        assert reply.status == 200, (reply.status, reply.body[:300], len(answers))
        answers.append(round(elapsed, 3))
        if elapsed > deadline_s:
            pytest.fail(
                f"{server.address} still accepted the key {elapsed:.3f}s after the change "
                f"(deadline {deadline_s}s; {len(answers)} answers 200, the first at {answers[0]}s)\n"
                f"{server.log_tail()}"
            )


def grpc_metadata(key: str) -> tuple[tuple[str, str], ...]:
    """gRPC call metadata carrying a tenant key."""
    return (("x-api-key", key),)


def health(server: MetaChat) -> tuple[int, dict]:
    """GET /api/health: (HTTP status, report)."""
    reply = restclient.request(server.port, "GET", "/api/health", timeout=REQUEST_TIMEOUT_S)
    return reply.status, reply.json()


def wait_for_health(servers: list[MetaChat], status: str, timeout_s: float = RECOVERY_TIMEOUT_S) -> list[dict]:
    """Polls /api/health on every server until each reports `status` (HTTP 200); the reports."""
    deadline = time.monotonic() + timeout_s
    reports: dict[int, dict] = {}
    last: dict[int, object] = {}
    while time.monotonic() < deadline:
        for server in servers:
            if server.port in reports:
                continue
            code, report = health(server)
            last[server.port] = (code, report)
            if code == 200 and report.get("status") == status:
                reports[server.port] = report
        if len(reports) == len(servers):
            return [reports[server.port] for server in servers]
        # Paces the polling; the condition is the health answer, not the time.
        time.sleep(0.05)
    pytest.fail(f"not every server reported {status} within {timeout_s}s: {last}")


# MARK: Fixtures


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> Iterator[tuple[MetaChat, MetaChat]]:
    """Instances A and B on the suite's PostgreSQL and Redis, with the suite's pepper."""
    require_services()
    pepper = os.environ["API_KEY_PEPPER"]
    logs = tmp_path_factory.mktemp("multi-instance")
    with running_metachat(logs, API_KEY_PEPPER=pepper, RATE_LIMIT_MAX_REQUESTS=UNLIMITED) as a:
        with running_metachat(logs, API_KEY_PEPPER=pepper, RATE_LIMIT_MAX_REQUESTS=UNLIMITED) as b:
            yield a, b


@pytest.fixture(scope="module")
def admin_key(pair) -> str:
    """A SUPER admin key from `metachat seed-admin`."""
    return seed_admin("multi-instance@example.com", f"multi-{uuid.uuid4().hex[:12]}")["apiKey"]


# MARK: Propagation


def test_a_tenant_key_authenticates_on_both_instances(pair, admin_key):
    a, b = pair
    tenant = create_tenant_with_key(a, admin_key)
    for server in (a, b):
        assert ok(read_own_tenant(server, tenant))["id"] == tenant.tenant_id


def test_a_rotation_confirmed_on_a_refuses_the_old_key_on_b_within_one_second(pair, admin_key):
    a, b = pair
    tenant = create_tenant_with_key(a, admin_key)
    # Both instances cache the key before the change.
    for server in (a, b):
        ok(read_own_tenant(server, tenant))

    new_key, confirmed_at = rotate(a, admin_key, tenant)
    elapsed = refused_within(b, tenant, tenant.key, confirmed_at, 401, PROPAGATION_DEADLINE_S)

    assert elapsed <= PROPAGATION_DEADLINE_S
    assert ok(read_own_tenant(b, tenant, new_key))["id"] == tenant.tenant_id
    assert read_own_tenant(a, tenant).status == 401
    assert ok(read_own_tenant(a, tenant, new_key))["id"] == tenant.tenant_id


def test_a_key_revoked_on_a_is_refused_on_b_within_one_second(pair, admin_key):
    a, b = pair
    tenant = create_tenant_with_key(a, admin_key)
    for server in (a, b):
        ok(read_own_tenant(server, tenant))

    revoked = call(a, "DELETE", f"/api/security/tenants/{tenant.tenant_id}/api-keys/{tenant.key_id}", admin=admin_key)
    revoked_at = time.monotonic()
    answer = ok(revoked)
    # `active: false` is the proto3 JSON default, so it is omitted.
    assert answer["id"] == tenant.key_id and "active" not in answer, json.dumps(answer)
    assert answer["revokedAt"].endswith("Z"), json.dumps(answer)

    refused_within(b, tenant, tenant.key, revoked_at, 401, PROPAGATION_DEADLINE_S)
    assert read_own_tenant(a, tenant).status == 401
    # Revoking again through the other instance changes nothing: same revocation time.
    again = ok(call(b, "DELETE", f"/api/security/tenants/{tenant.tenant_id}/api-keys/{tenant.key_id}", admin=admin_key))
    assert again["revokedAt"] == answer["revokedAt"], json.dumps(again)


def test_a_tenant_disabled_on_a_is_refused_on_b_within_one_second(pair, admin_key):
    a, b = pair
    tenant = create_tenant_with_key(a, admin_key)
    for server in (a, b):
        ok(read_own_tenant(server, tenant))

    disabled = call(a, "DELETE", f"/api/tenants/{tenant.tenant_id}", admin=admin_key)
    disabled_at = time.monotonic()
    assert "enabled" not in ok(disabled), disabled.json()  # false is the proto3 JSON default

    refused_within(b, tenant, tenant.key, disabled_at, 403, PROPAGATION_DEADLINE_S)
    assert read_own_tenant(b, tenant).error()["status"] == "PERMISSION_DENIED"


# MARK: Shared rate limit


@pytest.fixture(scope="module")
def limited_pair(tmp_path_factory) -> Iterator[tuple[MetaChat, MetaChat]]:
    """Instances A and B limited to 10 requests per key per 10 minutes, so no allowance comes
    back during the test."""
    require_services()
    logs = tmp_path_factory.mktemp("multi-instance-limited")
    limits = {"RATE_LIMIT_MAX_REQUESTS": "10", "RATE_LIMIT_WINDOW_MS": "600000"}
    with running_metachat(logs, **limits) as a:
        with running_metachat(logs, **limits) as b:
            yield a, b


def test_the_rate_limit_of_a_key_is_shared_by_both_instances_and_both_faces(limited_pair, metachat_api):
    a, b = limited_pair
    admin = seed_admin("multi-instance@example.com", f"limited-{uuid.uuid4().hex[:12]}")["apiKey"]
    tenant = create_tenant_with_key(a, admin)
    request = metachat_api.tenants_pb2.GetTenantRequest(tenant_id=tenant.tenant_id)
    channels = {server.port: open_channel(server) for server in (a, b)}
    try:
        stubs = {port: metachat_api.tenants_pb2_grpc.TenantServiceStub(ch) for port, ch in channels.items()}

        def rest_on(server: MetaChat) -> Callable[[], tuple[str, dict[str, str]]]:
            def send() -> tuple[str, dict[str, str]]:
                reply = read_own_tenant(server, tenant)
                headers = {name: reply.header(name) for name in ("ratelimit-limit", "ratelimit-remaining",
                                                                   "ratelimit-reset", "retry-after")}
                if reply.status == 200:
                    return "ok", headers
                assert reply.status == 429, (reply.status, reply.body[:300])
                assert reply.error()["status"] == "RESOURCE_EXHAUSTED"
                return "limited", headers

            return send

        def grpc_on(server: MetaChat) -> Callable[[], tuple[str, dict[str, str]]]:
            def send() -> tuple[str, dict[str, str]]:
                stub = stubs[server.port]
                try:
                    answer, rpc = stub.GetTenant.with_call(
                        request, metadata=grpc_metadata(tenant.key), timeout=GRPC_TIMEOUT_S
                    )
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (error.code(), error.details())
                    assert "Rate limit of 10 requests exceeded" in error.details(), error.details()
                    return "limited", dict(error.trailing_metadata() or ())
                assert answer.id == tenant.tenant_id
                return "ok", dict(rpc.initial_metadata() or ())

            return send

        rotation = [("REST A", rest_on(a)), ("REST B", rest_on(b)), ("gRPC A", grpc_on(a)), ("gRPC B", grpc_on(b))]
        outcomes = []
        for index in range(24):
            name, send = rotation[index % len(rotation)]
            outcome, headers = send()
            outcomes.append((name, outcome, headers))
    finally:
        for ch in channels.values():
            ch.close()

    succeeded = [entry for entry in outcomes if entry[1] == "ok"]
    summary = [(name, outcome, headers.get("ratelimit-remaining")) for name, outcome, headers in outcomes]
    assert len(succeeded) == 10, summary
    assert [outcome for _, outcome, _ in outcomes] == ["ok"] * 10 + ["limited"] * 14, summary
    # One allowance: the remaining count falls by one per call whichever instance and face
    # answered. REST answers report it; gRPC answers within the limit carry no rate-limit metadata.
    for (name, _, headers), expected in zip(succeeded, [str(n) for n in range(9, -1, -1)]):
        if name.startswith("REST"):
            assert headers.get("ratelimit-remaining") == expected, summary
        else:
            assert not any(key.startswith("ratelimit-") for key in headers), (name, headers)
    for name, outcome, headers in outcomes:
        if outcome == "ok" and name.startswith("gRPC"):
            continue
        assert headers.get("ratelimit-limit") == "10", (name, headers)
        assert headers.get("ratelimit-reset", "").isdigit(), (name, headers)
        if outcome == "limited":
            assert headers.get("ratelimit-remaining") == "0", (name, headers)
            assert int(headers.get("retry-after") or 0) >= 1, (name, headers)
    # Both instances and both faces refused.
    assert {name for name, outcome, _ in outcomes if outcome == "limited"} == {"REST A", "REST B", "gRPC A", "gRPC B"}


# MARK: Redis outage


def redis_cli(port: int, *arguments: str) -> str:
    """`redis-cli -p port arguments…` (bounded); its output, or '' when it failed."""
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *arguments],
        capture_output=True,
        text=True,
        timeout=REQUEST_TIMEOUT_S,
    )
    return result.stdout if result.returncode == 0 else ""


class DedicatedRedis:
    """A redis-server of this test's own on a fixed free port, without persistence, that can be
    killed and started again on the same port."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        """REDIS_URL for servers."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Starts redis-server and polls PING until it answers PONG."""
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (scripts/setup.sh installs it)"
        self.starts += 1
        log = self.directory / f"redis-{self.starts}.log"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
             "--logfile", str(log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if redis_cli(self.port, "ping").strip() == "PONG":
                return
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.process.wait(timeout=0.05)
                pytest.fail(f"redis-server exited with {code}: {log.read_text(errors='replace')[-2000:]}")
        pytest.fail(f"redis-server did not answer PING within {REDIS_START_TIMEOUT_S}s")

    def kill(self) -> None:
        """SIGKILL, and waits until the process is gone."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=REDIS_START_TIMEOUT_S)

    def stop(self) -> None:
        """Stops the server if it runs (SIGTERM, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=REDIS_START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=REDIS_START_TIMEOUT_S)


@pytest.fixture
def redis_pair(tmp_path_factory) -> Iterator[tuple[DedicatedRedis, MetaChat, MetaChat]]:
    """A dedicated Redis and instances A and B on it (and on the suite's PostgreSQL)."""
    require_services()
    with tempfile.TemporaryDirectory(prefix="metachat-redis-outage-") as tmp:
        redis = DedicatedRedis(Path(tmp))
        try:
            redis.start()
            logs = tmp_path_factory.mktemp("multi-instance-redis")
            environment = {"REDIS_URL": redis.url, "RATE_LIMIT_MAX_REQUESTS": UNLIMITED}
            with running_metachat(logs, **environment) as a:
                with running_metachat(logs, **environment) as b:
                    yield redis, a, b
        finally:
            redis.stop()


def statuses(server: MetaChat, tenant: TenantKey, count: int) -> list[int]:
    """The HTTP statuses of `count` reads of the tenant's own record with its key."""
    return [read_own_tenant(server, tenant).status for _ in range(count)]


def wait_for_subscribers(redis: DedicatedRedis, count: int) -> None:
    """Polls PUBSUB NUMSUB until each invalidation channel has `count` subscribers."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        last = redis_cli(redis.port, "pubsub", "numsub", *KEY_CHANNELS)
        words = last.split()
        numbers = dict(zip(words[0::2], words[1::2]))
        if all(numbers.get(channel, "0").isdigit() and int(numbers[channel]) >= count for channel in KEY_CHANNELS):
            return
        time.sleep(0.05)  # paces the polling
    pytest.fail(f"the instances did not subscribe again within {RECOVERY_TIMEOUT_S}s: {last!r}")


def wait_for_shared_counting(redis: DedicatedRedis, server: MetaChat, tenant: TenantKey) -> None:
    """Polls until `server` counts the tenant key's calls in Redis again: its counter
    (`metachat:ratelimit:key:<id>`, docs/auth.md) is deleted, a call made, and the counter looked
    for. The limiter retries Redis once a second after a failure, so this happens by itself.

    The counter lives one emission interval (window / limit), so the key's tenant needs a limit
    that keeps it for seconds."""
    counter = f"metachat:ratelimit:key:{tenant.key_id}"
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        redis_cli(redis.port, "del", counter)
        ok(read_own_tenant(server, tenant))
        if redis_cli(redis.port, "exists", counter).strip() == "1":
            return
        time.sleep(0.05)  # paces the polling
    pytest.fail(f"{server.address} did not count in Redis again within {RECOVERY_TIMEOUT_S}s")


def test_without_redis_both_instances_degrade_and_recover_when_it_returns(redis_pair):
    redis, a, b = redis_pair
    servers = [a, b]
    admin = seed_admin("multi-instance@example.com", f"redis-{uuid.uuid4().hex[:12]}")["apiKey"]
    tenant = create_tenant_with_key(a, admin)
    # A tenant of its own with a small limit: 5 requests per hour.
    limited = create_tenant_with_key(a, admin, {"rateLimit": {"requestsPerWindow": 5, "windowSeconds": 3600}})
    # One whose Redis counter outlives a poll round (3.6 s), to see where an instance counts.
    probe = create_tenant_with_key(a, admin, {"rateLimit": {"requestsPerWindow": 1000, "windowSeconds": 3600}})
    # A key rotated on A while Redis is down: B, which cached it, cannot hear of it then.
    missed = create_tenant_with_key(a, admin)
    for server in servers:
        ok(read_own_tenant(server, tenant))
        ok(read_own_tenant(server, missed))
    for report in wait_for_health(servers, "HEALTH_STATUS_HEALTHY"):
        assert report["redis"]["status"] == "HEALTH_STATUS_HEALTHY", report
    wait_for_subscribers(redis, 2)

    redis.kill()

    # Degraded, not unhealthy: PostgreSQL is fine, Redis is not.
    for report in wait_for_health(servers, "HEALTH_STATUS_DEGRADED"):
        assert report["database"]["status"] == "HEALTH_STATUS_HEALTHY", report
        assert report["redis"]["status"] == "HEALTH_STATUS_UNHEALTHY", report
        assert report["redis"].get("message"), report
    # Valid keys keep working on both instances (never a 500) ...
    for server in servers:
        started = time.monotonic()
        assert statuses(server, tenant, 10) == [200] * 10, server.log_tail()
        assert time.monotonic() - started < REQUEST_TIMEOUT_S
    # ... and limits still hold, counted per instance: 5 each, then 429.
    for server in servers:
        assert statuses(server, limited, 8) == [200] * 5 + [429] * 3, server.log_tail()
        refused = read_own_tenant(server, limited)
        assert refused.error()["status"] == "RESOURCE_EXHAUSTED"
        assert int(refused.header("retry-after") or 0) >= 1, refused.headers
        assert refused.header("ratelimit-limit") == "5", refused.headers
    missed_new_key, _ = rotate(a, admin, missed)

    redis.start()

    for report in wait_for_health(servers, "HEALTH_STATUS_HEALTHY"):
        assert report["redis"]["status"] == "HEALTH_STATUS_HEALTHY", report
    for server in servers:
        wait_for_shared_counting(redis, server, probe)
    # The restarted Redis has no counters: the small limit is one shared allowance again.
    fresh = create_tenant_with_key(a, admin, {"rateLimit": {"requestsPerWindow": 5, "windowSeconds": 3600}})
    alternating = [read_own_tenant(servers[index % 2], fresh).status for index in range(10)]
    assert alternating == [200] * 5 + [429] * 5, alternating
    # Both instances subscribe again by themselves and drop their key caches, since changes
    # published meanwhile were lost: B refuses the key rotated during the outage ...
    wait_for_subscribers(redis, 2)
    refused_within(b, missed, missed.key, time.monotonic(), 401, PROPAGATION_DEADLINE_S)
    assert ok(read_own_tenant(b, missed, missed_new_key))["id"] == missed.tenant_id
    # ... and rotations propagate within a second again.
    ok(read_own_tenant(b, tenant))
    new_key, confirmed_at = rotate(a, admin, tenant)
    refused_within(b, tenant, tenant.key, confirmed_at, 401, PROPAGATION_DEADLINE_S)
    assert ok(read_own_tenant(b, tenant, new_key))["id"] == tenant.tenant_id
    assert a.is_running() and b.is_running()


# MARK: Rotation grace period

GRACE_S = 3


@pytest.fixture(scope="module")
def grace_pair(tmp_path_factory) -> Iterator[tuple[MetaChat, MetaChat]]:
    """Instances A and B with KEY_ROTATION_GRACE_SECONDS=3."""
    require_services()
    pepper = os.environ["API_KEY_PEPPER"]
    logs = tmp_path_factory.mktemp("grace")
    environment = dict(API_KEY_PEPPER=pepper, RATE_LIMIT_MAX_REQUESTS=UNLIMITED, KEY_ROTATION_GRACE_SECONDS=str(GRACE_S))
    with running_metachat(logs, **environment) as a:
        with running_metachat(logs, **environment) as b:
            yield a, b


def test_the_old_key_works_on_both_instances_until_the_grace_period_ends_and_fails_right_after(grace_pair, admin_key):
    """With KEY_ROTATION_GRACE_SECONDS=3, a rotation confirmed on A leaves the old key working on
    A and B (and the new one too) until three seconds after the confirmation, and refused on
    both within a second after that."""
    a, b = grace_pair
    tenant = create_tenant_with_key(a, admin_key)
    for server in (a, b):
        ok(read_own_tenant(server, tenant))
    started_at = time.monotonic()
    new_key, confirmed_at = rotate(a, admin_key, tenant)

    # Within the grace period (with a margin for the round-trips): both keys work on both.
    while time.monotonic() - started_at < GRACE_S - 1:
        for server in (a, b):
            assert ok(read_own_tenant(server, tenant))["id"] == tenant.tenant_id
            assert ok(read_own_tenant(server, tenant, new_key))["id"] == tenant.tenant_id

    # The grace ends GRACE_S after the confirmation (which came before `confirmed_at`): each
    # instance refuses the old key within a second of that, the new key keeps working.
    grace_end = confirmed_at + GRACE_S
    for server in (a, b):
        elapsed = refused_within(server, tenant, tenant.key, grace_end, 401, PROPAGATION_DEADLINE_S)
        # The server's grace began at its confirmation, a round-trip before `confirmed_at`.
        assert elapsed > -0.5, f"refused {-elapsed:.3f}s before the grace period ended"
        assert ok(read_own_tenant(server, tenant, new_key))["id"] == tenant.tenant_id


def test_a_grace_period_that_is_not_a_number_of_seconds_stops_the_server(tmp_path):
    from metachat_process import run_metachat

    require_services()
    for value in ("-1", "604801", "3s", "99999999999999999999"):
        result = run_metachat(["serve"], KEY_ROTATION_GRACE_SECONDS=value, PORT="1")
        output = result.stdout + result.stderr
        assert result.returncode == 78, output
        assert "KEY_ROTATION_GRACE_SECONDS" in output, output
