"""DocumentService against a real `metachat serve` with the offline embedding model
(`METACHAT_TEST_EMBEDDING_URL`, started by `scripts/test.sh`): REST end to end (create, ingest to
READY, hybrid search with citations, bad input naming the field, another tenant's ids answering
404), and `kill -9` of the server in the middle of an ingestion: after a restart the document
reaches READY with exactly the chunks an undisturbed ingestion of the same content gives, and no
duplicates."""

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
def server(tmp_path_factory) -> MetaChat:
    require_services()
    storage = tmp_path_factory.mktemp("kb-storage")
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


def long_document(seed: str) -> str:
    sections = []
    for section in range(40):
        sentences = " ".join(
            f"Paragraph {section}.{n} of {seed} explains item {section * 31 + n} in plain words for the index."
            for n in range(25)
        )
        sections.append(f"## Section {section}\n\n{sentences}\n")
    return "\n".join(sections)


def test_kill_9_during_ingestion_recovers_without_duplicates(tmp_path: Path):
    require_services()
    storage = tmp_path / "storage"
    environment = dict(
        RATE_LIMIT_MAX_REQUESTS="1000000",
        EMBEDDING_BASE_URL=embedding_url(),
        EMBEDDING_MODEL="all-MiniLM-L6-v2",
        STORAGE_PATH=str(storage),
        INGEST_WORKERS="1",
        INGEST_LEASE_SECONDS="5",
    )
    content = long_document("the manual")
    with running_metachat(tmp_path / "first", **environment) as first:
        admin = seed_admin("kb-kill@example.com", f"kb-{uuid.uuid4().hex[:12]}")["apiKey"]
        victim, reference = tenant_key(first, admin), tenant_key(first, admin)
        document = ok(rest(first, "POST", "/api/documents", {"x-api-key": victim}, {"title": "Manual", "content": content, "contentType": "text/markdown"}))
        # Wait until the worker is embedding (progress past extraction), then kill -9.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = ok(rest(first, "GET", f"/api/documents/{document['id']}", {"x-api-key": victim}))
            if state["status"] == "DOCUMENT_STATUS_PROCESSING" and state.get("ingestProgress", 0) >= 10:
                break
            assert state["status"] != "DOCUMENT_STATUS_READY", "ingestion finished before the kill; make the document longer"
            time.sleep(0.02)  # paces the polling; not synchronisation
        else:
            pytest.fail("ingestion never reached the embedding stage")
        first.process.kill()
        first.process.wait(timeout=10)

    with running_metachat(tmp_path / "second", **environment) as second:
        recovered = wait_for_status(second, victim, document["id"], {"DOCUMENT_STATUS_READY", "DOCUMENT_STATUS_FAILED"}, 300)
        assert recovered["status"] == "DOCUMENT_STATUS_READY", (recovered.get("errorMessage"), recovered.get("lastIngestError"))
        assert recovered["ingestAttempts"] >= 2
        chunks = all_chunks(second, victim, document["id"])
        assert len(chunks) == recovered["chunkCount"]
        assert [c.get("index", 0) for c in chunks] == list(range(len(chunks)))
        assert len({c["id"] for c in chunks}) == len(chunks)

        # The same content ingested undisturbed (another tenant) gives the same chunks.
        clean = ok(rest(second, "POST", "/api/documents", {"x-api-key": reference}, {"title": "Manual", "content": content, "contentType": "text/markdown"}))
        clean_ready = wait_for_status(second, reference, clean["id"], {"DOCUMENT_STATUS_READY", "DOCUMENT_STATUS_FAILED"}, 300)
        assert clean_ready["status"] == "DOCUMENT_STATUS_READY"
        expected = all_chunks(second, reference, clean["id"])
        assert [(c["text"], c.get("charStart", 0), c["charEnd"]) for c in chunks] == [
            (c["text"], c.get("charStart", 0), c["charEnd"]) for c in expected
        ]
