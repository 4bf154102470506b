"""ChatService.ChannelSession end to end with grpcio: a channel gateway opens a bidi session for a
WhatsApp channel, forwards end-user messages (acknowledged once stored, answered by the offline
`local` model, the answers pushed back to it), reports delivery, and keeps the session alive;
while it holds the channel the Graph API gets nothing. A second session for the channel replaces
the first (ABORTED); a first envelope other than hello, an unknown channel, and bad envelopes are
refused with the status and field they deserve."""

from __future__ import annotations

import queue
import threading
import uuid
from typing import Iterator

import grpc
import pytest
from google.protobuf import json_format

from fake_graph import FakeGraph, running_graph
from metachat_process import MetaChat, open_channel, require_services, running_metachat, seed_admin
from test_channels import new_tenant, phone, sends_to, whatsapp_channel
from test_knowledge_base import ok, rest

WAIT_S = 30.0


@pytest.fixture(scope="module")
def graph():
    with running_graph() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory, graph: FakeGraph) -> MetaChat:
    require_services()
    environment = dict(RATE_LIMIT_MAX_REQUESTS="1000000", META_GRAPH_BASE_URL=graph.base_url,
                       META_GRAPH_API_VERSION="v21.0", OPENAI_API_KEY="")
    with running_metachat(tmp_path_factory.mktemp("channel-session"), **environment) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("channel-session@example.com", f"session-{uuid.uuid4().hex[:12]}")["apiKey"]


class Session:
    """One ChannelSession call: envelopes go in through a queue, come out through another."""

    def __init__(self, server: MetaChat, api, key: dict[str, str]):
        self.api = api
        self.channel = open_channel(server)
        self.outgoing: queue.Queue = queue.Queue()
        self.incoming: queue.Queue = queue.Queue()
        stub = api.chat_pb2_grpc.ChatServiceStub(self.channel)
        self.call = stub.ChannelSession(self._requests(), metadata=tuple(key.items()), timeout=120)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _requests(self):
        while (envelope := self.outgoing.get()) is not None:
            yield envelope

    def _read(self):
        try:
            for envelope in self.call:
                self.incoming.put(json_format.MessageToDict(envelope))
        except grpc.RpcError as error:
            self.incoming.put(error)
        else:
            self.incoming.put(None)

    def send(self, envelope: dict) -> None:
        self.outgoing.put(json_format.ParseDict(envelope, self.api.chat_pb2.ChannelInbound()))

    def receive(self, timeout: float = WAIT_S):
        """The next envelope (a dict), the call's error, or None when it ended cleanly."""
        return self.incoming.get(timeout=timeout)

    def receive_kind(self, kind: str) -> dict:
        """The next envelope of `kind`, skipping heartbeats."""
        while True:
            envelope = self.receive()
            assert isinstance(envelope, dict), f"wanted {kind}, got {envelope!r}"
            if kind in envelope:
                return envelope
            assert "heartbeat" in envelope, f"wanted {kind}, got {envelope}"

    def close(self) -> None:
        self.outgoing.put(None)
        self.reader.join(timeout=WAIT_S)
        self.channel.close()


def open_session(server: MetaChat, api, key: dict[str, str], channel_id: str) -> tuple[Session, dict]:
    session = Session(server, api, key)
    session.send({"envelopeId": "hello-1", "hello": {"channelId": channel_id, "gatewayName": "test-gateway/1.0"}})
    return session, session.receive_kind("welcome")["welcome"]


def messages_of(server: MetaChat, key: dict[str, str], conversation_id: str) -> list[dict]:
    return ok(rest(server, "GET", f"/api/conversations/{conversation_id}/messages?pageSize=100", key)).get("messages", [])


def test_a_gateway_session_files_messages_gets_answers_and_reports_delivery(server, admin, graph: FakeGraph, metachat_api):
    _, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    session, welcome = open_session(server, metachat_api, key, channel["id"])
    try:
        assert welcome["channelId"] == channel["id"]
        assert welcome["channelType"] == "CHANNEL_TYPE_WHATSAPP"
        assert welcome["heartbeatInterval"] == "30s"
        assert uuid.UUID(welcome["sessionId"])

        session.send({"envelopeId": "m-1", "message": {"externalUserId": "385911234567", "externalMessageId": "wamid.A1",
                                                       "text": "Hello there, when do you open?",
                                                       "userDisplayName": "Ana"}})
        ack = session.receive_kind("ack")["ack"]
        assert ack["envelopeId"] == "m-1" and not ack.get("duplicate", False)
        conversation = ack["conversationId"]
        outbound = session.receive_kind("message")["message"]
        assert outbound["conversationId"] == conversation
        assert outbound["externalUserId"] == "385911234567"
        assert outbound["message"]["role"] == "MESSAGE_ROLE_ASSISTANT" and outbound["message"]["text"]
        stored = messages_of(server, key, conversation)
        assert [m["role"] for m in stored] == ["MESSAGE_ROLE_USER", "MESSAGE_ROLE_ASSISTANT"]
        assert stored[0]["id"] == ack["messageId"] and stored[0]["text"] == "Hello there, when do you open?"

        # The same platform message again: acknowledged as a duplicate, nothing new stored or pushed.
        session.send({"envelopeId": "m-2", "message": {"externalUserId": "385911234567", "externalMessageId": "wamid.A1",
                                                       "text": "Hello there, when do you open?"}})
        again = session.receive_kind("ack")["ack"]
        assert again["envelopeId"] == "m-2" and again["duplicate"] is True
        assert again["conversationId"] == conversation and again["messageId"] == ack["messageId"]

        # A receipt sets the delivery status; a heartbeat is answered.
        session.send({"envelopeId": "r-1", "receipt": {"messageId": outbound["message"]["id"],
                                                       "externalMessageId": "wamid.OUT1",
                                                       "status": "MESSAGE_DELIVERY_STATUS_DELIVERED"}})
        session.send({"envelopeId": "h-1", "heartbeat": {}})
        assert "heartbeat" in session.receive()

        def delivered():
            answer = [m for m in messages_of(server, key, conversation) if m["id"] == outbound["message"]["id"]][0]
            return answer.get("deliveryStatus") == "MESSAGE_DELIVERY_STATUS_DELIVERED" and answer

        answer = wait_for(delivered, "the receipt applied")
        assert answer["externalMessageId"] == "wamid.OUT1"

        # An agent's reply in the conversation goes to the gateway too.
        reply = ok(rest(server, "POST", f"/api/conversations/{conversation}/replies", key,
                        {"text": "An agent here: we open at nine.", "agentId": "agent-7"}))
        pushed = session.receive_kind("message")["message"]
        assert pushed["message"]["id"] == reply["id"] and pushed["message"]["role"] == "MESSAGE_ROLE_AGENT"

        # Bad envelopes get an error naming the field; the session goes on.
        session.send({"envelopeId": "bad-1", "message": {"externalUserId": "385911234567", "externalMessageId": "wamid.A2",
                                                         "text": ""}})
        error = session.receive_kind("error")["error"]
        assert error["envelopeId"] == "bad-1" and error["status"] == "INVALID_ARGUMENT" and "message.text" in error["message"]
        session.send({"envelopeId": "bad-2", "receipt": {"messageId": str(uuid.uuid4()),
                                                         "status": "MESSAGE_DELIVERY_STATUS_READ"}})
        error = session.receive_kind("error")["error"]
        assert error["envelopeId"] == "bad-2" and error["status"] == "NOT_FOUND"
        session.send({"envelopeId": "bad-3", "receipt": {"messageId": outbound["message"]["id"],
                                                         "status": "MESSAGE_DELIVERY_STATUS_QUEUED"}})
        error = session.receive_kind("error")["error"]
        assert error["status"] == "INVALID_ARGUMENT" and "receipt.status" in error["message"]
        session.send({"envelopeId": "x" * 129, "heartbeat": {}})
        error = session.receive_kind("error")["error"]
        assert "envelopeId" in error["message"]
        session.send({"envelopeId": "h-2", "heartbeat": {}})
        assert "heartbeat" in session.receive()
    finally:
        session.close()
    # The gateway held the channel: the Graph API was never asked to send.
    assert sends_to(graph, phone(channel)) == []


def test_a_newer_session_replaces_the_older_one(server, admin, metachat_api):
    _, key = new_tenant(server, admin)
    channel = whatsapp_channel(server, key)
    first, _ = open_session(server, metachat_api, key, channel["id"])
    second, _ = open_session(server, metachat_api, key, channel["id"])
    try:
        while True:
            ended = first.receive()
            if not isinstance(ended, dict):
                break
            assert "heartbeat" in ended or "message" in ended
        assert isinstance(ended, grpc.RpcError) and ended.code() == grpc.StatusCode.ABORTED
        assert "newer session" in ended.details()
        second.send({"envelopeId": "h", "heartbeat": {}})
        assert "heartbeat" in second.receive()
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("first, code, words", [
    ({"envelopeId": "1", "heartbeat": {}}, grpc.StatusCode.INVALID_ARGUMENT, "hello"),
    ({"envelopeId": "1", "hello": {"channelId": "not-a-uuid"}}, grpc.StatusCode.INVALID_ARGUMENT, "hello.channelId"),
    ({"envelopeId": "1", "hello": {"channelId": "00000000-0000-0000-0000-000000000001"}}, grpc.StatusCode.NOT_FOUND,
     "not found"),
    ({"envelopeId": "1", "hello": {"channelId": "00000000-0000-0000-0000-000000000001", "gatewayName": "g" * 101}},
     grpc.StatusCode.INVALID_ARGUMENT, "hello.gatewayName"),
])
def test_a_session_must_open_with_a_good_hello(server, admin, metachat_api, first, code, words):
    _, key = new_tenant(server, admin)
    session = Session(server, metachat_api, key)
    try:
        session.send(first)
        ended = session.receive()
        assert isinstance(ended, grpc.RpcError), ended
        assert ended.code() == code and words in ended.details()
    finally:
        session.close()


def test_another_tenants_channel_is_not_found(server, admin, metachat_api):
    _, owner = new_tenant(server, admin)
    channel = whatsapp_channel(server, owner)
    _, stranger = new_tenant(server, admin)
    session = Session(server, metachat_api, stranger)
    try:
        session.send({"envelopeId": "1", "hello": {"channelId": channel["id"]}})
        ended = session.receive()
        assert isinstance(ended, grpc.RpcError) and ended.code() == grpc.StatusCode.NOT_FOUND
    finally:
        session.close()


def wait_for(condition, what: str, timeout_s: float = WAIT_S):
    import time
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)  # paces the polling of the server's stored state
    raise AssertionError(f"timed out waiting for {what}")
