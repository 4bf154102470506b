"""DocumentService against a real `metachat serve` with the offline embedding model
(`METACHAT_TEST_EMBEDDING_URL`, started by `scripts/test.sh`): REST end to end (create, ingest to
READY, hybrid search with citations, bad input naming the field, another tenant's ids answering
404). The crash test is in test_knowledge_base_crash.py (no other server may run beside it)."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

import restclient
from metachat_process import MetaChat, require_services, running_metachat, seed_admin

REQUEST_TIMEOUT_S = 20.0


def embedding_url() -> str:
    url = os.environ.get("METACHAT_TEST_EMBEDDING_URL")
    if not url:
        pytest.fail("METACHAT_TEST_EMBEDDING_URL not set: run this through `scripts/test.sh interop`")
    return url


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


def tenant_key(server: MetaChat, admin: str) -> str:
    headers = {"x-admin-key": admin}
    tenant = ok(rest(server, "POST", "/api/tenants", headers, {"name": f"KB {uuid.uuid4().hex[:8]}"}))
    return ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", headers, {"label": "kb"}))["apiKey"]


def wait_for_status(server: MetaChat, key: str, document_id: str, wanted: set[str], timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    document = {}
    while time.monotonic() < deadline:
        document = ok(rest(server, "GET", f"/api/documents/{document_id}", {"x-api-key": key}))
        if document["status"] in wanted:
            return document
        time.sleep(0.05)  # paces the polling of a state that changes on its own; not synchronisation
    pytest.fail(f"document stayed {document.get('status')} ({document}):\n{server.log_tail()}")


def all_chunks(server: MetaChat, key: str, document_id: str) -> list[dict]:
    chunks, token = [], ""
    while True:
        query = urllib.parse.urlencode({"pageSize": 200, "pageToken": token})
        page = ok(rest(server, "GET", f"/api/documents/{document_id}/chunks?{query}", {"x-api-key": key}))
        chunks += page.get("chunks", [])
        token = page.get("nextPageToken", "")
        if not token:
            return chunks


@pytest.fixture(scope="module")
def storage(tmp_path_factory) -> Path:
    """STORAGE_PATH of every server here: processes sharing a database share it (any of them may
    run any document's job)."""
    return tmp_path_factory.mktemp("kb-storage")


@pytest.fixture(scope="module")
def server(tmp_path_factory, storage) -> MetaChat:
    require_services()
    with running_metachat(
        tmp_path_factory.mktemp("kb"),
        RATE_LIMIT_MAX_REQUESTS="1000000",
        EMBEDDING_BASE_URL=embedding_url(),
        EMBEDDING_MODEL="all-MiniLM-L6-v2",
        STORAGE_PATH=str(storage),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def keys(server) -> tuple[str, str]:
    admin = seed_admin("kb@example.com", f"kb-{uuid.uuid4().hex[:12]}")["apiKey"]
    return tenant_key(server, admin), tenant_key(server, admin)


def test_rest_end_to_end(server, keys):
    a, b = keys
    created = ok(
        rest(
            server,
            "POST",
            "/api/documents",
            {"x-api-key": a},
            {
                "title": "Account help",
                "content": "# Passwords\n\nTo change your password open Settings and choose Security.\n",
                "contentType": "text/markdown",
                "metadata": {"team": "it"},
            },
        )
    )
    assert created["status"] == "DOCUMENT_STATUS_PENDING"
    ready = wait_for_status(server, a, created["id"], {"DOCUMENT_STATUS_READY", "DOCUMENT_STATUS_FAILED"}, 60)
    assert ready["status"] == "DOCUMENT_STATUS_READY", ready
    assert ready["embeddingDimensions"] == 384 and ready["embeddingModel"] == "all-MiniLM-L6-v2"

    query = urllib.parse.urlencode({"query": "how do I reset my login credentials", "topK": 3})
    found = ok(rest(server, "GET", f"/api/documents/search?{query}", {"x-api-key": a}))
    assert found["mode"] == "SEARCH_MODE_HYBRID"
    top = found["results"][0]
    assert top["citation"]["documentId"] == created["id"]
    assert 0 < top["score"] <= 1 and top["vectorRank"] == 1
    assert top["citation"]["charEnd"] > top["citation"].get("charStart", 0)

    posted = ok(rest(server, "POST", "/api/documents/search", {"x-api-key": a}, {"query": "Settings", "mode": "SEARCH_MODE_TEXT"}))
    assert posted["results"][0]["citation"]["documentId"] == created["id"]

    # Another tenant: 404 on the id, nothing found by search.
    assert rest(server, "GET", f"/api/documents/{created['id']}", {"x-api-key": b}).status == 404
    assert rest(server, "DELETE", f"/api/documents/{created['id']}", {"x-api-key": b}).status == 404
    other = ok(rest(server, "GET", f"/api/documents/search?{query}", {"x-api-key": b}))
    assert other.get("results", []) == []

    # Bad input: 400 naming the field; nothing stored.
    bad = rest(server, "POST", "/api/documents", {"x-api-key": a}, {"title": "x", "content": "x", "contentType": "application/pdf"})
    assert bad.status == 400 and "contentType" in bad.json()["error"]["message"]
    bad = rest(server, "GET", "/api/documents/search?query=x&topK=51", {"x-api-key": a})
    assert bad.status == 400 and "topK" in bad.json()["error"]["message"]
    listed = ok(rest(server, "GET", "/api/documents", {"x-api-key": a}))
    assert [d["id"] for d in listed["documents"]] == [created["id"]]

    assert rest(server, "DELETE", f"/api/documents/{created['id']}", {"x-api-key": a}).status == 200
    assert rest(server, "GET", f"/api/documents/{created['id']}", {"x-api-key": a}).status == 404


def test_tenant_embedding_settings_round_trip_and_reindex(server):
    """`settings.rag.embedding` over REST: the key is never answered (only its last four), bad
    values and refused base URLs answer 400 naming the field, the tenant's own model tags its
    chunks, and changing the model reindexes the tenant's documents in the background."""
    admin = seed_admin("kb-embed@example.com", f"kb-{uuid.uuid4().hex[:12]}")["apiKey"]
    tenant = ok(rest(server, "POST", "/api/tenants", {"x-admin-key": admin}, {"name": f"KB {uuid.uuid4().hex[:8]}"}))
    key = ok(rest(server, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", {"x-admin-key": admin}, {"label": "kb"}))["apiKey"]
    headers = {"x-api-key": key}
    path = f"/api/tenants/{tenant['id']}"
    secret = "sk-embed-interop-0123456789"
    # Another spelling of the model server's URL: the tenant's own base URL (loopback is inside
    # OUTBOUND_ALLOW_CIDRS for this suite).
    own_url = embedding_url() + "/"

    patched = rest(server, "PATCH", path, headers, {"settings": {"rag": {"embedding": {
        "model": "minilm-alias", "baseUrl": own_url, "apiKey": secret}}}})
    assert patched.status == 200, (patched.status, patched.body[:500])
    assert secret.encode() not in patched.body
    embedding = patched.json()["settings"]["rag"]["embedding"]
    assert embedding == {"model": "minilm-alias", "baseUrl": own_url, "apiKeyLastFour": "6789"}, embedding
    stored = ok(rest(server, "GET", path, headers))
    assert stored["settings"]["rag"]["embedding"] == embedding
    assert secret not in json.dumps(stored)

    for body, field in [
        ({"dimensions": 2001}, "settings.rag.embedding.dimensions"),
        ({"model": "m" * 201}, "settings.rag.embedding.model"),
        ({"baseUrl": "ftp://example.com/v1"}, "settings.rag.embedding.baseUrl"),
        ({"baseUrl": "http://10.20.30.40/v1", "apiKey": secret}, "settings.rag.embedding.baseUrl"),
        ({"apiKey": "short"}, "settings.rag.embedding.apiKey"),
    ]:
        bad = rest(server, "PATCH", path, headers, {"settings": {"rag": {"embedding": body}}})
        assert bad.status == 400, (body, bad.status, bad.body[:300])
        assert field in bad.json()["error"]["message"], (body, bad.body[:300])
    # Moving the stored key to another host needs the key again.
    moved = rest(server, "PATCH", path, headers, {"settings": {"rag": {"embedding": {"baseUrl": embedding_url()}}}})
    assert moved.status == 400 and "settings.rag.embedding.apiKey" in moved.json()["error"]["message"], moved.body[:300]
    assert ok(rest(server, "GET", path, headers))["settings"]["rag"]["embedding"] == embedding

    created = ok(rest(server, "POST", "/api/documents", headers, {
        "title": "Account help", "content": "To change your password open Settings and choose Security.\n"}))
    ready = wait_for_status(server, key, created["id"], {"DOCUMENT_STATUS_READY", "DOCUMENT_STATUS_FAILED"}, 60)
    assert ready["status"] == "DOCUMENT_STATUS_READY" and ready["embeddingModel"] == "minilm-alias", ready

    ok(rest(server, "PATCH", path, headers, {"settings": {"rag": {"embedding": {"model": "minilm-alias-2"}}}}))
    deadline = time.monotonic() + 60
    document = ready
    while time.monotonic() < deadline:
        document = ok(rest(server, "GET", f"/api/documents/{created['id']}", headers))
        if document["status"] == "DOCUMENT_STATUS_READY" and document["embeddingModel"] == "minilm-alias-2":
            break
        # Searches keep answering by meaning while the document is reindexed.
        query = urllib.parse.urlencode({"query": "how do I reset my login credentials", "mode": "SEARCH_MODE_VECTOR"})
        found = ok(rest(server, "GET", f"/api/documents/search?{query}", headers))
        assert [r["citation"]["documentId"] for r in found["results"]][:1] == [created["id"]], found
        time.sleep(0.05)  # paces the polling of a state that changes on its own; not synchronisation
    else:
        pytest.fail(f"the document was not reindexed with minilm-alias-2: {document}\n{server.log_tail()}")
    assert {chunk["embeddingModel"] for chunk in all_chunks(server, key, created["id"])} == {"minilm-alias-2"}
    query = urllib.parse.urlencode({"query": "how do I reset my login credentials", "mode": "SEARCH_MODE_VECTOR"})
    found = ok(rest(server, "GET", f"/api/documents/search?{query}", headers))
    assert found["embeddingModel"] == "minilm-alias-2" and found["results"][0]["citation"]["documentId"] == created["id"]
