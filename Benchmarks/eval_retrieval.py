"""Retrieval quality of the knowledge base on a document set written elsewhere: the SQL command
reference and the client/server application pages of the PostgreSQL 15 documentation (Debian's
postgresql-doc-15), with the questions in Benchmarks/retrieval-eval/questions.tsv
(docs/knowledge-base.md, "Retrieval quality").

What runs, all through the public REST API of one `metachat serve`:

  1. a tenant (settings.rag.textSearchLanguage from --language) and a tenant key;
  2. every chosen page uploaded as it is (POST /api/documents, contentType text/html, the
     page's <title> as title, its file name in metadata.page), so the server's own HTML reader,
     chunker and embedder are what is measured; the run waits until every document is READY and
     prints the ingestion rate (chunks/s) beside the embedder's own rate on the first
     --reference-chunks of the same chunk texts (POST /v1/embeddings, 64 per request, as the
     server sends them);
  3. every question asked in each mode (SEARCH_MODE_TEXT, _VECTOR, _HYBRID) with topK 10.

A question is answered at rank r when the r-th result is a chunk of the page the question names
(page level: several chunks of one page count once, at the best rank). recall@5 is the share of
questions answered within the first 5 results, MRR the mean of 1/r over the first 10 (0 when the
page is not among them).

With --tune, the same questions are also ranked directly in PostgreSQL from the stored chunks
(the retriever's two lists, computed once per question with the query vector from the embedder)
and fused in Python under other settings: the RRF constant k, the candidates per list, the text
query (any word, every word, websearch syntax) and the text search configuration. It prints one
line per variant; docs/knowledge-base.md records what was tried.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Server, free_port  # noqa: E402

MODES = ("SEARCH_MODE_TEXT", "SEARCH_MODE_VECTOR", "SEARCH_MODE_HYBRID")
MODE_NAMES = {"SEARCH_MODE_TEXT": "text", "SEARCH_MODE_VECTOR": "vector", "SEARCH_MODE_HYBRID": "hybrid"}


def call(port: int, method: str, path: str, headers: dict[str, str], body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    for name, value in headers.items():
        request.add_header(name, value)
    if data is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {path}: HTTP {error.code}: {error.read()[:500]!r}") from None


def psql(url: str, sql: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-f", "-"],
        input=sql if stdin is None else stdin, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


def read_questions(path: Path) -> list[tuple[str, str]]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise SystemExit(f"{path}:{number}: expected `question<TAB>page`")
        questions.append((parts[0].strip(), parts[1].strip()))
    return questions


def page_title(raw: str, fallback: str) -> str:
    match = re.search(r"<title>(.*?)</title>", raw, re.S)
    title = " ".join(html.unescape(match.group(1)).split()) if match else ""
    return (title or fallback)[:300]


def text_length(page: Path) -> int:
    """Characters of a page's text: tags removed, entities decoded, whitespace runs counted once."""
    raw = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return len(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split()))


def answered_rank(pages: list[str], page: str, depth: int) -> int | None:
    for rank, found in enumerate(pages[:depth], 1):
        if found == page:
            return rank
    return None


def scores(ranks: list[int | None]) -> tuple[float, float]:
    """recall@5 and MRR@10 of a list of answered ranks."""
    recall = sum(1 for r in ranks if r is not None and r <= 5) / len(ranks)
    mrr = sum(1 / r for r in ranks if r is not None and r <= 10) / len(ranks)
    return recall, mrr


def embed(url: str, texts: list[str], batch: int = 64) -> list[list[float]]:
    vectors: list[list[float]] = []
    for start in range(0, len(texts), batch):
        body = json.dumps({"model": "all-MiniLM-L6-v2", "input": texts[start:start + batch]}).encode()
        request = urllib.request.Request(f"{url}/embeddings", data=body, method="POST",
                                         headers={"content-type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=600) as response:
            answer = json.loads(response.read())
        vectors.extend(item["embedding"] for item in sorted(answer["data"], key=lambda item: item["index"]))
    return vectors


# ---------------------------------------------------------------------------------------------
# Ingestion


def ingest(port: int, key: dict[str, str], pages: list[Path]) -> tuple[dict[str, str], int, float]:
    """Uploads the pages, waits until all are READY; answers document id → page, the number of
    chunks and the seconds from the first upload to the last READY."""
    started = time.monotonic()
    documents: dict[str, str] = {}
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        created = call(port, "POST", "/api/documents", key, {
            "title": page_title(raw, page.name), "content": raw, "contentType": "text/html",
            "metadata": {"page": page.name},
        })  # fmt: skip
        documents[created["id"]] = page.name
    pending = set(documents)
    chunks = 0
    deadline = time.monotonic() + 3600
    while pending:
        for document_id in sorted(pending):
            document = call(port, "GET", f"/api/documents/{document_id}", key)
            status = document.get("status", "")
            if status == "DOCUMENT_STATUS_READY":
                pending.discard(document_id)
                chunks += int(document.get("chunkCount", 0))
            elif status == "DOCUMENT_STATUS_FAILED":
                raise RuntimeError(f"{documents[document_id]}: ingestion failed: {document.get('errorMessage')}")
        if pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(pending)} documents not READY after an hour")
            time.sleep(0.5)  # polling the documents' status, not synchronisation
    return documents, chunks, time.monotonic() - started


# ---------------------------------------------------------------------------------------------
# Tuning: both lists computed in PostgreSQL, fused in Python


def ranked_lists(url: str, tenant: str, questions: list[tuple[str, str]], vectors: list[list[float]],
                 depth: int) -> tuple[dict[str, list[list[str]]], dict[str, str]]:
    """For each list variant, each question's chunk ids best first; and each chunk's document."""
    psql(url, f"""
        DROP TABLE IF EXISTS eval_chunks;
        CREATE TABLE eval_chunks AS
            SELECT id, document_id, embedding::vector(384) AS embedding,
                to_tsvector('english', text) AS english, to_tsvector('simple', text) AS simple
            FROM document_chunks WHERE tenant_id = '{tenant}' AND dimensions = 384;
        DROP TABLE IF EXISTS eval_questions;
        CREATE TABLE eval_questions (qid int PRIMARY KEY, text text NOT NULL, vector vector(384) NOT NULL);
    """)  # fmt: skip
    rows = "".join(f"{i}\t{q.replace(chr(92), chr(92) * 2)}\t[{','.join(f'{v:.7f}' for v in vec)}]\n"
                   for i, ((q, _), vec) in enumerate(zip(questions, vectors)))  # fmt: skip
    psql(url, "", stdin="COPY eval_questions FROM STDIN;\n" + rows + "\\.\n")
    text_queries = {
        "english any word": "nullif(replace(plainto_tsquery('english', q.text)::text, ' & ', ' | '), '')::tsquery",
        "simple any word": "nullif(replace(plainto_tsquery('simple', q.text)::text, ' & ', ' | '), '')::tsquery",
        "english every word": "plainto_tsquery('english', q.text)",
        "english websearch": "websearch_to_tsquery('english', q.text)",
    }
    lists: dict[str, list[list[str]]] = {}
    answer = psql(url, f"""
        SELECT q.qid, string_agg(v.id::text, ',' ORDER BY v.n) FROM eval_questions q CROSS JOIN LATERAL (
            SELECT c.id, row_number() OVER (ORDER BY c.embedding <=> q.vector, c.id) AS n
            FROM eval_chunks c ORDER BY c.embedding <=> q.vector, c.id LIMIT {depth}) v
        GROUP BY q.qid ORDER BY q.qid
    """)  # fmt: skip
    lists["vector"] = parse_lists(answer, len(questions))
    for name, expression in text_queries.items():
        column = "simple" if name.startswith("simple") else "english"
        answer = psql(url, f"""
            SELECT q.qid, string_agg(t.id::text, ',' ORDER BY t.n) FROM eval_questions q CROSS JOIN LATERAL (
                SELECT c.id, row_number() OVER (ORDER BY ts_rank_cd(c.{column}, x.query) DESC, c.id) AS n
                FROM eval_chunks c, (SELECT {expression} AS query) x
                WHERE x.query IS NOT NULL AND c.{column} @@ x.query
                ORDER BY ts_rank_cd(c.{column}, x.query) DESC, c.id LIMIT {depth}) t
            GROUP BY q.qid ORDER BY q.qid
        """)  # fmt: skip
        lists[name] = parse_lists(answer, len(questions))
    answer = psql(url, "SELECT id, document_id FROM eval_chunks")
    chunk_documents = dict(line.split("\t") for line in answer.splitlines())
    psql(url, "DROP TABLE eval_chunks; DROP TABLE eval_questions")
    return lists, chunk_documents


def parse_lists(answer: str, count: int) -> list[list[str]]:
    lists: list[list[str]] = [[] for _ in range(count)]
    for line in answer.splitlines():
        qid, ids = line.split("\t")
        lists[int(qid)] = [i for i in ids.split(",") if i]
    return lists


def fuse(vector: list[str] | None, text: list[str] | None, k: float, candidates: int, top: int) -> list[str]:
    scores: dict[str, float] = {}
    for ranked in (vector, text):
        if ranked is None:
            continue
        for rank, chunk in enumerate(ranked[:candidates], 1):
            scores[chunk] = scores.get(chunk, 0.0) + 1.0 / (k + rank)
    return [chunk for chunk, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))][:top]


def tune(url: str, tenant: str, questions: list[tuple[str, str]], embedding_url: str,
         documents: dict[str, str]) -> None:
    vectors = embed(embedding_url, [q for q, _ in questions])
    lists, chunk_document = ranked_lists(url, tenant, questions, vectors, depth=200)

    def evaluate(ranked: list[list[str]]) -> tuple[float, float]:
        ranks = []
        for chunks, (_, page) in zip(ranked, questions):
            pages = [documents.get(chunk_document.get(c, ""), "") for c in chunks]
            ranks.append(answered_rank(pages, page, 10))
        return scores(ranks)

    print("\nTuning (both lists ranked in PostgreSQL from the stored chunks, fused here; "
          "recall@5 / MRR@10):")  # fmt: skip
    print(f"{'variant':<58}{'recall@5':>10}{'MRR':>8}")

    def line(name: str, ranked: list[list[str]]):
        recall, mrr = evaluate(ranked)
        print(f"{name:<58}{recall:>10.3f}{mrr:>8.3f}", flush=True)

    line("vector alone", [v[:10] for v in lists["vector"]])
    for text_name in ("simple any word", "english any word", "english every word", "english websearch"):
        line(f"text alone, {text_name}", [t[:10] for t in lists[text_name]])
    for text_name in ("simple any word", "english any word", "english every word", "english websearch"):
        for candidates in (20, 40, 100):
            for k in (1, 10, 30, 60, 100):
                fused = [fuse(v, t, k, candidates, 10) for v, t in zip(lists["vector"], lists[text_name])]
                line(f"hybrid, {text_name}, {candidates} candidates, k={k}", fused)


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--docs", required=True, type=Path, help="postgresql-doc-15's html directory")
    parser.add_argument("--questions", required=True, type=Path)
    parser.add_argument("--pages", default="sql-*.html,app-*.html",
                        help="comma-separated globs of the pages to ingest (default: %(default)s)")
    parser.add_argument("--max-page-chars", type=int, default=10_000,
                        help="leave out pages with more characters of text than this (0: none left out); "
                             "questions about them are skipped (default: %(default)s)")
    parser.add_argument("--language", default="english", help="the tenant's settings.rag.textSearchLanguage")
    parser.add_argument("--database-url", required=True, help="a superuser URL (only for --tune)")
    parser.add_argument("--embedding-url", required=True)
    parser.add_argument("--reference-chunks", type=int, default=256,
                        help="chunk texts the embedder embeds alone for the reference rate (default: %(default)s)")
    parser.add_argument("--tune", action="store_true")
    args = parser.parse_args()

    questions = read_questions(args.questions)
    everything = sorted({p for pattern in args.pages.split(",") for p in args.docs.glob(pattern)})
    unknown = sorted({page for _, page in questions if page not in {p.name for p in everything}})
    if unknown:
        raise SystemExit(f"questions name pages outside the corpus: {', '.join(unknown)}")
    pages = [p for p in everything if not args.max_page_chars or text_length(p) <= args.max_page_chars]
    names = {p.name for p in pages}
    asked = [(q, page) for q, page in questions if page in names]
    print(f"{len(pages)} of {len(everything)} pages (text of at most {args.max_page_chars or 'any'} characters), "
          f"{len(asked)} of {len(questions)} questions", flush=True)
    questions = asked
    log_dir = args.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)

    seeded = subprocess.run(
        [args.metachat, "seed-admin", "--email", "eval@example.com", "--label", f"eval-{uuid.uuid4().hex[:8]}",
         "--json"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    admin = {"x-admin-key": json.loads(seeded.stdout)["apiKey"]}
    port = free_port()
    environment = ["env", "HOST=127.0.0.1", f"PORT={port}", "LOG_LEVEL=warning", "RATE_LIMIT_MAX_REQUESTS=1000000000",
                   "DASHBOARD_PORT=off"]
    server = Server("metachat", [*environment, args.metachat, "serve"], os.cpu_count() - 1, log_dir, "eval",
                    port=port, ready_timeout=60)  # fmt: skip
    try:
        tenant = call(port, "POST", "/api/tenants", admin, {
            "name": f"Retrieval eval {uuid.uuid4().hex[:6]}",
            "settings": {"rag": {"textSearchLanguage": args.language}},
        })  # fmt: skip
        key = {"x-api-key": call(port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin,
                                 {"label": "eval"})["apiKey"]}  # fmt: skip
        documents, chunks, seconds = ingest(port, key, pages)
        print(f"ingested {len(pages)} pages ({sum(p.stat().st_size for p in pages) / 1e6:.1f} MB of HTML) into "
              f"{chunks} chunks in {seconds:.1f} s: {chunks / seconds:.1f} chunks/s through the server", flush=True)
        chunk_texts = json.loads(psql(args.database_url, "SELECT coalesce(json_agg(text), '[]') FROM document_chunks "
                                                         f"WHERE tenant_id = '{tenant['id']}'"))  # fmt: skip
        sample = chunk_texts[:args.reference_chunks]
        started = time.monotonic()
        embed(args.embedding_url, sample)
        direct = time.monotonic() - started
        print(f"reference: the embedder alone embeds {len(sample)} of the same chunk texts in {direct:.1f} s: "
              f"{len(sample) / direct:.1f} chunks/s", flush=True)

        results: dict[str, list[int | None]] = {}
        for mode in MODES:
            ranks = []
            for question, page in questions:
                answer = call(port, "POST", "/api/documents/search", key,
                              {"query": question, "topK": 10, "mode": mode})  # fmt: skip
                if answer.get("mode") != mode:
                    raise RuntimeError(f"{mode} ran as {answer.get('mode')}: {answer.get('notice')}")
                found = [documents.get(r["citation"]["documentId"], "") for r in answer.get("results", [])]
                ranks.append(answered_rank(found, page, 10))
            results[mode] = ranks
        print(f"\n{len(questions)} questions over {len(pages)} pages ({chunks} chunks), text search "
              f"configuration {args.language!r}, page-level:")  # fmt: skip
        print(f"{'mode':<10}{'recall@5':>10}{'MRR@10':>10}")
        for mode in MODES:
            recall, mrr = scores(results[mode])
            print(f"{MODE_NAMES[mode]:<10}{recall:>10.3f}{mrr:>10.3f}")
        if args.tune:
            tune(args.database_url, tenant["id"], questions, args.embedding_url, documents)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
