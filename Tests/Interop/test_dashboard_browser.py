"""The dashboard end to end in Debian's headless Chromium (the system browser, driven by Python
playwright; never a downloaded browser): sign in, open the live inbox, a customer message sent
through the API appears without a reload, the model's answer streams into its bubble as text
(`aria-busy` until complete), assign to me, reply, hand back. A real `metachat serve` with the
dashboard on a free port, the model a local server speaking OpenAI's streaming protocol."""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from fake_openai import FakeOpenAI
from metachat_process import MetaChat, free_port, require_services, running_metachat, seed_admin
from test_chat_nodes import stream_reply
from test_conversation_events import new_tenant
from test_conversations import ok, rest
from test_dashboard import PASSWORD, create_user, wait_for_dashboard

WAIT_MS = 15_000
ANSWER = (
    "We open at nine <b>sharp</b> on weekdays and at ten on Saturdays, and we stay closed on Sundays "
    "and public holidays, so please plan your visit accordingly. [confidence: high]"
)


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("Debian's chromium is not installed (scripts/setup.sh installs it)")
    return path


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    # A pause per word makes the stream last long enough to watch it arrive.
    fake = FakeOpenAI(lambda question: ANSWER, pause_s=0.08)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Iterator[tuple[MetaChat, int]]:
    require_services()
    port = free_port()
    environment = {"DASHBOARD_PORT": str(port), "RATE_LIMIT_MAX_REQUESTS": "1000000", "OPENAI_API_KEY": "",
                   "OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"}
    with running_metachat(tmp_path_factory.mktemp("dashboard-browser"), **environment) as server:
        wait_for_dashboard(port, server)
        yield server, port


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def test_an_agent_watches_a_streamed_answer_then_takes_over_and_hands_back(dashboard, model, browser):
    server, port = dashboard
    admin = seed_admin(f"browser-{uuid.uuid4().hex[:6]}@example.com", f"browser-{uuid.uuid4().hex[:8]}")["apiKey"]
    tenant, credentials = new_tenant(server, admin)
    settings = {"settings": {"llm": {"provider": "LLM_PROVIDER_OPENAI_COMPATIBLE", "baseUrl": model.base_url}}}
    ok(rest(server, "PATCH", f"/api/tenants/{tenant}", {"x-admin-key": admin}, settings))
    agent = f"agent-{uuid.uuid4().hex[:8]}@example.com"
    created = create_user(agent, "agent", "--tenant", tenant)
    assert created.returncode == 0, created.stderr

    base = f"http://127.0.0.1:{port}"
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(agent)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/tenants/{tenant}/inbox", timeout=WAIT_MS)
    cookie = next(c for c in context.cookies() if c["name"] == "__Host-metachat_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"

    page.goto(f"{base}/tenants/{tenant}/inbox?view=all")
    expect(page.locator("[data-live-state]")).to_have_text("live", timeout=WAIT_MS)
    expect(page.get_by_role("link", name="All open 0")).to_be_visible()

    # A customer writes through the API; the inbox shows the conversation without a reload.
    conversation = ok(rest(server, "POST", "/api/conversations", credentials, {"externalUserId": "visitor-7"}))
    first = stream_reply(server, credentials, {"conversationId": conversation["id"], "text": "When do you open?"})
    assert first[-1]["isFinal"] is True
    row = page.get_by_role("link", name="Conversation with visitor-7")
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("link", name="All open 1")).to_be_visible()

    row.click()
    page.wait_for_url(f"{base}/tenants/{tenant}/conversations/{conversation['id']}", timeout=WAIT_MS)
    expect(page.locator("[data-live-state]")).to_have_text("live", timeout=WAIT_MS)

    # The next answer streams in while the page is open: aria-busy while it streams, then the
    # whole text, as text (the model's "<b>" is shown, not made bold).
    replies: list[list[dict]] = []
    sender = threading.Thread(target=lambda: replies.append(
        stream_reply(server, credentials, {"conversationId": conversation["id"], "text": "And on Sundays?"})))
    sender.start()
    customer = page.locator("li.bubble.user").last
    expect(customer.locator(".text")).to_have_text("And on Sundays?", timeout=WAIT_MS)
    expect(customer.locator(".role")).to_have_text("Customer · visitor-7")
    busy = page.locator('li.bubble.assistant[aria-busy="true"]')
    expect(busy).to_have_count(1, timeout=WAIT_MS)
    sender.join(timeout=WAIT_MS / 1000)
    assert replies and replies[0][-1]["isFinal"] is True
    answer_id = replies[0][-1]["message"]["id"]
    bubble = page.locator(f'li[data-message-id="{answer_id}"]')
    expect(bubble).to_have_attribute("aria-busy", "false", timeout=WAIT_MS)
    expected_text = replies[0][-1]["message"]["text"]
    assert "<b>sharp</b>" in expected_text
    expect(bubble.locator(".text")).to_have_text(expected_text)
    assert bubble.locator("b").count() == 0

    # Take over, reply, hand back.
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#conversation-state")).to_contain_text(f"assigned to {agent}", timeout=WAIT_MS)
    page.get_by_label("Reply to the customer").fill("A human here: Sundays we are closed.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("li.bubble.agent").last).to_contain_text("A human here: Sundays we are closed.", timeout=WAIT_MS)
    page.get_by_role("button", name="Hand back to the AI").click()
    expect(page.locator("[data-status]")).to_have_text("AI answering", timeout=WAIT_MS)

    stored = ok(rest(server, "GET", f"/api/conversations/{conversation['id']}", credentials))
    assert stored["status"] == "CONVERSATION_STATUS_OPEN"
    messages = ok(rest(server, "GET", f"/api/conversations/{conversation['id']}/messages", credentials))["messages"]
    assert [m["role"] for m in messages][-1] == "MESSAGE_ROLE_AGENT"
    assert messages[-1]["authorId"] == agent
    context.close()
