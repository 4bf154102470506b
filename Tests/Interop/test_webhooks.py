"""Webhooks end to end: `metachat serve`, a real local HTTP receiver, and two verifiers that share
no code with the server — an independent implementation of the Standard Webhooks specification
(standard_webhooks.py) and the Standard Webhooks reference library (`standardwebhooks`)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import standard_webhooks
from metachat_process import MetaChat, require_services, running_metachat, seed_admin
from test_knowledge_base import ok, rest
from webhook_receiver import HANG, Receiver, running_receiver

ENVIRONMENT = dict(
    RATE_LIMIT_MAX_REQUESTS="1000000",
    WEBHOOK_RETRY_MAX_ATTEMPTS="3",
    WEBHOOK_RETRY_INITIAL_DELAY_MS="200",
    OUTBOUND_ALLOW_CIDRS="127.0.0.0/8",
)


@pytest.fixture(scope="module")
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> MetaChat:
    require_services()
    with running_metachat(tmp_path_factory.mktemp("webhooks"), **ENVIRONMENT) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("webhooks@example.com", f"webhooks-{uuid.uuid4().hex[:12]}")["apiKey"]


def new_tenant(server: MetaChat, admin: str) -> tuple[str, dict[str, str]]:
    headers = {"x-admin-key": admin}
    tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"Hooks {uuid.uuid4().hex[:8]}"}))
    key = ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", headers, {"label": "hooks"}))
    return tenant["id"], {"x-api-key": key["apiKey"]}


def endpoint(server: MetaChat, key: dict[str, str], url: str, types: list[str] | None = None) -> dict:
    body = {"url": url}
    if types:
        body["eventTypes"] = [f"WEBHOOK_EVENT_TYPE_{t}" for t in types]
    return ok(rest(server, "POST", "/api/webhooks", key, body))


def wait_delivery(server: MetaChat, key: dict[str, str], webhook_id: str, statuses: set[str], timeout_s: float = 20) -> dict:
    deadline = time.monotonic() + timeout_s
    seen: list = []
    while time.monotonic() < deadline:
        seen = ok(rest(server, "GET", f"/api/webhooks/{webhook_id}/deliveries", key)).get("deliveries", [])
        if seen and seen[0]["status"] in statuses:
            return ok(rest(server, "GET", f"/api/webhooks/{webhook_id}/deliveries/{seen[0]['id']}", key))
        time.sleep(0.05)  # paces the polling of deliveries made on their own
    pytest.fail(f"no delivery reached {statuses}: {seen}\n{server.log_tail()}")


def test_a_delivery_verifies_with_an_independent_verifier_and_the_reference_library(server, admin, receiver: Receiver):
    tenant, key = new_tenant(server, admin)
    hook = endpoint(server, key, receiver.url("/signed"), ["CONVERSATION_CREATED"])
    secret = hook["signingSecret"]
    assert secret.startswith("whsec_")
    assert hook["webhook"]["signingSecretLastFour"] == secret[-4:]
    conversation = ok(rest(server, "POST", "/api/conversations", key, {"externalUserId": "hooked"}))
    request = receiver.wait_for("/signed", 1, 20)[0]
    headers = request.headers
    assert headers["content-type"] == "application/json"
    standard_webhooks.verify(secret, headers, request.body)
    payload = Webhook(secret).verify(request.body, {k.lower(): v for k, v in headers.items()})
    assert payload["type"] == "conversation.created"
    assert payload["data"]["conversationId"] == conversation["id"]
    assert payload["data"]["tenantId"] == tenant
    assert set(payload) == {"type", "timestamp", "data"}
    # A tampered body, another secret, an old (replayed) or a future timestamp are all refused.
    with pytest.raises(standard_webhooks.VerificationError):
        standard_webhooks.verify(secret, headers, request.body.replace(b"conversation", b"Conversation", 1))
    with pytest.raises(standard_webhooks.VerificationError):
        standard_webhooks.verify("whsec_" + "A" * 32, headers, request.body)
    with pytest.raises(standard_webhooks.VerificationError, match="too old"):
        standard_webhooks.verify(secret, headers, request.body, now=request.at + 10 * 60)
    with pytest.raises(standard_webhooks.VerificationError, match="too new"):
        standard_webhooks.verify(secret, headers, request.body, now=request.at - 10 * 60)
    replayed = dict(headers, **{"webhook-timestamp": str(int(request.at) - 3600)})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body, {k.lower(): v for k, v in replayed.items()})
    # The delivery log agrees with what the receiver got.
    delivery = wait_delivery(server, key, hook["webhook"]["id"], {"WEBHOOK_DELIVERY_STATUS_SUCCEEDED"})
    assert delivery["eventId"] == headers["webhook-id"]
    assert delivery["attempts"] == 1 and delivery["lastStatusCode"] == 204
    assert json.loads(request.body) == {
        "type": delivery["event"]["type"], "timestamp": delivery["event"]["timestamp"], "data": delivery["event"]["data"]
    }


def test_during_a_rotation_each_secret_alone_verifies(server, admin, receiver: Receiver):
    _, key = new_tenant(server, admin)
    hook = endpoint(server, key, receiver.url("/rotated"))
    old = hook["signingSecret"]
    webhook_id = hook["webhook"]["id"]
    rotated = ok(rest(server, "POST", f"/api/webhooks/{webhook_id}/rotate-secret", key, {"gracePeriod": "3600s"}))
    new = rotated["signingSecret"]
    assert new != old and rotated["webhook"]["previousSecretExpiresAt"]
    test = ok(rest(server, "POST", f"/api/webhooks/{webhook_id}/test", key, {}))
    assert test["status"] == "WEBHOOK_DELIVERY_STATUS_SUCCEEDED", test
    request = receiver.wait_for("/rotated", 1, 10)[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        standard_webhooks.verify(secret, request.headers, request.body)
        Webhook(secret).verify(request.body, {k.lower(): v for k, v in request.headers.items()})
    ok(rest(server, "POST", f"/api/webhooks/{webhook_id}/rotate-secret", key, {}))
    ok(rest(server, "POST", f"/api/webhooks/{webhook_id}/test", key, {}))
    last = receiver.wait_for("/rotated", 2, 10)[-1]
    with pytest.raises(standard_webhooks.VerificationError):
        standard_webhooks.verify(new, last.headers, last.body)


def test_retries_until_success_then_a_redelivery_keeps_the_id(server, admin, receiver: Receiver):
    _, key = new_tenant(server, admin)
    receiver.scripts["/flaky"] = lambda n: (503, {"retry-after": "0"}, b"busy") if n <= 2 else (200, {}, b"ok")
    hook = endpoint(server, key, receiver.url("/flaky"), ["CONVERSATION_CREATED"])
    ok(rest(server, "POST", "/api/conversations", key, {"externalUserId": "flaky"}))
    delivery = wait_delivery(server, key, hook["webhook"]["id"], {"WEBHOOK_DELIVERY_STATUS_SUCCEEDED"})
    assert delivery["attempts"] == 3
    assert [a.get("statusCode") for a in delivery["attemptLog"]] == [503, 503, 200]
    assert delivery["lastResponseBody"] == "ok"
    requests = receiver.at("/flaky")
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    again = ok(rest(server, "POST", f"/api/webhooks/{hook['webhook']['id']}/deliveries/{delivery['id']}/redeliver", key, {}))
    assert again["redeliveryOf"] == delivery["id"] and again["eventId"] == delivery["eventId"]
    fourth = receiver.wait_for("/flaky", 4, 20)[-1]
    assert fourth.headers["webhook-id"] == delivery["eventId"] and fourth.body == requests[0].body


def test_gone_disables_and_a_4xx_is_final(server, admin, receiver: Receiver):
    _, key = new_tenant(server, admin)
    receiver.scripts["/gone"] = lambda n: (410, {}, b"")
    receiver.scripts["/rejects"] = lambda n: (422, {}, b"unprocessable")
    gone = endpoint(server, key, receiver.url("/gone"), ["CONVERSATION_CREATED"])
    rejects = endpoint(server, key, receiver.url("/rejects"), ["CONVERSATION_CREATED"])
    ok(rest(server, "POST", "/api/conversations", key, {"externalUserId": "gone"}))
    failed = wait_delivery(server, key, rejects["webhook"]["id"], {"WEBHOOK_DELIVERY_STATUS_FAILED"})
    assert failed["attempts"] == 1 and failed["lastStatusCode"] == 422 and failed["lastResponseBody"] == "unprocessable"
    wait_delivery(server, key, gone["webhook"]["id"], {"WEBHOOK_DELIVERY_STATUS_FAILED"})
    state = ok(rest(server, "GET", f"/api/webhooks/{gone['webhook']['id']}", key))
    assert state.get("enabled", False) is False and state["disabledReason"] == "receiver answered 410 Gone"
    enabled = ok(rest(server, "PATCH", f"/api/webhooks/{gone['webhook']['id']}", key, {"enabled": True}))
    assert enabled["enabled"] is True and "disabledReason" not in enabled


def test_a_hanging_receiver_does_not_delay_another(server, admin, receiver: Receiver):
    _, key = new_tenant(server, admin)
    receiver.scripts["/hangs"] = lambda n: (HANG, {}, b"")
    endpoint(server, key, receiver.url("/hangs"), ["CONVERSATION_CREATED"])
    endpoint(server, key, receiver.url("/quick"), ["CONVERSATION_CREATED"])
    for n in range(30):
        ok(rest(server, "POST", "/api/conversations", key, {"externalUserId": f"user-{n}"}))
    started = time.monotonic()
    receiver.wait_for("/quick", 30, 10)
    assert time.monotonic() - started < 10


def test_tenants_never_see_each_others_webhooks_and_bad_input_names_the_field(server, admin, receiver: Receiver):
    _, key_a = new_tenant(server, admin)
    _, key_b = new_tenant(server, admin)
    hook = endpoint(server, key_a, receiver.url("/private"))
    webhook_id = hook["webhook"]["id"]
    for method, path, body in [
        ("GET", f"/api/webhooks/{webhook_id}", None),
        ("PATCH", f"/api/webhooks/{webhook_id}", {"url": receiver.url("/stolen")}),
        ("GET", f"/api/webhooks/{webhook_id}/deliveries", None),
        ("POST", f"/api/webhooks/{webhook_id}/test", {}),
        ("POST", f"/api/webhooks/{webhook_id}/rotate-secret", {}),
        ("DELETE", f"/api/webhooks/{webhook_id}", None),
    ]:
        reply = rest(server, method, path, key_b, body)
        assert reply.status == 404, (method, path, reply.status, reply.body[:300])
    assert ok(rest(server, "GET", "/api/webhooks", key_b)).get("webhooks", []) == []
    assert ok(rest(server, "GET", f"/api/webhooks/{webhook_id}", key_a))["url"] == receiver.url("/private")
    for body, field in [
        ({"url": ""}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://10.1.2.3/hook"}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": receiver.url("/x"), "description": "d" * 501}, "description"),
        ({"url": receiver.url("/x"), "eventTypes": ["WEBHOOK_EVENT_TYPE_UNSPECIFIED"]}, "eventTypes[0]"),
    ]:
        reply = rest(server, "POST", "/api/webhooks", key_a, body)
        assert reply.status == 400, (body, reply.status, reply.body[:300])
        error = reply.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT" and error["message"].startswith(field), error
    reply = rest(server, "POST", f"/api/webhooks/{webhook_id}/rotate-secret", key_a, {"gracePeriod": "700000s"})
    assert reply.status == 400 and "gracePeriod" in reply.json()["error"]["message"]
