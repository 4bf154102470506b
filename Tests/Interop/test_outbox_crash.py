"""`kill -9` of `metachat serve` three times while 5,000 events are produced in bursts: after the
last restart every event id of the outbox reaches the webhook receiver at least once and RabbitMQ
at least once; duplicates carry the same id; every event a client saw acknowledged is among them.
A module of its own: no other server's relays take these events meanwhile."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

import restclient
from metachat_process import MetaChat, free_port, metachat_binary, require_services, seed_admin, stop_process, wait_until_healthy
from rabbitmq_broker import running_broker
from test_knowledge_base import ok, rest
from webhook_receiver import running_receiver

EVENTS = 5000
PRODUCERS = 8


def start_server(port: int, log: Path, environment: dict[str, str]) -> MetaChat:
    merged = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="warning", **environment)
    with open(log, "ab") as output:
        process = subprocess.Popen([str(metachat_binary()), "serve"], env=merged, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    server = MetaChat(process=process, port=port, log_path=log)
    wait_until_healthy(server)
    return server


def outbox_ids(tenant: str, event_type: str = "") -> set[str]:
    """The event ids of the tenant in the outbox, of one type or all (read with psql as the suite's
    database user)."""
    psql = os.path.join(os.environ.get("METACHAT_PG_BIN", ""), "psql") if os.environ.get("METACHAT_PG_BIN") else "psql"
    result = subprocess.run(
        [psql, os.environ["DATABASE_URL"], "-At", "-c", f"SET app.scope = 'admin'; SELECT id FROM outbox_events WHERE tenant_id = '{tenant}'"
         + (f" AND event_type = '{event_type}'" if event_type else "")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return {line for line in result.stdout.split() if len(line) == 36}


def test_kill_9_three_times_loses_no_event(tmp_path: Path):
    require_services()
    with running_receiver() as receiver, running_broker(tmp_path / "rabbitmq") as broker:
        environment = dict(
            RATE_LIMIT_MAX_REQUESTS="100000000", RABBITMQ_URL=broker.url, OUTBOUND_ALLOW_CIDRS="127.0.0.0/8"
        )
        port = free_port()
        log = tmp_path / "serve.log"
        server = start_server(port, log, environment)
        admin = seed_admin("crash@example.com", f"crash-{uuid.uuid4().hex[:12]}")["apiKey"]
        headers = {"x-admin-key": admin}
        tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"Crash {uuid.uuid4().hex[:8]}"}))["id"]
        queue = broker.bind_queue(f"{tenant}.#")
        key = {"x-api-key": ok(rest(server, "POST", f"/api/security/tenants/{tenant}/api-keys", headers, {"label": "crash"}))["apiKey"]}
        ok(rest(server, "POST", "/api/webhooks", key, {"url": receiver.url("/crash")}))

        acknowledged: list[str] = []
        lock = threading.Lock()

        def produce(count: int) -> None:
            for _ in range(count):
                try:
                    reply = restclient.request(port, "POST", "/api/conversations", body=json.dumps({"externalUserId": "crash"}),
                                               headers=dict(key, **{"content-type": "application/json"}), timeout=10)
                except (OSError, http.client.HTTPException):
                    continue  # the server was killed under this request: its event may or may not exist
                if reply.status == 200:
                    with lock:
                        acknowledged.append(reply.json()["id"])

        # Three bursts, each cut short by kill -9 once part of it was acknowledged; then the rest.
        for burst in range(3):
            target = len(acknowledged) + 900
            with concurrent.futures.ThreadPoolExecutor(PRODUCERS) as pool:
                futures = [pool.submit(produce, 250) for _ in range(PRODUCERS)]
                deadline = time.monotonic() + 60
                while len(acknowledged) < target and time.monotonic() < deadline:
                    time.sleep(0.01)  # paces watching the producers' progress
                server.process.kill()
                server.process.wait(timeout=10)
                for future in futures:
                    future.result()
            server = start_server(port, log, environment)
        while len(acknowledged) < EVENTS:
            with concurrent.futures.ThreadPoolExecutor(PRODUCERS) as pool:
                list(pool.map(produce, [max(1, (EVENTS - len(acknowledged)) // PRODUCERS + 1)] * PRODUCERS))

        try:
            # The webhook subscribed after the tenant and key events: it gets every conversation event.
            expected = outbox_ids(tenant, "conversation.created")
            everything = outbox_ids(tenant)
            assert len(expected) >= EVENTS
            deadline = time.monotonic() + 180
            delivered: dict[str, set[str]] = {}
            while time.monotonic() < deadline:
                delivered = {}
                for request in receiver.at("/crash"):
                    event = json.loads(request.body)
                    delivered.setdefault(request.headers["webhook-id"], set()).add(event["data"].get("conversationId", ""))
                if expected <= set(delivered):
                    break
                time.sleep(0.2)  # paces the polling of deliveries made on their own
            missing = expected - set(delivered)
            assert not missing, f"{len(missing)} of {len(expected)} events never reached the receiver"
            # Duplicates share the id: one id never names two conversations, and no id is invented.
            assert all(len(conversations) == 1 for conversations in delivered.values())
            # (The tenant's and key's own events reach it too when the webhook existed before their fan-out.)
            assert set(delivered) <= everything
            seen_conversations = {c for conversations in delivered.values() for c in conversations}
            assert set(acknowledged) <= seen_conversations

            published: list = []
            # The queue was bound after tenant.created: every later event of the tenant reaches it.
            wanted = everything - outbox_ids(tenant, "tenant.created")
            broker.drain(queue, published, lambda m: wanted <= {p.message_id for _, p, _ in m}, 180)
            ids = {p.message_id for _, p, _ in published}
            assert wanted <= ids, f"{len(wanted - ids)} events never reached RabbitMQ"
            assert ids <= everything
            by_id: dict[str, set[bytes]] = {}
            for _, properties, body in published:
                by_id.setdefault(properties.message_id, set()).add(body)
            assert all(len(bodies) == 1 for bodies in by_id.values())
        finally:
            stop_process(server.process)
