"""The web chat widget in Debian's headless Chromium (driven over the DevTools protocol by Python
playwright, never a downloaded browser): the demo page served by `metachat serve` embeds
`widget.js`; a visitor sends a message and watches the answer stream into its bubble, reloads,
and sees the conversation again from the server's history. A screenshot of the result is saved
(to `METACHAT_WIDGET_SCREENSHOT` when set, e.g. docs/widget-demo.png)."""

from __future__ import annotations

import os
import re
import uuid
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from fake_openai import FakeOpenAI
from metachat_process import MetaChat, require_services, running_metachat, seed_admin
from test_dashboard_browser import chromium_path
from test_knowledge_base import ok, rest

WAIT_MS = 20_000
ANSWER = ("We open at nine on weekdays and at ten on Saturdays; on Sundays we rest, "
          "so please plan your visit accordingly. [confidence: high]")
EVENT_ID = re.compile(r"^\d+$")
SHOWN = "We open at nine on weekdays and at ten on Saturdays; on Sundays we rest, so please plan your visit accordingly."


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    # A pause per word makes the stream last long enough to watch it arrive.
    fake = FakeOpenAI(lambda question: ANSWER, pause_s=0.08)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    require_services()
    environment = dict(RATE_LIMIT_MAX_REQUESTS="1000000", OUTBOUND_ALLOW_CIDRS="127.0.0.0/8")
    with running_metachat(tmp_path_factory.mktemp("widget-browser"), **environment) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def test_a_visitor_chats_on_the_demo_page_and_sees_the_history_after_a_reload(server, model, browser, tmp_path):
    admin = seed_admin(f"widget-browser-{uuid.uuid4().hex[:6]}@example.com", f"wb-{uuid.uuid4().hex[:8]}")["apiKey"]
    headers = {"x-admin-key": admin}
    tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": "Corner Bakery"}))
    key = ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", headers, {"label": "widget"}))
    settings = {"settings": {"llm": {"provider": "LLM_PROVIDER_OPENAI_COMPATIBLE", "baseUrl": model.base_url},
                             "widget": {"title": "Corner Bakery"}}}
    ok(rest(server, "PATCH", f"/api/tenants/{tenant['id']}", headers, settings))
    base = f"http://127.0.0.1:{server.port}"
    channel = ok(rest(server, "POST", "/api/channels", {"x-api-key": key["apiKey"]}, {
        "name": "Site chat", "webChat": {"allowedOrigins": [base], "greeting": "Hello! How can we help?"}}))
    widget = channel["webChat"]["widgetId"]

    page = browser.new_context(viewport={"width": 900, "height": 640}).new_page()
    page.goto(f"{base}/widget/demo?widgetId={widget}")
    root = page.locator("#metachat-widget")
    expect(root).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    expect(root.locator("header")).to_have_text("Corner Bakery")
    expect(root.locator(".mc-greeting")).to_have_text("Hello! How can we help?")

    page.get_by_label("Message").fill("When do you open?")
    page.get_by_role("button", name="Send").click()
    expect(root.locator(".mc-user")).to_have_text("When do you open?", timeout=WAIT_MS)
    # The answer arrives piece by piece, then as the stored message.
    expect(root.locator('.mc-assistant[data-streaming="yes"]')).to_have_count(1, timeout=WAIT_MS)
    answer = root.locator(".mc-assistant")
    expect(answer).to_have_text(SHOWN, timeout=WAIT_MS)
    expect(answer).to_have_attribute("data-event-id", EVENT_ID, timeout=WAIT_MS)
    visitor = root.get_attribute("data-visitor-id")

    page.reload()
    expect(root).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    assert root.get_attribute("data-visitor-id") == visitor
    expect(root.locator(".mc-user")).to_have_text("When do you open?", timeout=WAIT_MS)
    expect(root.locator(".mc-assistant")).to_have_text(SHOWN, timeout=WAIT_MS)
    expect(root.locator(".mc-assistant")).to_have_attribute("data-event-id", EVENT_ID)
    page.screenshot(path=os.environ.get("METACHAT_WIDGET_SCREENSHOT") or str(tmp_path / "widget-demo.png"))
