"""WatchConversationEvents on one `metachat serve`, over every face: Server-Sent Events (with
Last-Event-ID), NDJSON, gRPC and gRPC-Web. A watcher replays the stored events after its
position, then follows live ones, in order, each once; filters by conversation and kind; errors
(another tenant's conversation, a position ahead of the log, a malformed position) answer
before the stream starts, with the REST status on the REST faces."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from conversation_client import CallError, Conversations
from conversation_watch import FACES, Watch
from metachat_process import MetaChat, open_channel, require_services, running_metachat, seed_admin
from test_conversations import ok, rest


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    require_services()
    with running_metachat(
        tmp_path_factory.mktemp("conversation-events"), RATE_LIMIT_MAX_REQUESTS="1000000", SSE_HEARTBEAT_SECONDS="1"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def channel(server):
    ch = open_channel(server)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("conversation-events@example.com", f"events-{uuid.uuid4().hex[:12]}")["apiKey"]


def new_tenant(server: MetaChat, admin: str) -> tuple[str, dict[str, str]]:
    """A fresh tenant (its event ids start at 1) and its key's credentials."""
    headers = {"x-admin-key": admin}
    tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"Events {uuid.uuid4().hex[:8]}"}))
    key = ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", headers, {"label": "events"}))
    return tenant["id"], {"x-api-key": key["apiKey"]}


@pytest.mark.parametrize("face", FACES)
def test_a_watcher_replays_then_follows_every_event_in_order(face, server, admin, metachat_api, channel):
    _, credentials = new_tenant(server, admin)
    client = Conversations("rest", server, metachat_api, None, credentials)
    c = client("CreateConversation", {"externalUserId": "watched"})
    client("PostAgentReply", {"conversationId": c["id"], "text": "one", "agentId": "ann"})
    with Watch(face, server, metachat_api, credentials, after="1", channel=channel) as watch:
        replayed = [watch.next_durable() for _ in range(3)]
        assert [e["eventId"] for e in replayed] == ["2", "3", "4"], replayed
        assert [next(iter(set(e) & {"statusChanged", "assigned", "messageCreated"})) for e in replayed] == [
            "statusChanged", "assigned", "messageCreated"
        ]
        client("PostAgentReply", {"conversationId": c["id"], "text": "two", "agentId": "ann"})
        client("ResolveConversation", {"conversationId": c["id"]})
        live = [watch.next_durable() for _ in range(3)]
        assert [e["eventId"] for e in live] == ["5", "6", "7"], live
        assert live[0]["messageCreated"]["message"]["text"] == "two"
        assert live[1]["statusChanged"]["status"] == "CONVERSATION_STATUS_RESOLVED"
        assert all(e["tenantId"] == c["tenantId"] and e["conversationId"] == c["id"] for e in replayed + live)
        # Idle: heartbeats (SSE_HEARTBEAT_SECONDS=1) keep the stream alive.
        heartbeat = watch.next(timeout=10)
        assert "heartbeat" in heartbeat, heartbeat


@pytest.mark.parametrize("face", FACES)
def test_a_watcher_filters_by_conversation_and_kind(face, server, admin, metachat_api, channel):
    _, credentials = new_tenant(server, admin)
    client = Conversations("rest", server, metachat_api, None, credentials)
    one = client("CreateConversation", {"externalUserId": "one"})
    other = client("CreateConversation", {"externalUserId": "other"})
    with Watch(
        face, server, metachat_api, credentials, conversation_id=one["id"], kinds=["CONVERSATION_EVENT_KIND_MESSAGE_CREATED"],
        after="2", channel=channel,
    ) as watch:
        client("PostAgentReply", {"conversationId": other["id"], "text": "elsewhere", "agentId": "ann"})
        client("PostAgentReply", {"conversationId": one["id"], "text": "here", "agentId": "ann"})
        event = watch.next_durable()
        assert event["messageCreated"]["message"]["text"] == "here", event
        assert event["eventId"] == "8", event  # 1-2 created, 3-5 for other, 6-7 status and assignee of one


@pytest.mark.parametrize("face", FACES)
def test_watch_errors_answer_before_the_stream(face, server, admin, metachat_api, channel):
    _, credentials = new_tenant(server, admin)
    _, other_credentials = new_tenant(server, admin)
    client = Conversations("rest", server, metachat_api, None, credentials)
    c = client("CreateConversation", {"externalUserId": "private"})
    cases = [
        (other_credentials, {"conversation_id": c["id"]}, "NOT_FOUND", 404, f"Conversation {c['id']} was not found."),
        (credentials, {"after": "99"}, "INVALID_ARGUMENT", 400, "afterEventId lies ahead"),
        (credentials, {"after": "x1"}, "INVALID_ARGUMENT", 400, "afterEventId must be an event id"),
    ]
    for creds, arguments, status, http_status, message in cases:
        with Watch(face, server, metachat_api, creds, channel=channel, **arguments) as watch:
            with pytest.raises(CallError) as caught:
                watch.next(timeout=10)
            assert caught.value.status == status, (arguments, caught.value)
            assert message in caught.value.message, caught.value
            if face in ("sse", "ndjson"):
                assert caught.value.http_status == http_status, caught.value
