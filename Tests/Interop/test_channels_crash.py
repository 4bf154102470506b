"""`kill -9` of `metachat serve` between acknowledging a WhatsApp callback and sending its reply:
the reply waits in the channel outbox (the Graph API answers 503 meanwhile), the server dies,
and after the restart the reply reaches the Graph API, which accepts it exactly once. A module of
its own: no other server's channel worker takes the reply meanwhile."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from fake_graph import FakeGraph, running_graph
from metachat_process import free_port, require_services, seed_admin
from test_channels import conversations_of, messages_of, phone, post_callback, psql, text_message, wait_until, whatsapp_channel, whatsapp_payload, new_tenant
from test_knowledge_base import ok, rest
from test_outbox_crash import start_server

UNAVAILABLE = {"error": {"message": "Service temporarily unavailable", "type": "OAuthException", "code": 2}}


def accepted(graph: FakeGraph, number: str) -> list:
    """The sends the Graph API accepted (answered 200) to a phone number."""
    return [r for r in graph.sends() if r.path == f"/v21.0/{number}/messages" and r.status == 200]


def test_kill_9_between_ack_and_reply_sends_the_reply_exactly_once(tmp_path: Path):
    require_services()
    with running_graph() as graph:
        environment = dict(RATE_LIMIT_MAX_REQUESTS="1000000", META_GRAPH_BASE_URL=graph.base_url, META_GRAPH_API_VERSION="v21.0")
        port = free_port()
        log = tmp_path / "serve.log"
        servers = [start_server(port, log, environment)]
        try:
            server = servers[0]
            admin = seed_admin("channels-crash@example.com", f"crash-{uuid.uuid4().hex[:12]}")["apiKey"]
            tenant, key = new_tenant(server, admin)
            channel = whatsapp_channel(server, key)
            number = phone(channel)
            # The Graph API is down: the reply stays in the outbox after the callback was answered.
            graph.queue_send_answers(*[(503, UNAVAILABLE)] * 50, object_id=number)
            body = whatsapp_payload(channel, [text_message(f"wamid.{uuid.uuid4().hex}", "Are you open on Sunday?")])
            reply = post_callback(server, f"/api/channels/{channel['id']}/callback", body)
            assert reply.status == 200
            wait_until(lambda: [r for r in graph.sends() if r.path == f"/v21.0/{number}/messages"], 30, "a first (refused) send")
            assert psql(f"SELECT status FROM channel_outbox WHERE tenant_id = '{tenant}'") == "PENDING"
            server.process.kill()
            server.process.wait(timeout=10)
            graph.queued_send_answers.clear()
            server = start_server(port, log, environment)
            servers.append(server)
            wait_until(lambda: psql(f"SELECT status FROM channel_outbox WHERE tenant_id = '{tenant}'") == "SENT", 120,
                       "the reply sent after the restart")
            # Meta redelivers the callback too: still one message and one reply.
            assert post_callback(server, f"/api/channels/{channel['id']}/callback", body).status == 200
            wait_until(lambda: psql(f"SELECT count(*) FROM channel_inbound WHERE tenant_id = '{tenant}' AND status = 'PENDING'") == "0",
                       60, "the redelivery processed")
            assert len(accepted(graph, number)) == 1
            conversation = conversations_of(server, key)[0]["id"]
            messages = messages_of(server, key, conversation)
            assert [m["role"] for m in messages] == ["MESSAGE_ROLE_USER", "MESSAGE_ROLE_ASSISTANT"]
            assert messages[1]["deliveryStatus"] == "MESSAGE_DELIVERY_STATUS_SENT"
            assert accepted(graph, number)[0].body["text"]["body"] == messages[1]["text"]
        finally:
            for running in servers:
                if running.process.poll() is None:
                    running.process.terminate()
                    running.process.wait(timeout=30)
