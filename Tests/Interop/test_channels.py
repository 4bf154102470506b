"""WhatsApp Cloud API and Messenger channels end to end: `metachat serve` with the offline `local`
model, a local Graph API (fake_graph.py) recording what it receives, and callbacks signed as Meta
signs them (X-Hub-Signature-256 = HMAC-SHA256 of the raw body under the app secret)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import restclient
from fake_graph import FakeGraph, RATE_LIMITED, running_graph
from metachat_process import MetaChat, require_services, running_metachat, seed_admin
from test_knowledge_base import ok, rest

APP_SECRET = "app-secret-0123456789abcdef"
VERIFY_TOKEN = "verify-me-please"
USER = "385911234567"


@pytest.fixture(scope="module")
def graph():
    with running_graph() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory, graph: FakeGraph) -> MetaChat:
    require_services()
    environment = dict(
        RATE_LIMIT_MAX_REQUESTS="1000000", META_GRAPH_BASE_URL=graph.base_url, META_GRAPH_API_VERSION="v21.0",
        API_URL="https://chat.example.com",
    )
    with running_metachat(tmp_path_factory.mktemp("channels"), **environment) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("channels@example.com", f"channels-{uuid.uuid4().hex[:12]}")["apiKey"]


def new_tenant(server: MetaChat, admin: str) -> tuple[str, dict[str, str]]:
    headers = {"x-admin-key": admin}
    tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"Channels {uuid.uuid4().hex[:8]}"}))
    key = ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", headers, {"label": "channels"}))
    return tenant["id"], {"x-api-key": key["apiKey"]}


def whatsapp_channel(server: MetaChat, key: dict[str, str], token: str = "EAAG-token-WXYZ", name: str = "WhatsApp") -> dict:
    """A WhatsApp channel with a phone number id of its own (the Graph server's requests are told
    apart by it)."""
    return ok(rest(server, "POST", "/api/channels", key, {"name": name, "whatsapp": {
        "phoneNumberId": str(uuid.uuid4().int)[:15], "businessAccountId": "2065550002", "accessToken": token,
        "appSecret": APP_SECRET, "verifyToken": VERIFY_TOKEN}}))


def messenger_channel(server: MetaChat, key: dict[str, str]) -> dict:
    return ok(rest(server, "POST", "/api/channels", key, {"name": "Page", "messenger": {
        "pageId": str(uuid.uuid4().int)[:15], "pageAccessToken": "EAAP-page-token", "appSecret": APP_SECRET, "verifyToken": VERIFY_TOKEN}}))


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_callback(server: MetaChat, path: str, body: bytes, signature: str | None = "sign") -> restclient.Reply:
    headers = {"content-type": "application/json"}
    if signature == "sign":
        headers["x-hub-signature-256"] = sign(body)
    elif signature is not None:
        headers["x-hub-signature-256"] = signature
    return restclient.request(server.port, "POST", path, body=body, headers=headers, timeout=30)


def phone(channel: dict) -> str:
    return channel["whatsapp"]["phoneNumberId"]


def whatsapp_payload(channel: dict, messages: list[dict] | None = None, statuses: list[dict] | None = None) -> bytes:
    value: dict = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001", "phone_number_id": phone(channel)}}
    if messages is not None:
        value["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": USER}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "2065550002", "changes": [{"field": "messages", "value": value}]}]}).encode()


def text_message(wamid: str, text: str = "Hello there") -> dict:
    return {"from": USER, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}


def psql(sql: str) -> str:
    binary = os.path.join(os.environ["METACHAT_PG_BIN"], "psql") if os.environ.get("METACHAT_PG_BIN") else "psql"
    result = subprocess.run([binary, os.environ["DATABASE_URL"], "-At", "-c", f"SET app.scope = 'admin'; {sql}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # psql prints the SET's tag first.
    return "\n".join(line for line in result.stdout.splitlines() if line != "SET").strip()


def wait_until(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)  # paces the polling of work the server does on its own
    pytest.fail(f"not within {timeout_s}s: {what}")


def inbound_settled(channel_id: str) -> bool:
    return psql(f"SELECT count(*) FROM channel_inbound WHERE channel_id = '{channel_id}' AND status = 'PENDING'") == "0"


def conversations_of(server: MetaChat, key: dict[str, str]) -> list[dict]:
    return ok(rest(server, "GET", "/api/conversations?pageSize=50", key)).get("conversations", [])


def messages_of(server: MetaChat, key: dict[str, str], conversation_id: str) -> list[dict]:
    return ok(rest(server, "GET", f"/api/conversations/{conversation_id}/messages?pageSize=200", key)).get("messages", [])


def sends_to(graph: FakeGraph, object_id: str) -> list:
    return [r for r in graph.sends() if r.path == f"/v21.0/{object_id}/messages"]


# MARK: Configuration


def test_channel_credentials_are_write_only_and_test_connection_reports_health(server, admin, graph: FakeGraph):
    _, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key, token="EAAG-valid-token-1234", name="Health")
    text = json.dumps(channel)
    assert "EAAG-valid-token" not in text and APP_SECRET not in text and VERIFY_TOKEN not in text
    assert channel["whatsapp"]["accessTokenLastFour"] == "1234"
    assert channel["callbackUrl"] == f"https://chat.example.com/api/channels/{channel['id']}/callback"
    tested = ok(rest(server, "POST", f"/api/channels/{channel['id']}/test", key, {}))
    assert tested["ok"] is True
    probe = [r for r in graph.requests if r.method == "GET" and r.path == f"/v21.0/{phone(channel)}"][-1]
    assert probe.headers["authorization"] == "Bearer EAAG-valid-token-1234"
    graph.revoked_tokens.add("EAAG-valid-token-1234")
    failed = ok(rest(server, "POST", f"/api/channels/{channel['id']}/test", key, {}))
    assert not failed.get("ok") and "190" in failed["detail"]
    assert "190" in ok(rest(server, "GET", f"/api/channels/{channel['id']}", key))["health"]["lastError"]


# MARK: Callbacks


def test_verification_handshake(server, admin):
    tenant, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    base = f"/api/channels/{channel['id']}/callback"
    good = restclient.request(server.port, "GET", f"{base}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")
    assert good.status == 200 and good.body == b"1158201444"
    legacy = restclient.request(server.port, "GET", f"/api/integrations/whatsapp/{tenant}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=42")
    assert legacy.status == 200 and legacy.body == b"42"
    cases = [
        (f"{base}?hub.mode=subscribe&hub.verify_token=wrong-token&hub.challenge=1", 403),
        (f"{base}?hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1", 403),
        (f"{base}?hub.mode=subscribe&hub.challenge=1", 403),
        (f"{base}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}", 400),
        (f"{base}?hub.mode=subscribe&hub.verify_token=%zz", 400),
        (f"/api/channels/{uuid.uuid4()}/callback?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1", 404),
        (f"/api/channels/not-a-uuid/callback?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1", 404),
        (f"/api/integrations/messenger/{tenant}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1", 404),
        (f"/api/integrations/telegram/{tenant}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1", 404),
    ]
    for path, status in cases:
        reply = restclient.request(server.port, "GET", path)
        assert reply.status == status, (path, reply.status, reply.body[:300])
        assert b"1158201444" not in reply.body


def test_bad_callbacks_are_refused_and_store_nothing(server, admin):
    tenant, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    path = f"/api/channels/{channel['id']}/callback"
    body = whatsapp_payload(channel, [text_message("wamid.BAD1")])
    cases = [
        ("no signature", body, None, 401),
        ("signature of another secret", body, sign(body, "another-secret"), 401),
        ("signature of another body", body, sign(body + b" "), 401),
        ("signature not hex", body, "sha256=" + "z" * 64, 401),
        ("signature too short", body, sign(body)[:-2], 401),
        ("sha1 signature", body, "sha1=" + hashlib.sha1(body).hexdigest(), 401),
        ("signed body not JSON", b"not json", sign(b"not json"), 400),
        ("signed Messenger body to a WhatsApp channel", b'{"object":"page","entry":[]}', sign(b'{"object":"page","entry":[]}'), 400),
        ("signed body of another object", b'{"object":"instagram","entry":[]}', sign(b'{"object":"instagram","entry":[]}'), 400),
    ]
    for name, payload, signature, status in cases:
        reply = post_callback(server, path, payload, signature)
        assert reply.status == status, (name, reply.status, reply.body[:300])
        assert reply.json()["error"]["message"], name
    unknown = post_callback(server, f"/api/channels/{uuid.uuid4()}/callback", body)
    assert unknown.status == 404
    assert psql(f"SELECT count(*) FROM channel_inbound WHERE tenant_id = '{tenant}'") == "0"
    assert conversations_of(server, key) == []
    # Concurrent bad requests beside a good one: only the good one is stored.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda i: post_callback(server, path, body, None if i % 2 else sign(body, "x")), range(16)))
    assert {r.status for r in replies} == {401}
    assert post_callback(server, path, body).status == 200
    assert psql(f"SELECT count(*) FROM channel_inbound WHERE tenant_id = '{tenant}'") == "1"


def test_a_message_delivered_three_times_makes_one_message_and_one_reply(server, admin, graph: FakeGraph):
    _, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    wamid = f"wamid.{uuid.uuid4().hex}"
    body = whatsapp_payload(channel, [text_message(wamid, "What are your opening hours?")])
    before = len(sends_to(graph, phone(channel)))
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda _: post_callback(server, f"/api/channels/{channel['id']}/callback", body), range(3)))
    assert [r.status for r in replies] == [200, 200, 200]
    assert all(r.body == b"EVENT_RECEIVED" for r in replies)
    wait_until(lambda: inbound_settled(channel["id"]), 60, "the three callbacks processed")
    sent = wait_until(lambda: sends_to(graph, phone(channel))[before:] or None, 30, "the reply sent")
    conversations = conversations_of(server, key)
    assert len(conversations) == 1
    conversation = conversations[0]
    assert conversation["channelType"] == "CHANNEL_TYPE_WHATSAPP" and conversation["externalUserId"] == USER
    messages = wait_until(
        lambda: (m := messages_of(server, key, conversation["id"])) and m[-1].get("deliveryStatus") == "MESSAGE_DELIVERY_STATUS_SENT" and m,
        30, "the reply marked SENT")
    assert [m["role"] for m in messages] == ["MESSAGE_ROLE_USER", "MESSAGE_ROLE_ASSISTANT"]
    assert messages[0]["text"] == "What are your opening hours?"
    assert len(sent) == 1
    request = sent[0]
    assert request.headers["authorization"] == "Bearer EAAG-token-WXYZ"
    assert request.body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": USER, "type": "text",
                            "text": {"preview_url": False, "body": messages[1]["text"]}}
    assert messages[1]["externalMessageId"].startswith("wamid.OUT")
    # A fourth delivery, after everything settled, changes nothing either.
    assert post_callback(server, f"/api/channels/{channel['id']}/callback", body).status == 200
    wait_until(lambda: inbound_settled(channel["id"]), 30, "the fourth callback processed")
    assert len(messages_of(server, key, conversation["id"])) == 2
    assert len(sends_to(graph, phone(channel))[before:]) == 1
    health = ok(rest(server, "GET", f"/api/channels/{channel['id']}", key))["health"]
    assert health["lastInboundAt"] and health["lastSendAt"] and not health.get("lastError")

    # Status callbacks: delivered, then read; a late "delivered" does not set it back.
    out = messages[1]["externalMessageId"]
    for state in ["delivered", "read", "delivered"]:
        status = whatsapp_payload(channel, statuses=[{"id": out, "status": state, "timestamp": "1", "recipient_id": USER}])
        assert post_callback(server, f"/api/channels/{channel['id']}/callback", status).status == 200
        wait_until(lambda: inbound_settled(channel["id"]), 30, f"the {state} receipt processed")
    assert messages_of(server, key, conversation["id"])[1]["deliveryStatus"] == "MESSAGE_DELIVERY_STATUS_READ"
    failed = whatsapp_payload(channel, statuses=[{"id": out, "status": "failed", "timestamp": "2", "recipient_id": USER,
                                         "errors": [{"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Receiver is incapable"}}]}])
    assert post_callback(server, f"/api/channels/{channel['id']}/callback", failed).status == 200
    wait_until(lambda: inbound_settled(channel["id"]), 30, "the failure processed")
    last = messages_of(server, key, conversation["id"])[1]
    assert last["deliveryStatus"] == "MESSAGE_DELIVERY_STATUS_FAILED"
    assert "131026" in last["deliveryError"] and "Receiver is incapable" in last["deliveryError"]
    # Each receipt that changed the status is a message.delivery_updated event (webhooks, event bus).
    updates = psql(f"SELECT count(*) FROM outbox_events WHERE conversation_id = '{conversation['id']}'"
                   " AND event_type = 'message.delivery_updated'")
    assert int(updates) == 4  # SENT, DELIVERED, READ, FAILED


def test_media_location_and_interactive_messages(server, admin, graph: FakeGraph):
    _, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    now = str(int(time.time()))
    payload = whatsapp_payload(channel, [
        {"from": USER, "id": f"wamid.I{uuid.uuid4().hex}", "timestamp": now, "type": "image",
         "image": {"id": "media-9001", "mime_type": "image/jpeg", "caption": "my receipt"}},
        {"from": USER, "id": f"wamid.L{uuid.uuid4().hex}", "timestamp": now, "type": "location",
         "location": {"latitude": 45.815, "longitude": 15.982, "name": "Zagreb office"}},
        {"from": USER, "id": f"wamid.B{uuid.uuid4().hex}", "timestamp": now, "type": "interactive",
         "interactive": {"type": "button_reply", "button_reply": {"id": "opt-yes", "title": "Yes please"}}},
    ])
    assert post_callback(server, f"/api/channels/{channel['id']}/callback", payload).status == 200
    wait_until(lambda: inbound_settled(channel["id"]), 60, "the callback processed")
    conversation = conversations_of(server, key)[0]
    users = [m for m in messages_of(server, key, conversation["id"]) if m["role"] == "MESSAGE_ROLE_USER"]
    assert [m["text"] for m in users] == ["my receipt", "Zagreb office", "Yes please"]
    image, place, button = (m.get("metadata", {}) for m in users)
    assert image["media.0.id"] == "media-9001" and image["media.0.url"].endswith("/download/media-9001")
    assert image["media.0.mimeType"] == "image/jpeg" and image["channel.messageType"] == "image"
    assert place["location.latitude"] == "45.815" and place["location.name"] == "Zagreb office"
    assert button["channel.payload"] == "opt-yes" and button["channel.messageType"] == "interactive"
    assert any(r.method == "GET" and r.path == "/v21.0/media-9001" for r in graph.requests)


def test_messenger_messages_postbacks_and_echoes(server, admin, graph: FakeGraph):
    tenant, key = new_tenant(server, admin)
    channel = messenger_channel(server, key)
    psid = f"PSID{uuid.uuid4().hex[:8]}"
    page = channel["messenger"]["pageId"]
    body = json.dumps({"object": "page", "entry": [{"id": page, "time": 1, "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": 1700000000000, "message": {"mid": f"m_{uuid.uuid4().hex}", "text": "hi there"}},
        {"sender": {"id": page}, "recipient": {"id": psid}, "timestamp": 1700000000001, "message": {"mid": f"m_{uuid.uuid4().hex}", "text": "our own", "is_echo": True}},
        {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": 1700000000002, "postback": {"mid": f"m_{uuid.uuid4().hex}", "title": "Get Started", "payload": "GET_STARTED"}},
    ]}]}).encode()
    before = len(sends_to(graph, page))
    # Through the original platform's URL.
    assert post_callback(server, f"/api/integrations/messenger/{tenant}", body).status == 200
    wait_until(lambda: inbound_settled(channel["id"]), 60, "the callback processed")
    conversation = conversations_of(server, key)[0]
    assert conversation["channelType"] == "CHANNEL_TYPE_MESSENGER" and conversation["externalUserId"] == psid
    def replies():
        return [r for r in sends_to(graph, page)[before:] if "message" in r.body]
    sent = wait_until(lambda: len(replies()) >= 2 and replies(), 30, "two replies")
    messages = messages_of(server, key, conversation["id"])
    assert [m["text"] for m in messages if m["role"] == "MESSAGE_ROLE_USER"] == ["hi there", "Get Started"]
    assert all(r.body["messaging_type"] == "RESPONSE" and r.body["recipient"] == {"id": psid} for r in sent)
    # The typing indicator went out for each of the two messages, each before its reply.
    typing = [r for r in sends_to(graph, page)[before:] if "sender_action" in r.body]
    assert [r.body for r in typing] == [{"recipient": {"id": psid}, "sender_action": "typing_on"}] * 2
    assert typing[0].at <= sent[0].at
    assert {r.body["message"]["text"] for r in sent} <= {m["text"] for m in messages if m["role"] == "MESSAGE_ROLE_ASSISTANT"}


# MARK: Sending


def start_conversation(server: MetaChat, key: dict[str, str], channel: dict, graph: FakeGraph) -> tuple[str, int]:
    """A conversation with one answered user message; the number of sends to its phone number afterwards."""
    wamid = f"wamid.{uuid.uuid4().hex}"
    assert post_callback(server, f"/api/channels/{channel['id']}/callback", whatsapp_payload(channel, [text_message(wamid)])).status == 200
    wait_until(lambda: inbound_settled(channel["id"]), 60, "the callback processed")
    conversation = conversations_of(server, key)[0]["id"]
    wait_until(lambda: messages_of(server, key, conversation)[-1].get("deliveryStatus") not in (None, "MESSAGE_DELIVERY_STATUS_QUEUED"), 30, "the reply sent")
    return conversation, len(sends_to(graph, phone(channel)))


def agent_reply(server: MetaChat, key: dict[str, str], conversation: str, text: str) -> dict:
    return ok(rest(server, "POST", f"/api/conversations/{conversation}/replies", key, {"text": text, "agentId": "agent-7"}))


def wait_delivery(server: MetaChat, key: dict[str, str], conversation: str, message_id: str, statuses: set[str]) -> dict:
    def current():
        found = [m for m in messages_of(server, key, conversation) if m["id"] == message_id]
        return found and found[0].get("deliveryStatus") in statuses and found[0]
    return wait_until(current, 60, f"message {message_id} in {statuses}")


def test_agent_reply_goes_out_through_the_channel_after_a_rate_limit(server, admin, graph: FakeGraph):
    _, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    conversation, before = start_conversation(server, key, channel, graph)
    graph.queue_send_answers((429, RATE_LIMITED), (400, {"error": {"message": "(#80007) rate limit", "type": "OAuthException", "code": 80007}}),
                             object_id=phone(channel))
    reply = agent_reply(server, key, conversation, "An agent here: we open at 9.")
    sent = wait_delivery(server, key, conversation, reply["id"], {"MESSAGE_DELIVERY_STATUS_SENT"})
    attempts = sends_to(graph, phone(channel))[before:]
    assert len(attempts) == 3
    assert all(a.body["text"]["body"] == "An agent here: we open at 9." for a in attempts)
    assert sent["externalMessageId"].startswith("wamid.OUT")
    assert psql(f"SELECT attempts FROM channel_outbox WHERE message_id = '{reply['id']}'") == "3"


def test_a_reply_outside_the_24_hour_window_is_refused(server, admin, graph: FakeGraph):
    tenant, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    conversation, before = start_conversation(server, key, channel, graph)
    psql(f"UPDATE messages SET created_at = now() - interval '25 hours' WHERE tenant_id = '{tenant}' AND role = 'USER'")
    reply = agent_reply(server, key, conversation, "Late answer")
    failed = wait_delivery(server, key, conversation, reply["id"], {"MESSAGE_DELIVERY_STATUS_FAILED"})
    assert "24-hour" in failed["deliveryError"] and "template" in failed["deliveryError"]
    assert len(sends_to(graph, phone(channel))) == before


def test_an_invalid_token_fails_the_message_and_shows_in_channel_health(server, admin, graph: FakeGraph):
    _, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key, token=f"EAAG-{uuid.uuid4().hex}")
    conversation, _ = start_conversation(server, key, channel, graph)
    token = [r for r in graph.sends() if r.path == f"/v21.0/{phone(channel)}/messages"][-1].headers["authorization"].removeprefix("Bearer ")
    graph.revoked_tokens.add(token)
    reply = agent_reply(server, key, conversation, "This will not arrive")
    failed = wait_delivery(server, key, conversation, reply["id"], {"MESSAGE_DELIVERY_STATUS_FAILED"})
    assert "190" in failed["deliveryError"]
    health = ok(rest(server, "GET", f"/api/channels/{channel['id']}", key))["health"]
    assert "190" in health["lastError"] and health["lastErrorAt"]
    # A new token (PATCH) and the next reply goes out again; the error clears.
    ok(rest(server, "PATCH", f"/api/channels/{channel['id']}", key, {"whatsapp": {"accessToken": "EAAG-fresh-token"}}))
    again = agent_reply(server, key, conversation, "Now it arrives")
    wait_delivery(server, key, conversation, again["id"], {"MESSAGE_DELIVERY_STATUS_SENT"})
    assert not ok(rest(server, "GET", f"/api/channels/{channel['id']}", key))["health"].get("lastError")
