"""The event bus: with RABBITMQ_URL every outbox event is published to a durable topic exchange
with routing key `<tenantId>.<eventType>`, persistent, message id = event id; consumed here with
the stock `pika` client. The broker is restarted mid-stream: events wait in the outbox (health
shows it) and all arrive once it is back."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from metachat_process import get, require_services, running_metachat, seed_admin
from rabbitmq_broker import EXCHANGE, running_broker
from test_knowledge_base import ok, rest


def health(server) -> dict:
    return json.loads(get(server.port, "/api/health")[1])


def test_events_reach_rabbitmq_and_survive_a_broker_restart(tmp_path):
    require_services()
    with running_broker(tmp_path / "rabbitmq") as broker:
        environment = dict(RATE_LIMIT_MAX_REQUESTS="1000000", RABBITMQ_URL=broker.url)
        with running_metachat(tmp_path / "server", **environment) as server:
            admin = seed_admin("bus@example.com", f"bus-{uuid.uuid4().hex[:12]}")["apiKey"]
            headers = {"x-admin-key": admin}
            tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"Bus {uuid.uuid4().hex[:8]}"}))["id"]
            queue = broker.bind_queue(f"{tenant}.#")
            only_messages = broker.bind_queue(f"{tenant}.message.created")
            key = ok(rest(server, "POST", f"/api/security/tenants/{tenant}/api-keys", headers, {"label": "bus"}))
            credentials = {"x-api-key": key["apiKey"]}
            before = [ok(rest(server, "POST", "/api/conversations", credentials, {"externalUserId": f"u{n}"}))["id"] for n in range(5)]
            ok(rest(server, "POST", "/api/conversations/" + before[0] + "/replies", credentials, {"text": "hi", "agentId": "ann"}))

            def conversations_seen(messages):
                return {json.loads(body)["data"].get("conversationId") for _, _, body in messages}

            got: list = []
            broker.drain(queue, got, lambda m: set(before) <= conversations_seen(m) and any(
                p.type == "message.created" for _, p, _ in m), 30)
            assert set(before) <= conversations_seen(got), got
            first = next(m for m in got if m[1].type == "api_key.created")
            assert first[0].routing_key == f"{tenant}.api_key.created" and first[0].exchange == EXCHANGE
            for method, properties, body in got:
                event = json.loads(body)
                assert properties.delivery_mode == 2
                assert properties.content_type == "application/json"
                assert method.routing_key == f"{tenant}.{event['type']}" == f"{tenant}.{properties.type}"
                assert uuid.UUID(properties.message_id)
                assert event["data"]["tenantId"] == tenant
            messages_only = broker.drain(only_messages, [], lambda m: len(m) >= 1, 10)
            assert [p.type for _, p, _ in messages_only] == ["message.created"]
            report = health(server)
            assert report["rabbitmq"]["status"] == "HEALTH_STATUS_HEALTHY", report

            # The broker goes away mid-stream: events wait in the outbox, health says so.
            broker.stop()
            during = [ok(rest(server, "POST", "/api/conversations", credentials, {"externalUserId": f"w{n}"}))["id"] for n in range(20)]
            deadline = time.monotonic() + 30
            while health(server).get("rabbitmq", {}).get("status") != "HEALTH_STATUS_UNHEALTHY":
                assert time.monotonic() < deadline, health(server)
                time.sleep(0.1)  # paces the polling of a state the relay changes on its own
            assert health(server)["status"] == "HEALTH_STATUS_DEGRADED"
            broker.start()
            after = [ok(rest(server, "POST", "/api/conversations", credentials, {"externalUserId": f"a{n}"}))["id"] for n in range(5)]
            broker.drain(queue, got, lambda m: set(during + after) <= conversations_seen(m), 90)
            assert set(during + after) <= conversations_seen(got)
            # Duplicates (a batch published again after a failure) carry the same message id.
            ids_by_conversation: dict = {}
            for _, properties, body in got:
                event = json.loads(body)
                if event["type"] == "conversation.created":
                    ids_by_conversation.setdefault(event["data"]["conversationId"], set()).add(properties.message_id)
            assert all(len(ids) == 1 for ids in ids_by_conversation.values()), ids_by_conversation
            deadline = time.monotonic() + 30
            while health(server).get("rabbitmq", {}).get("status") != "HEALTH_STATUS_HEALTHY":
                assert time.monotonic() < deadline, health(server)
                time.sleep(0.1)  # paces the polling of a state the relay changes on its own


def test_a_bad_rabbitmq_url_stops_serve_with_a_message_naming_the_variable(tmp_path):
    from metachat_process import run_metachat

    result = run_metachat(["serve"], RABBITMQ_URL="http://guest:guest@127.0.0.1:5672/", PORT="1")
    assert result.returncode == 78
    assert "RABBITMQ_URL" in result.stderr and "guest:guest" not in result.stderr
