"""The web chat widget end to end over real sockets (docs/widget.md): the public config endpoint
issuing signed visitor tokens, the origin check (403 on the config endpoint and the handshake),
forged / expired / other-widget tokens refused with `invalid_token` and close 4401, a message
acknowledged, streamed and stored, a resend with the same client id making one message and one
answer, a reconnect with `after` getting exactly the missed frames (also in the middle of a slow
answer), rate limits, and bad frames. A real `metachat serve` with the offline `local` model
(and a slow local OpenAI-compatible server for the mid-answer reconnect)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import time
import uuid
from typing import Iterator

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

import restclient
from fake_openai import FakeOpenAI
from metachat_process import MetaChat, require_services, running_metachat, seed_admin
from test_channels import psql
from test_knowledge_base import ok, rest

SITE = "https://shop.example"
WAIT_S = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    require_services()
    environment = dict(RATE_LIMIT_MAX_REQUESTS="1000000", OUTBOUND_ALLOW_CIDRS="127.0.0.0/8")
    with running_metachat(tmp_path_factory.mktemp("widget"), **environment) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("widget@example.com", f"widget-{uuid.uuid4().hex[:12]}")["apiKey"]


def new_widget(server: MetaChat, admin: str, origins: list[str] | None = None) -> tuple[str, dict[str, str], str]:
    """A tenant with a web chat channel; answers (tenant id, tenant key headers, widget id)."""
    headers = {"x-admin-key": admin}
    tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"Widget {uuid.uuid4().hex[:8]}"}))
    key = ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", headers, {"label": "widget"}))
    credentials = {"x-api-key": key["apiKey"]}
    channel = ok(rest(server, "POST", "/api/channels", credentials, {
        "name": "Site chat", "webChat": {"allowedOrigins": origins if origins is not None else [SITE],
                                         "greeting": "Hi! Ask us anything."}}))
    return tenant["id"], credentials, channel["webChat"]["widgetId"]


def fake_address() -> str:
    """A client address of its own (the server trusts X-Forwarded-For from loopback), so tests do
    not share the per-address limits."""
    return f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def config(server: MetaChat, widget: str, origin: str | None = SITE, token: str | None = None,
           address: str | None = None) -> restclient.Reply:
    path = f"/api/public/widget/config?widgetId={widget}"
    if token is not None:
        path += f"&visitorToken={token}"
    headers = {"x-forwarded-for": address or fake_address()}
    if origin is not None:
        headers["origin"] = origin
    return restclient.request(server.port, "GET", path, headers=headers, timeout=WAIT_S)


def open_socket(server: MetaChat, widget: str, origin: str = SITE, address: str | None = None) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{server.port}/api/widget/{widget}/ws", origin=origin,
                   additional_headers={"x-forwarded-for": address or fake_address()}, open_timeout=WAIT_S)


def frame(socket: ClientConnection, timeout_s: float = WAIT_S) -> dict:
    return json.loads(socket.recv(timeout=timeout_s))


def frames_until(socket: ClientConnection, done, timeout_s: float = WAIT_S) -> list[dict]:
    """Frames up to and including the first one `done` accepts."""
    received: list[dict] = []
    deadline = time.monotonic() + timeout_s
    while True:
        received.append(frame(socket, max(0.1, deadline - time.monotonic())))
        if done(received[-1]):
            return received


def hello(socket: ClientConnection, widget: str, token: str, after: int | None = None) -> dict:
    message = {"type": "hello", "widgetId": widget, "token": token}
    if after is not None:
        message["after"] = after
    socket.send(json.dumps(message))
    return frame(socket)


def is_answer(item: dict) -> bool:
    return item["type"] == "message" and item["role"] == "assistant"


def messages_of(server: MetaChat, credentials: dict[str, str], conversation: str) -> list[dict]:
    return ok(rest(server, "GET", f"/api/conversations/{conversation}/messages", credentials)).get("messages", [])


def python_token(payload: str) -> str:
    """A token signed as docs/widget.md describes, by this independent implementation."""
    pepper = bytes.fromhex(os.environ["API_KEY_PEPPER"])
    key = hmac.new(pepper, b"metachat web chat visitor token v1", hashlib.sha256).digest()
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    signed = "v1." + encode(payload.encode())
    return signed + "." + encode(hmac.new(key, signed.encode(), hashlib.sha256).digest())


# MARK: Config endpoint


def test_config_issues_a_token_and_refreshes_a_valid_one(server, admin):
    tenant, _, widget = new_widget(server, admin)
    first = config(server, widget)
    assert first.status == 200, first.body
    assert first.header("access-control-allow-origin") == SITE
    assert first.header("cache-control") == "no-store"
    body = first.json()
    assert body["greeting"] == "Hi! Ask us anything." and body["socketPath"] == f"/api/widget/{widget}/ws"
    again = config(server, widget, token=body["visitorToken"]).json()
    assert again["visitorId"] == body["visitorId"]
    # A token that is not the server's gives a new visitor, not the presented one.
    forged = config(server, widget, token=body["visitorToken"][:-4] + "AAAA").json()
    assert forged["visitorId"] != body["visitorId"]
    # A token this independent implementation signs as documented is the server's.
    visitor = str(uuid.uuid4())
    mine = python_token(f"{tenant}|{widget}|{visitor}|{int(time.time()) + 600}")
    assert config(server, widget, token=mine).json()["visitorId"] == visitor


def test_config_refuses_other_origins_unknown_widgets_and_missing_ids(server, admin):
    _, _, widget = new_widget(server, admin)
    refused = config(server, widget, origin="https://evil.example")
    assert refused.status == 403 and "origin" in refused.error()["message"]
    assert refused.header("access-control-allow-origin") is None
    assert config(server, "wdg_nosuchwidget").status == 404
    missing = restclient.request(server.port, "GET", "/api/public/widget/config", timeout=WAIT_S)
    assert missing.status == 400 and "widgetId" in missing.error()["message"]
    # Without Origin (not a browser) the endpoint answers.
    assert config(server, widget, origin=None).status == 200


def test_widget_script_and_demo_page_are_served(server, admin):
    script = restclient.request(server.port, "GET", "/widget.js", timeout=WAIT_S)
    assert script.status == 200 and script.header("content-type").startswith("text/javascript")
    assert "max-age" in script.header("cache-control") and b"/api/public/widget/config" in script.body
    page = restclient.request(server.port, "GET", '/widget/demo?widgetId=%22%3E%3Cscript%3E', timeout=WAIT_S)
    assert page.status == 200 and b"<script>" not in page.body.replace(b'<script src="/widget.js"', b"")
    assert b"&quot;&gt;&lt;script&gt;" in page.body


# MARK: Handshake and hello


def test_handshake_from_another_origin_is_refused_with_403(server, admin):
    _, _, widget = new_widget(server, admin)
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, widget, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as unknown:
        open_socket(server, "wdg_nosuchwidget")
    assert unknown.value.response.status_code == 404


@pytest.mark.parametrize("case", ["garbage", "mac", "other-widget", "expired", "other-tenant"])
def test_forged_expired_and_foreign_tokens_are_refused(server, admin, case):
    tenant, _, widget = new_widget(server, admin)
    _, _, other_widget = new_widget(server, admin)
    valid = config(server, widget).json()["visitorToken"]
    token = {
        "garbage": "v1.nothing.here",
        "mac": valid[:-6] + ("AAAAAA" if not valid.endswith("AAAAAA") else "BBBBBB"),
        "other-widget": config(server, other_widget).json()["visitorToken"],
        "expired": python_token(f"{tenant}|{widget}|{uuid.uuid4()}|{int(time.time()) - 1}"),
        "other-tenant": python_token(f"{uuid.uuid4()}|{widget}|{uuid.uuid4()}|{int(time.time()) + 600}"),
    }[case]
    with open_socket(server, widget) as socket:
        refused = hello(socket, widget, token)
        assert refused == {"type": "error", "code": "invalid_token",
                           "message": "token is not a valid visitor token for this widget"}
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=WAIT_S)
        assert closed.value.rcvd.code == 4401


def test_bad_frames_get_errors_naming_the_field(server, admin):
    _, _, widget = new_widget(server, admin)
    token = config(server, widget).json()["visitorToken"]
    with open_socket(server, widget) as socket:
        socket.send(json.dumps({"type": "message", "clientId": "c1", "text": "hi"}))
        first = frame(socket)
        assert first["code"] == "hello_required"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=WAIT_S)
        assert closed.value.rcvd.code == 4400
    with open_socket(server, widget) as socket:
        assert hello(socket, widget, token)["type"] == "ready"
        for sent, field in [
            ("not json", "frame"),
            (json.dumps({"type": "message", "clientId": "c/1", "text": "hi"}), "clientId"),
            (json.dumps({"type": "message", "clientId": "c1", "text": "x" * 4001}), "text"),
            (json.dumps({"type": "message", "clientId": "c1", "text": "   "}), "text"),
            (json.dumps({"type": "shout"}), "type"),
        ]:
            socket.send(sent)
            refused = frame(socket)
            assert refused["type"] == "error" and refused["code"] == "invalid_frame", refused
            assert refused["message"].startswith(field + " "), refused
        socket.send(b"\x00binary")
        assert frame(socket)["code"] == "invalid_frame"
        # The session is still open and serves a good frame.
        socket.send(json.dumps({"type": "hello", "widgetId": widget, "token": token}))
        assert frame(socket)["code"] == "hello_required"


def test_a_hello_for_another_widget_on_this_path_is_refused(server, admin):
    _, _, widget = new_widget(server, admin)
    _, _, other = new_widget(server, admin)
    token = config(server, other).json()["visitorToken"]
    with open_socket(server, widget) as socket:
        assert hello(socket, other, token)["code"] == "invalid_frame"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=WAIT_S)
        assert closed.value.rcvd.code == 4400


# MARK: Messages


def test_a_message_is_acknowledged_streamed_and_stored_and_a_resend_makes_nothing_new(server, admin):
    _, credentials, widget = new_widget(server, admin)
    token = config(server, widget).json()["visitorToken"]
    with open_socket(server, widget) as socket:
        ready = hello(socket, widget, token)
        assert ready["type"] == "ready" and ready["conversationId"] == "" and ready["greeting"] == "Hi! Ask us anything."
        socket.send(json.dumps({"type": "message", "clientId": "c-first", "text": "When do you open?"}))
        received = frames_until(socket, is_answer)
    kinds = [item["type"] for item in received]
    assert kinds[0] == "ack" and received[0]["clientId"] == "c-first"
    mine = next(item for item in received if item["type"] == "message" and item["role"] == "user")
    assert mine["clientId"] == "c-first" and mine["text"] == "When do you open?"
    deltas = [item for item in received if item["type"] == "delta"]
    answer = received[-1]
    assert deltas and all(item["messageId"] == answer["id"] for item in deltas)
    assert "".join(item["text"] for item in deltas if not item.get("failed")).strip() != ""
    assert kinds.index("delta") < len(kinds) - 1 and answer["eventId"] > mine["eventId"]

    # A resend after a reconnect (the widget did not see the answer) is one message, one answer.
    with open_socket(server, widget) as socket:
        ready = hello(socket, widget, token, after=answer["eventId"])
        conversation = ready["conversationId"]
        socket.send(json.dumps({"type": "message", "clientId": "c-first", "text": "When do you open?"}))
        assert frame(socket) == {"type": "ack", "clientId": "c-first"}
        # Nothing new follows: a marker message proves the stream went on and held nothing else.
        socket.send(json.dumps({"type": "message", "clientId": "c-marker", "text": "Thanks"}))
        after_resend = frames_until(socket, is_answer)
    stored_user = [item for item in after_resend if item["type"] == "message" and item["role"] == "user"]
    assert [item["clientId"] for item in stored_user] == ["c-marker"]
    texts = [(item["role"], item["text"]) for item in messages_of(server, credentials, conversation)]
    assert [role for role, _ in texts] == ["MESSAGE_ROLE_USER", "MESSAGE_ROLE_ASSISTANT"] * 2
    assert texts[0][1] == "When do you open?" and texts[2][1] == "Thanks"
    # Web chat answers reach the widget over its socket: nothing is queued for a channel sender.
    assert psql(f"SELECT count(*) FROM channel_outbox WHERE conversation_id = '{conversation}'") == "0"


def test_the_same_client_id_with_another_text_is_refused(server, admin):
    _, _, widget = new_widget(server, admin)
    token = config(server, widget).json()["visitorToken"]
    with open_socket(server, widget) as socket:
        hello(socket, widget, token)
        socket.send(json.dumps({"type": "message", "clientId": "c-1", "text": "Hello"}))
        frames_until(socket, is_answer)
        socket.send(json.dumps({"type": "message", "clientId": "c-1", "text": "Something else"}))
        refused = frames_until(socket, lambda item: item["type"] == "error")[-1]
    assert refused["code"] == "client_id_reused" and refused["clientId"] == "c-1"


def test_reconnect_with_after_gets_exactly_the_missed_frames(server, admin):
    _, _, widget = new_widget(server, admin)
    token = config(server, widget).json()["visitorToken"]
    with open_socket(server, widget) as socket:
        hello(socket, widget, token)
        socket.send(json.dumps({"type": "message", "clientId": "c-1", "text": "First question"}))
        first = frames_until(socket, is_answer)
    seen = first[-1]["eventId"]
    # While the widget is away, another tab of the visitor asks again.
    with open_socket(server, widget) as other:
        hello(other, widget, token, after=seen)
        other.send(json.dumps({"type": "message", "clientId": "c-2", "text": "Second question"}))
        second = frames_until(other, is_answer)
    missed = [item for item in second if item["type"] == "message"]
    with open_socket(server, widget) as socket:
        ready = hello(socket, widget, token, after=seen)
        assert ready["lastEventId"] == missed[-1]["eventId"]
        replay = [frame(socket) for _ in missed]
        assert replay == missed
        # Nothing else (no earlier message, no duplicate) comes before the next message's frames.
        socket.send(json.dumps({"type": "message", "clientId": "c-3", "text": "Third question"}))
        following = frames_until(socket, is_answer)
        assert following[0] == {"type": "ack", "clientId": "c-3"}
        durable = [item for item in following if "eventId" in item]
        assert [item["role"] for item in durable] == ["user", "assistant"]
        assert durable[0]["eventId"] > missed[-1]["eventId"]
    # A hello without `after` gets the whole history, in order.
    with open_socket(server, widget) as socket:
        hello(socket, widget, token)
        history = [frame(socket) for _ in range(6)]
    assert [item["clientId"] for item in history if item["role"] == "user"] == ["c-1", "c-2", "c-3"]
    assert [item["eventId"] for item in history] == sorted({item["eventId"] for item in history})


def test_after_ahead_of_the_events_is_refused(server, admin):
    _, _, widget = new_widget(server, admin)
    token = config(server, widget).json()["visitorToken"]
    with open_socket(server, widget) as socket:
        hello(socket, widget, token)
        socket.send(json.dumps({"type": "message", "clientId": "c-1", "text": "Hello"}))
        frames_until(socket, is_answer)
    with open_socket(server, widget) as socket:
        hello(socket, widget, token, after=10**12)
        refused = frame(socket)
        assert refused["code"] == "invalid_frame" and refused["message"].startswith("after ")
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=WAIT_S)
        assert closed.value.rcvd.code == 4400


def test_reconnect_in_the_middle_of_an_answer_gets_the_whole_answer_once(server, admin):
    answer_text = " ".join(f"word{i}" for i in range(40)) + " [confidence: high]"
    model = FakeOpenAI(lambda question: answer_text, pause_s=0.05)
    try:
        tenant, _, widget = new_widget(server, admin)
        settings = {"settings": {"llm": {"provider": "LLM_PROVIDER_OPENAI_COMPATIBLE", "baseUrl": model.base_url}}}
        ok(rest(server, "PATCH", f"/api/tenants/{tenant}", {"x-admin-key": admin}, settings))
        token = config(server, widget).json()["visitorToken"]
        with open_socket(server, widget) as socket:
            hello(socket, widget, token)
            socket.send(json.dumps({"type": "message", "clientId": "c-slow", "text": "Tell me everything"}))
            before = frames_until(socket, lambda item: item["type"] == "delta" and item["text"].strip() != "")
        # The socket dropped mid-answer; the answer goes on and is stored.
        durable = [item["eventId"] for item in before if "eventId" in item]
        with open_socket(server, widget) as socket:
            hello(socket, widget, token, after=max(durable))
            rest_of_it = frames_until(socket, is_answer)
        answers = [item for item in rest_of_it if is_answer(item)]
        assert len(answers) == 1 and answers[0]["text"].startswith("word0 word1")
        assert [item for item in rest_of_it if item["type"] == "message" and item["role"] == "user"] == []
    finally:
        model.close()


def test_messages_over_the_visitor_limit_are_refused_with_rate_limited(server, admin):
    _, _, widget = new_widget(server, admin)
    token = config(server, widget).json()["visitorToken"]
    with open_socket(server, widget) as socket:
        hello(socket, widget, token)
        outcomes: dict[str, str] = {}
        for index in range(21):
            socket.send(json.dumps({"type": "message", "clientId": f"c-{index}", "text": f"Question {index}"}))
            item = frames_until(socket, lambda item: item["type"] in ("ack", "error") and item.get("clientId") == f"c-{index}")[-1]
            outcomes[f"c-{index}"] = item["type"] if item["type"] == "ack" else item["code"]
    assert list(outcomes.values()) == ["ack"] * 20 + ["rate_limited"]


def test_too_many_sockets_from_one_address_are_refused_with_429(server, admin):
    _, _, widget = new_widget(server, admin)
    address = fake_address()
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(open_socket(server, widget, address=address)) for _ in range(20)]
        # `ready` on each: every session is running (and counted).
        for socket in sockets:
            assert hello(socket, widget, config(server, widget, address=address).json()["visitorToken"])["type"] == "ready"
        with pytest.raises(InvalidStatus) as refused:
            open_socket(server, widget, address=address)
        assert refused.value.response.status_code == 429


def test_a_socket_without_hello_is_closed_with_4408(server, admin):
    _, _, widget = new_widget(server, admin)
    with open_socket(server, widget) as socket:
        # The server's hello timeout is 10 s; the wait for its frame is bounded above that.
        refused = frame(socket, timeout_s=WAIT_S)
        assert refused["code"] == "hello_timeout"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=WAIT_S)
        assert closed.value.rcvd.code == 4408
