"""Retention and the API log on a real `metachat serve` (docs/retention.md): every authenticated
call on either face lands in the tenant's API log (written in batches with COPY) with its route
template, status and latency; RunRetention answers at once with a run id whose progress and
outcome GetRetentionRun shows; `metachat retention run` prints counts per table, and refuses
with exit 75 while another run holds the lock."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from typing import Iterator

import pytest

from metachat_process import MetaChat, open_channel, require_services, run_metachat, running_metachat, seed_admin
from test_conversations import ok, rest, tenant_with_key

POLL_TIMEOUT_S = 20.0
LOCK_KEY = 0x6D6372746E746E01


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    require_services()
    with running_metachat(tmp_path_factory.mktemp("retention"), RATE_LIMIT_MAX_REQUESTS="1000000") as running:
        yield running


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("retention@example.com", f"retention-{uuid.uuid4().hex[:12]}")["apiKey"]


def poll(what: str, probe):
    """`probe()` until it answers something truthy, or fail after POLL_TIMEOUT_S."""
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = probe()
        if answer:
            return answer
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_calls_on_both_faces_reach_the_tenant_api_log(server, admin, metachat_api):
    tenant_id, key = tenant_with_key(server, admin)
    headers = {"x-api-key": key}
    request_ids = [f"log-{uuid.uuid4().hex[:12]}" for _ in range(3)]
    for request_id in request_ids:
        ok(rest(server, "GET", f"/api/tenants/{tenant_id}", {**headers, "x-request-id": request_id}))
    missing = rest(server, "GET", f"/api/conversations/{uuid.uuid4()}", {**headers, "x-request-id": "log-missing"})
    assert missing.status == 404
    with open_channel(server) as channel:
        stub = metachat_api.tenants_pb2_grpc.TenantServiceStub(channel)
        stub.GetTenant(
            metachat_api.tenants_pb2.GetTenantRequest(tenant_id=tenant_id),
            metadata=[("x-api-key", key), ("x-request-id", "log-grpc")], timeout=10,
        )  # fmt: skip

    def listed():
        reply = ok(rest(server, "GET", f"/api/tenants/{tenant_id}/api-logs?pageSize=50", headers))
        entries = {entry["requestId"]: entry for entry in reply.get("entries", [])}
        wanted = set(request_ids) | {"log-missing", "log-grpc"}
        return entries if wanted <= set(entries) else None

    entries = poll("the calls to reach the API log", listed)
    first = entries[request_ids[0]]
    assert first["route"] == "GET /api/tenants/{tenant_id}"
    assert first["protocol"] == "rest"
    assert first["code"] == "OK" and first["httpStatus"] == 200
    assert int(first["latencyMicros"]) >= 0
    assert first["clientAddress"] == "127.0.0.1"
    assert entries["log-missing"]["code"] == "NOT_FOUND" and entries["log-missing"]["httpStatus"] == 404
    assert entries["log-grpc"]["protocol"] == "grpc"
    assert entries["log-grpc"]["route"] == "/metachat.v1.TenantService/GetTenant"

    # Another tenant's key sees none of it.
    other_id, other_key = tenant_with_key(server, admin)
    foreign = rest(server, "GET", f"/api/tenants/{tenant_id}/api-logs", {"x-api-key": other_key})
    assert foreign.status == 404


def test_run_retention_answers_with_a_run_whose_outcome_can_be_read(server, admin):
    headers = {"x-admin-key": admin}
    started = ok(rest(server, "POST", "/api/admin/retention/run", headers, {"dryRun": True}))
    assert started["dryRun"] is True
    assert started["trigger"] == "RETENTION_TRIGGER_API"

    def finished():
        run = ok(rest(server, "GET", f"/api/admin/retention/runs/{started['id']}", headers))
        return run if run["state"] != "RETENTION_RUN_STATE_RUNNING" else None

    run = poll("the retention run to finish", finished)
    assert run["state"] == "RETENTION_RUN_STATE_SUCCEEDED", run
    assert [table["table"] for table in run["tables"]] == [
        "messages", "api_logs", "conversation_events", "audit_log", "webhook_deliveries", "chat_requests",
        "channel_inbound", "channel_inbound_messages"]
    listed = ok(rest(server, "GET", "/api/admin/retention/runs?pageSize=5", headers))
    assert started["id"] in [item["id"] for item in listed["runs"]]
    assert rest(server, "GET", "/api/admin/retention/runs/not-a-uuid", headers).status == 400
    assert rest(server, "GET", f"/api/admin/retention/runs/{uuid.uuid4()}", headers).status == 404


def test_the_command_prints_counts_and_waits_its_turn(server):
    result = run_metachat(["retention", "run", "--dry-run"])
    assert result.returncode == 0, result.stderr
    assert "SUCCEEDED (dry run: nothing changed)" in result.stdout
    for table in ("messages", "api_logs", "conversation_events", "audit_log", "webhook_deliveries", "chat_requests",
                  "channel_inbound", "channel_inbound_messages"):
        assert f"\n{table} " in result.stdout, result.stdout
    bad = run_metachat(["retention", "run", "--tenant", "nope"])
    assert bad.returncode == 78 and "--tenant" in bad.stderr
    bad_cron = run_metachat(["retention", "run"], RETENTION_CRON="61 * * * *")
    assert bad_cron.returncode == 78 and "RETENTION_CRON" in bad_cron.stderr

    # Another run's lock, held by a psql session until its input closes.
    holder = subprocess.Popen(
        ["psql", "-X", "-q", "-At", os.environ["DATABASE_URL"]],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdin and holder.stdout
        holder.stdin.write(f"SELECT pg_advisory_lock({LOCK_KEY}); SELECT 'held';\n")
        holder.stdin.flush()
        while holder.stdout.readline().strip() != "held":
            pass
        busy = run_metachat(["retention", "run", "--dry-run"])
        assert busy.returncode == 75, busy.stdout + busy.stderr
        assert "another run is working" in busy.stderr
    finally:
        holder.communicate(timeout=30)
