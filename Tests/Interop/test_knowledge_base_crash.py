"""`kill -9` of `metachat serve` in the middle of an ingestion: after a restart the document
reaches READY with exactly the chunks an undisturbed ingestion of the same content gives, and no
duplicates. A module of its own, so that no other server (whose workers would take the job) runs
against the same database meanwhile."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from metachat_process import require_services, running_metachat, seed_admin
from test_knowledge_base import all_chunks, embedding_url, ok, rest, tenant_key, wait_for_status


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
