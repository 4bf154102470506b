"""ConversationService against a real `metachat serve`, every RPC over both faces (REST and
gRPC, the same test body for each): the hand-off transitions and every illegal one, agent
replies with their idempotency key, listings, export, erasure, bad input (INVALID_ARGUMENT /
400 naming the field, nothing changed), another tenant's ids (NOT_FOUND / 404 on every
id-bearing RPC), and operators reaching a tenant's data with `x-tenant-id`."""

from __future__ import annotations

import json
import uuid
from typing import Iterator

import pytest

import restclient
from conversation_client import CallError, Conversations
from metachat_process import MetaChat, open_channel, require_services, running_metachat, seed_admin

FACES = ["rest", "grpc"]
REQUEST_TIMEOUT_S = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    require_services()
    with running_metachat(tmp_path_factory.mktemp("conversations"), RATE_LIMIT_MAX_REQUESTS="1000000") as running:
        yield running


@pytest.fixture(scope="module")
def channel(server):
    ch = open_channel(server)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("conversations@example.com", f"conv-{uuid.uuid4().hex[:12]}")["apiKey"]


def rest(server: MetaChat, method: str, path: str, headers: dict[str, str], body=None) -> restclient.Reply:
    all_headers = dict(headers)
    payload = None
    if body is not None:
        all_headers["content-type"] = "application/json"
        payload = json.dumps(body)
    return restclient.request(server.port, method, path, body=payload, headers=all_headers, timeout=REQUEST_TIMEOUT_S)


def ok(reply: restclient.Reply) -> dict:
    assert reply.status == 200, (reply.status, reply.body[:500])
    return reply.json()


def tenant_with_key(server: MetaChat, admin: str) -> tuple[str, str]:
    """A new tenant and one of its keys."""
    headers = {"x-admin-key": admin}
    tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"Conv {uuid.uuid4().hex[:8]}"}))
    key = ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", headers, {"label": "conv"}))
    return tenant["id"], key["apiKey"]


@pytest.fixture(scope="module")
def tenants(server, admin):
    """Tenants A and B, each with a key."""
    return tenant_with_key(server, admin), tenant_with_key(server, admin)


@pytest.fixture(params=FACES)
def face(request) -> str:
    return request.param


@pytest.fixture
def client_a(face, server, metachat_api, channel, tenants) -> Conversations:
    return Conversations(face, server, metachat_api, channel, {"x-api-key": tenants[0][1]})


@pytest.fixture
def client_b(client_a, tenants) -> Conversations:
    return client_a.with_credentials({"x-api-key": tenants[1][1]})


def failure(call, rpc: str, request: dict) -> CallError:
    with pytest.raises(CallError) as caught:
        call(rpc, request)
    return caught.value


# MARK: Every RPC


def test_every_rpc_works_over_both_faces(client_a):
    c = client_a("CreateConversation", {"externalUserId": "+4915100000001", "title": "Parcel", "metadata": {"k": "v"}})
    assert c["status"] == "CONVERSATION_STATUS_OPEN" and c["channelType"] == "CHANNEL_TYPE_API", c
    cid = c["id"]
    assert client_a("GetConversation", {"conversationId": cid}) == c

    updated = client_a(
        "UpdateConversation", {"conversationId": cid, "conversation": {"title": "Parcel 17"}, "updateMask": "title"}
    )
    assert updated["title"] == "Parcel 17" and updated["metadata"] == {"k": "v"}, updated

    escalated = client_a(
        "EscalateConversation", {"conversationId": cid, "reason": "ESCALATION_REASON_REQUESTED_BY_USER", "note": "!"}
    )
    assert escalated["status"] == "CONVERSATION_STATUS_AWAITING_HUMAN" and escalated["escalated"] is True
    assigned = client_a("AssignConversation", {"conversationId": cid, "assigneeId": "ann@example.com"})
    assert assigned["status"] == "CONVERSATION_STATUS_ASSIGNED_TO_HUMAN" and assigned["assigneeId"] == "ann@example.com"
    unassigned = client_a("UnassignConversation", {"conversationId": cid})
    assert unassigned["status"] == "CONVERSATION_STATUS_AWAITING_HUMAN" and "assigneeId" not in unassigned

    reply = client_a(
        "PostAgentReply", {"conversationId": cid, "text": "On its way.\nAnn", "agentId": "ann", "idempotencyKey": "k1"}
    )
    assert reply["role"] == "MESSAGE_ROLE_AGENT" and reply["text"] == "On its way.\nAnn", reply
    again = client_a(
        "PostAgentReply", {"conversationId": cid, "text": "On its way.\nAnn", "agentId": "ann", "idempotencyKey": "k1"}
    )
    assert again == reply
    conflict = failure(
        client_a, "PostAgentReply", {"conversationId": cid, "text": "Other", "agentId": "ann", "idempotencyKey": "k1"}
    )
    assert conflict.status == "ALREADY_EXISTS" and conflict.http_status in (None, 409), conflict

    assert client_a("HandBackConversation", {"conversationId": cid})["status"] == "CONVERSATION_STATUS_OPEN"
    assert client_a("ResolveConversation", {"conversationId": cid})["status"] == "CONVERSATION_STATUS_RESOLVED"
    closed = client_a("CloseConversation", {"conversationId": cid, "actorId": "lead"})
    assert closed["status"] == "CONVERSATION_STATUS_CLOSED" and "closedAt" in closed
    assert client_a("ReopenConversation", {"conversationId": cid})["status"] == "CONVERSATION_STATUS_OPEN"

    messages = client_a("ListMessages", {"conversationId": cid, "pageSize": 10})
    assert [m["id"] for m in messages["messages"]] == [reply["id"]], messages
    assert int(messages["lastEventId"]) >= int(reply["eventId"])
    listed = client_a("ListConversations", {"status": ["CONVERSATION_STATUS_OPEN"], "query": "way", "pageSize": 5})
    assert cid in [item["id"] for item in listed["conversations"]], listed

    exported = client_a("ExportConversation", {"conversationId": cid})
    assert exported[0]["conversation"]["id"] == cid and [item["message"]["id"] for item in exported[1:]] == [reply["id"]]

    erased = client_a("DeleteConversation", {"conversationId": cid})
    assert erased["conversationId"] == cid and erased["deletedMessages"] == 1, erased
    assert failure(client_a, "GetConversation", {"conversationId": cid}).status == "NOT_FOUND"


# MARK: Illegal transitions


TRANSITIONS = {
    "EscalateConversation": {"reason": "ESCALATION_REASON_MANUAL"},
    "AssignConversation": {"assigneeId": "bob"},
    "UnassignConversation": {},
    "HandBackConversation": {},
    "ResolveConversation": {},
    "ReopenConversation": {},
    "CloseConversation": {},
    "PostAgentReply": {"text": "hi", "agentId": "bob"},
}
ALLOWED = {
    "EscalateConversation": {"OPEN"},
    "AssignConversation": {"OPEN", "AWAITING_HUMAN", "ASSIGNED_TO_HUMAN"},
    "UnassignConversation": {"ASSIGNED_TO_HUMAN"},
    "HandBackConversation": {"AWAITING_HUMAN", "ASSIGNED_TO_HUMAN"},
    "ResolveConversation": {"OPEN", "AWAITING_HUMAN", "ASSIGNED_TO_HUMAN"},
    "ReopenConversation": {"RESOLVED", "CLOSED"},
    "CloseConversation": {"OPEN", "AWAITING_HUMAN", "ASSIGNED_TO_HUMAN", "RESOLVED"},
    "PostAgentReply": {"OPEN", "AWAITING_HUMAN", "ASSIGNED_TO_HUMAN"},
}
TARGET = {
    "EscalateConversation": "AWAITING_HUMAN",
    "AssignConversation": "ASSIGNED_TO_HUMAN",
    "UnassignConversation": "AWAITING_HUMAN",
    "HandBackConversation": "OPEN",
    "ResolveConversation": "RESOLVED",
    "ReopenConversation": "OPEN",
    "CloseConversation": "CLOSED",
    "PostAgentReply": "ASSIGNED_TO_HUMAN",
}
# How to bring a new conversation into each status.
PATHS = {
    "OPEN": [],
    "AWAITING_HUMAN": [("EscalateConversation", {"reason": "ESCALATION_REASON_MANUAL"})],
    "ASSIGNED_TO_HUMAN": [("AssignConversation", {"assigneeId": "ann"})],
    "RESOLVED": [("ResolveConversation", {})],
    "CLOSED": [("CloseConversation", {})],
}


def conversation_in(client: Conversations, status: str) -> dict:
    c = client("CreateConversation", {"externalUserId": "transitions"})
    for rpc, request in PATHS[status]:
        c = client(rpc, {"conversationId": c["id"], **request})
    assert c["status"] == "CONVERSATION_STATUS_" + status, c
    return c


def test_every_illegal_transition_is_failed_precondition_naming_both_states(client_a):
    refused = 0
    for status in PATHS:
        c = conversation_in(client_a, status)
        before = client_a("GetConversation", {"conversationId": c["id"]})
        for rpc, request in TRANSITIONS.items():
            if status in ALLOWED[rpc]:
                continue
            error = failure(client_a, rpc, {"conversationId": c["id"], **request})
            assert error.status == "FAILED_PRECONDITION", (rpc, status, error)
            assert error.http_status in (None, 400), error
            assert f"it is {status}," in error.message and f"to {TARGET[rpc]}." in error.message, error.message
            refused += 1
        assert client_a("GetConversation", {"conversationId": c["id"]}) == before
    assert refused == 21


# MARK: Bad input


BAD_INPUT = [
    ("CreateConversation", {"externalUserId": ""}, "externalUserId"),
    ("CreateConversation", {"externalUserId": "u\u0000"}, "externalUserId"),
    ("CreateConversation", {"externalUserId": "u", "title": "t" * 201}, "title"),
    ("CreateConversation", {"externalUserId": "u", "metadata": {"bad key": "v"}}, "metadata"),
    ("CreateConversation", {"externalUserId": "u", "channelId": "not-a-uuid", "channelType": "CHANNEL_TYPE_WHATSAPP"}, "channelId"),
    ("GetConversation", {"conversationId": "not-a-uuid"}, "conversationId"),
    ("ListConversations", {"pageSize": -1}, "pageSize"),
    ("ListConversations", {"pageToken": "garbage"}, "pageToken"),
    ("ListConversations", {"query": "\u0007"}, "query"),
    ("UpdateConversation", {"conversation": {"title": "x" * 201}, "updateMask": "title"}, "title"),
    ("UpdateConversation", {"conversation": {"title": "x"}, "updateMask": "status"}, "updateMask"),
    ("EscalateConversation", {}, "reason"),
    ("EscalateConversation", {"reason": "ESCALATION_REASON_MANUAL", "note": "n" * 1001}, "note"),
    ("EscalateConversation", {"reason": "ESCALATION_REASON_LOW_CONFIDENCE", "confidence": 2}, "confidence"),
    ("AssignConversation", {"assigneeId": ""}, "assigneeId"),
    ("ResolveConversation", {"actorId": "a" * 257}, "actorId"),
    ("ListMessages", {"pageSize": -3}, "pageSize"),
    ("PostAgentReply", {"text": "", "agentId": "ann"}, "text"),
    ("PostAgentReply", {"text": "x" * 8001, "agentId": "ann"}, "text"),
    ("PostAgentReply", {"text": "hi", "agentId": ""}, "agentId"),
    ("PostAgentReply", {"text": "hi\u0000", "agentId": "ann"}, "text"),
    ("PostAgentReply", {"text": "", "agentId": "ann", "attachments": [{"kind": "ATTACHMENT_KIND_IMAGE", "mimeType": "png", "storageKey": "k"}]}, "attachments[0].mimeType"),
    ("PostAgentReply", {"text": "hi", "agentId": "ann", "idempotencyKey": "k" * 129}, "idempotencyKey"),
]


def test_bad_input_is_invalid_argument_naming_the_field_and_changes_nothing(client_a):
    c = client_a("CreateConversation", {"externalUserId": "validation", "title": "keep"})
    client_a("PostAgentReply", {"conversationId": c["id"], "text": "first", "agentId": "ann"})
    before = client_a("GetConversation", {"conversationId": c["id"]})
    messages = client_a("ListMessages", {"conversationId": c["id"]})["messages"]
    for rpc, request, field in BAD_INPUT:
        if rpc not in ("CreateConversation", "ListConversations") and "conversationId" not in request:
            request = {"conversationId": c["id"], **request}
        error = failure(client_a, rpc, request)
        assert error.status == "INVALID_ARGUMENT", (rpc, request, error)
        assert error.http_status in (None, 400), error
        assert error.message.startswith(field + " "), (rpc, field, error.message)
    assert client_a("GetConversation", {"conversationId": c["id"]}) == before
    assert client_a("ListMessages", {"conversationId": c["id"]})["messages"] == messages


# MARK: Tenants and operators


ID_BEARING = {
    "GetConversation": {},
    "UpdateConversation": {"conversation": {"title": "mine"}, "updateMask": "title"},
    "DeleteConversation": {},
    "ExportConversation": {},
    "ListMessages": {},
    **TRANSITIONS,
}


def test_another_tenants_ids_are_not_found_on_every_id_bearing_rpc(client_a, client_b):
    c = client_a("CreateConversation", {"externalUserId": "private"})
    client_a("PostAgentReply", {"conversationId": c["id"], "text": "hello", "agentId": "ann"})
    before = client_a("GetConversation", {"conversationId": c["id"]})
    for rpc, request in ID_BEARING.items():
        for target in (c["id"], str(uuid.uuid4())):
            error = failure(client_b, rpc, {"conversationId": target, **request})
            assert error.status == "NOT_FOUND" and error.http_status in (None, 404), (rpc, error)
            assert error.message == f"Conversation {target} was not found.", error.message
    assert client_a("GetConversation", {"conversationId": c["id"]}) == before
    assert c["id"] not in [item["id"] for item in client_b("ListConversations", {}).get("conversations", [])]


def test_admin_keys_reach_a_tenant_named_in_x_tenant_id(client_a, server, admin, tenants):
    tenant_a = tenants[0][0]
    as_super = client_a.with_credentials({"x-admin-key": admin, "x-tenant-id": tenant_a})
    c = as_super("CreateConversation", {"externalUserId": "from-operator"})
    assert c["tenantId"] == tenant_a
    assert client_a("GetConversation", {"conversationId": c["id"]})["id"] == c["id"]
    missing = failure(client_a.with_credentials({"x-admin-key": admin}), "GetConversation", {"conversationId": c["id"]})
    assert missing.status == "INVALID_ARGUMENT" and missing.message.startswith("x-tenant-id is required"), missing

    headers = {"x-admin-key": admin}
    email = f"standard-{uuid.uuid4().hex[:8]}@example.com"
    standard = ok(rest(server, "POST", "/api/security/admin/users", headers, {"email": email, "role": "ADMIN_ROLE_STANDARD"}))
    key = ok(rest(server, "POST", f"/api/security/admin/users/{standard['id']}/api-keys", headers, {"label": "ops"}))
    as_standard = client_a.with_credentials({"x-admin-key": key["apiKey"], "x-tenant-id": tenant_a})
    denied = failure(as_standard, "GetConversation", {"conversationId": c["id"]})
    assert denied.status == "PERMISSION_DENIED" and denied.http_status in (None, 403), denied

    granted = ok(rest(server, "PUT", f"/api/security/admin/users/{standard['id']}/tenants/{tenant_a}", headers))
    assert granted["grantedTenantIds"] == [tenant_a], granted
    assert as_standard("GetConversation", {"conversationId": c["id"]})["id"] == c["id"]
    revoked = ok(rest(server, "DELETE", f"/api/security/admin/users/{standard['id']}/tenants/{tenant_a}", headers))
    assert "grantedTenantIds" not in revoked, revoked
    assert failure(as_standard, "GetConversation", {"conversationId": c["id"]}).status == "PERMISSION_DENIED"
