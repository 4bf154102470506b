"""`PATCH /api/tenants/{id}` without `updateMask` against a real `metachat serve`: the bridge
infers the mask from the JSON keys present in the body, so explicit `false` and `0` values are
applied, and every field the body does not name keeps its stored value.
"""

from __future__ import annotations

import json
import uuid
from typing import Iterator

import pytest

import restclient
from metachat_process import MetaChat, require_services, running_metachat, seed_admin

REQUEST_TIMEOUT_S = 10.0


@pytest.fixture(scope="module")
def metachat(tmp_path_factory) -> Iterator[MetaChat]:
    require_services()
    with running_metachat(tmp_path_factory.mktemp("tenant-patch"), RATE_LIMIT_MAX_REQUESTS="1000000") as server:
        yield server


@pytest.fixture(scope="module")
def admin(metachat) -> str:
    return seed_admin("tenant-patch@example.com", f"patch-{uuid.uuid4().hex[:12]}")["apiKey"]


def call(server: MetaChat, method: str, path: str, admin: str, body=None) -> restclient.Reply:
    headers = {"x-admin-key": admin}
    payload = None
    if body is not None:
        headers["content-type"] = "application/json"
        payload = json.dumps(body)
    return restclient.request(server.port, method, path, body=payload, headers=headers, timeout=REQUEST_TIMEOUT_S)


def ok(reply: restclient.Reply) -> dict:
    assert reply.status == 200, (reply.status, reply.body[:500])
    return reply.json()


def create_tenant(server: MetaChat, admin: str) -> dict:
    return ok(call(server, "POST", "/api/tenants", admin, {
        "name": "Patch Inference",
        "settings": {
            "llm": {"model": "gpt-4o-mini", "systemPrompt": "Be brief."},
            "rag": {"topK": 8, "minScore": 0.25, "textSearchLanguage": "english"},
            "widget": {"title": "Help"},
        },
        "metadata": {"plan": "gold"},
    }))


def without(document: dict, *keys: str) -> dict:
    return {key: value for key, value in document.items() if key not in keys}


def test_patch_enabled_false_disables_the_tenant_and_changes_nothing_else(metachat, admin):
    tenant = create_tenant(metachat, admin)
    path = f"/api/tenants/{tenant['id']}"

    patched = ok(call(metachat, "PATCH", path, admin, {"enabled": False}))
    stored = ok(call(metachat, "GET", path, admin))

    # `enabled: false` is the proto3 JSON default, so it is omitted from the answer.
    assert "enabled" not in patched and "enabled" not in stored, stored
    assert "disabledAt" in stored, stored
    assert without(stored, "enabled", "updatedAt", "disabledAt") == without(tenant, "enabled", "updatedAt")

    enabled = ok(call(metachat, "PATCH", path, admin, {"enabled": True}))
    assert enabled["enabled"] is True and "disabledAt" not in enabled, enabled


def test_patch_top_k_zero_is_applied_and_the_other_settings_are_kept(metachat, admin):
    tenant = create_tenant(metachat, admin)
    path = f"/api/tenants/{tenant['id']}"
    assert tenant["settings"]["rag"]["topK"] == 8

    ok(call(metachat, "PATCH", path, admin, {"settings": {"rag": {"topK": 0}}}))
    stored = ok(call(metachat, "GET", path, admin))

    assert "topK" not in stored["settings"]["rag"], stored  # 0 is the default, so omitted
    expected = json.loads(json.dumps(tenant))
    del expected["settings"]["rag"]["topK"]
    assert without(stored, "updatedAt") == without(expected, "updatedAt")


def test_an_explicit_update_mask_wins_over_the_body_keys(metachat, admin):
    tenant = create_tenant(metachat, admin)
    path = f"/api/tenants/{tenant['id']}"

    ok(call(metachat, "PATCH", path + "?updateMask=name", admin, {"name": "Renamed", "enabled": False}))
    stored = ok(call(metachat, "GET", path, admin))

    assert stored["name"] == "Renamed" and stored["enabled"] is True, stored
