"""The chat orchestrator across two `metachat serve` processes sharing PostgreSQL and Redis: a
message sent to node A (StreamReply over REST) streams its answer to the caller and, as
reply_delta events, to a watcher of the conversation on node B — citations first, every piece in
order, then the final piece and the stored answer — and nothing of the confidence marker reaches
either. StreamReply answers the same pieces over gRPC (grpcio) and gRPC-Web (length-prefixed
frames, trailers in the body) as over REST, and refuses bad input there with the same status.
Also: with no API key anywhere the offline `local` provider answers `POST /api/chat`."""

from __future__ import annotations

import http.client
import json
import struct
import urllib.parse
import uuid
from typing import Iterator

import grpc
import pytest
from google.protobuf import json_format

from conversation_client import Conversations
from conversation_watch import Watch
from fake_openai import FakeOpenAI
from metachat_process import MetaChat, open_channel, require_services, running_metachat, seed_admin
from test_conversation_events import new_tenant
from test_conversations import ok, rest

WAIT_S = 30.0
ANSWER = ("Our shop opens at nine in the morning on weekdays and at ten on Saturdays, "
          "and it stays closed on Sundays and public holidays. [confidence: high]")


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(lambda question: ANSWER)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory) -> Iterator[tuple[MetaChat, MetaChat]]:
    require_services()
    environment = {"RATE_LIMIT_MAX_REQUESTS": "1000000", "SSE_HEARTBEAT_SECONDS": "1",
                   "OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8", "OPENAI_API_KEY": ""}
    with running_metachat(tmp_path_factory.mktemp("chat-node-a"), **environment) as a:
        with running_metachat(tmp_path_factory.mktemp("chat-node-b"), **environment) as b:
            yield a, b


@pytest.fixture(scope="module")
def admin(nodes) -> str:
    return seed_admin("chat-nodes@example.com", f"chat-{uuid.uuid4().hex[:12]}")["apiKey"]


def stream_reply(server: MetaChat, credentials: dict[str, str], body: dict) -> list[dict]:
    """StreamReply over REST as newline-delimited JSON: every delta, in order."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_S)
    try:
        connection.request("POST", "/api/chat/messages/stream", body=json.dumps(body),
                           headers={"content-type": "application/json", **credentials})
        response = connection.getresponse()
        assert response.status == 200, (response.status, response.read()[:500])
        deltas = []
        for line in response:
            if line.strip():
                deltas.append(json.loads(line))
        return deltas
    finally:
        connection.close()


def test_a_message_on_node_a_streams_to_a_watcher_on_node_b_in_order(nodes, admin, model, metachat_api):
    node_a, node_b = nodes
    tenant, credentials = new_tenant(node_a, admin)
    settings = {"settings": {"llm": {"provider": "LLM_PROVIDER_OPENAI_COMPATIBLE", "baseUrl": model.base_url}}}
    ok(rest(node_a, "PATCH", f"/api/tenants/{tenant}", {"x-admin-key": admin}, settings))
    conversation = Conversations("rest", node_a, metachat_api, None, credentials)(
        "CreateConversation", {"externalUserId": "visitor-1"})

    kinds = ["CONVERSATION_EVENT_KIND_REPLY_DELTA", "CONVERSATION_EVENT_KIND_MESSAGE_CREATED",
             "CONVERSATION_EVENT_KIND_CONVERSATION_UPDATED"]
    with Watch("sse", node_b, metachat_api, credentials, conversation_id=conversation["id"], kinds=kinds,
               after="0") as watch:
        # A change made now and seen by the watcher proves it follows live events: reply pieces are
        # never stored, so it must be listening before the answer starts.
        Conversations("rest", node_a, metachat_api, None, credentials)(
            "UpdateConversation", {"conversationId": conversation["id"], "conversation": {"title": "opening hours"}})
        while "conversationUpdated" not in watch.next_durable(timeout=WAIT_S):
            pass
        deltas = stream_reply(node_a, credentials, {"conversationId": conversation["id"], "text": "When do you open?"})

        assert deltas[0]["userMessage"]["text"] == "When do you open?"
        assert "textDelta" not in deltas[0], "the first delta carries no text"
        assert deltas[-1]["isFinal"] is True
        assert [d.get("sequence", 0) for d in deltas] == list(range(len(deltas)))
        text = "".join(d.get("textDelta", "") for d in deltas)
        stored = deltas[-1]["message"]
        assert text == stored["text"]
        assert "confidence" not in text.lower()
        assert stored["model"] == "fake-gpt"
        assert stored["usage"]["promptTokens"] == 20
        assert len(deltas) > 10, "the answer streamed in pieces"

        # Node B's watcher: the user message, then the pieces in order, then the stored answer.
        pieces: list[dict] = []
        answer = None
        while answer is None:
            event = watch.next(timeout=WAIT_S)
            if "replyDelta" in event:
                pieces.append(event["replyDelta"])
            elif "messageCreated" in event and event["messageCreated"]["message"]["role"] == "MESSAGE_ROLE_ASSISTANT":
                answer = event["messageCreated"]["message"]
        assert [p.get("sequence", 0) for p in pieces] == list(range(len(pieces)))
        assert "textDelta" not in pieces[0]
        assert pieces[-1].get("isFinal") is True and "errorMessage" not in pieces[-1]
        assert all(p["messageId"] == stored["id"] for p in pieces)
        assert "".join(p.get("textDelta", "") for p in pieces) == text
        assert answer["id"] == stored["id"] and answer["text"] == text


def test_the_offline_local_provider_answers_the_original_chat_endpoint(nodes, admin):
    node_a, _ = nodes
    _, credentials = new_tenant(node_a, admin)
    reply = ok(rest(node_a, "POST", "/api/chat", credentials, {"message": "Hello, is anyone there?"}))
    assert reply["conversationId"] and reply["messageId"]
    assert reply["response"] == "I don't have information about that in the knowledge base."
    again = ok(rest(node_a, "POST", "/api/chat", credentials,
                    {"message": "And now?", "conversationId": reply["conversationId"]}))
    assert again["conversationId"] == reply["conversationId"]
    bad = rest(node_a, "POST", "/api/chat", credentials, {"message": ""})
    assert bad.status == 400 and "message" in bad.json()["error"]["message"]


def stream_reply_grpc(server: MetaChat, api, credentials: dict[str, str], body: dict) -> list[dict]:
    """StreamReply over gRPC with grpcio: every delta, in order, as protobuf JSON."""
    channel = open_channel(server)
    try:
        stub = api.chat_pb2_grpc.ChatServiceStub(channel)
        request = json_format.ParseDict(body, api.chat_pb2.SendMessageRequest())
        call = stub.StreamReply(request, metadata=tuple(credentials.items()), timeout=WAIT_S)
        return [json_format.MessageToDict(delta) for delta in call]
    finally:
        channel.close()


def stream_reply_grpc_web(server: MetaChat, api, credentials: dict[str, str], body: dict) -> tuple[list[dict], dict]:
    """StreamReply over gRPC-Web (binary): the deltas and the trailers frame's fields."""
    payload = json_format.ParseDict(body, api.chat_pb2.SendMessageRequest()).SerializeToString()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_S)
    try:
        connection.request("POST", "/metachat.v1.ChatService/StreamReply",
                           body=struct.pack(">BI", 0, len(payload)) + payload,
                           headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1", **credentials})
        response = connection.getresponse()
        assert response.status == 200, response.status
        if response.getheader("grpc-status") is not None:  # trailers-only
            return [], {"grpc-status": response.getheader("grpc-status"),
                        "grpc-message": urllib.parse.unquote(response.getheader("grpc-message", ""))}
        deltas = []
        while header := response.read(5):
            flag, length = struct.unpack(">BI", header)
            frame = response.read(length)
            if flag & 0x80:
                trailers = {}
                for line in frame.decode().split("\r\n"):
                    if ":" in line:
                        name, value = line.split(":", 1)
                        trailers[name.strip().lower()] = urllib.parse.unquote(value.strip())
                return deltas, trailers
            deltas.append(json_format.MessageToDict(api.chat_pb2.ChatReplyDelta.FromString(frame)))
        raise AssertionError("the gRPC-Web stream ended without a trailers frame")
    finally:
        connection.close()


def assert_streamed_answer(deltas: list[dict], question: str) -> str:
    """The shape every face must give: the user message first without text, gap-free sequences,
    a final piece carrying the stored answer, whose text is the pieces joined, marker removed."""
    assert deltas[0]["userMessage"]["text"] == question
    assert "textDelta" not in deltas[0]
    assert [d.get("sequence", 0) for d in deltas] == list(range(len(deltas)))
    assert deltas[-1]["isFinal"] is True
    text = "".join(d.get("textDelta", "") for d in deltas)
    assert text == deltas[-1]["message"]["text"]
    assert "confidence" not in text.lower()
    assert len(deltas) > 10, "the answer streamed in pieces"
    return text


def test_stream_reply_gives_the_same_pieces_over_grpc_grpc_web_and_rest(nodes, admin, model, metachat_api):
    node_a, node_b = nodes
    tenant, credentials = new_tenant(node_a, admin)
    settings = {"settings": {"llm": {"provider": "LLM_PROVIDER_OPENAI_COMPATIBLE", "baseUrl": model.base_url}}}
    ok(rest(node_a, "PATCH", f"/api/tenants/{tenant}", {"x-admin-key": admin}, settings))
    question = "When do you open?"

    def body(face: str) -> dict:
        return {"text": question, "externalUserId": f"visitor-{face}"}

    over_rest = assert_streamed_answer(stream_reply(node_a, credentials, body("rest")), question)
    over_grpc = stream_reply_grpc(node_b, metachat_api, credentials, body("grpc"))
    assert assert_streamed_answer(over_grpc, question) == over_rest
    over_web, trailers = stream_reply_grpc_web(node_a, metachat_api, credentials, body("grpc-web"))
    assert trailers.get("grpc-status") == "0", trailers
    assert assert_streamed_answer(over_web, question) == over_rest
    # Each call made its own conversation; the answers are stored where the final pieces say.
    conversations = {d[-1]["conversationId"] for d in (over_grpc, over_web)}
    assert len(conversations) == 2


def test_stream_reply_refuses_bad_input_with_the_same_status_on_every_face(nodes, admin, metachat_api):
    node_a, _ = nodes
    _, credentials = new_tenant(node_a, admin)
    body = {"text": "", "externalUserId": "visitor-1"}
    with pytest.raises(grpc.RpcError) as refused:
        stream_reply_grpc(node_a, metachat_api, credentials, body)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "text" in refused.value.details()
    deltas, trailers = stream_reply_grpc_web(node_a, metachat_api, credentials, body)
    assert deltas == [] and trailers["grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0])
    assert "text" in trailers["grpc-message"]
    connection = http.client.HTTPConnection("127.0.0.1", node_a.port, timeout=WAIT_S)
    try:
        connection.request("POST", "/api/chat/messages/stream", body=json.dumps(body),
                           headers={"content-type": "application/json", **credentials})
        response = connection.getresponse()
        assert response.status == 400
        assert "text" in json.loads(response.read())["error"]["message"]
    finally:
        connection.close()
    # A wrong key is UNAUTHENTICATED on every face, before anything is stored.
    with pytest.raises(grpc.RpcError) as unauthenticated:
        stream_reply_grpc(node_a, metachat_api, {"x-api-key": "mc_wrong"}, {"text": "hi", "externalUserId": "v"})
    assert unauthenticated.value.code() == grpc.StatusCode.UNAUTHENTICATED
