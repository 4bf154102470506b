"""Search latency of the knowledge base at 100,000 chunks of 384 dimensions, 8 concurrent
clients, query vectors precomputed: p50/p95 of POST /api/documents/search per mode (text,
vector, hybrid) beside the same SQL run directly by pgbench (docs/benchmarks.md, "Knowledge
base: search latency").

The data: --tenants tenants (created through the API, one key each) share --chunks chunks,
written straight into document_chunks by SQL (one READY document per tenant): random 384-value
vectors and texts of 120 words drawn from a skewed vocabulary of 5,000 made-up words, stored
with to_tsvector('simple', …) as ingestion does for a tenant without a text search language.

The queries: --queries texts of 5 words from the same vocabulary, each with a random vector.
`metachat serve` is configured with an embeddings API on loopback that answers each query text
with its precomputed vector (a dictionary lookup in a small Python server), so the measured time
is the search, not the model.

Through the API: --clients threads, each with its own keep-alive HTTP/1.1 connection, send
searches (topK 5, the tenant's default) for --seconds per mode; the latency is measured by the
client. Directly: pgbench with --clients connections as the server's own role (row-level
security applies), one script per query holding what DocumentRetriever sends for it (the
settings read in its transaction, then the tenant-scoped transaction with the chunk count and the
search statement; values written inline, where the server binds them); latency from pgbench's
per-transaction log. Before timing, each mode's statement is checked to answer the same chunks as
the API for a few queries.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Server, free_port  # noqa: E402

MODES = ("SEARCH_MODE_TEXT", "SEARCH_MODE_VECTOR", "SEARCH_MODE_HYBRID")
MODE_NAMES = {"SEARCH_MODE_TEXT": "text", "SEARCH_MODE_VECTOR": "vector", "SEARCH_MODE_HYBRID": "hybrid"}
MODEL = "bench-384"
DIMENSION = 384
RANK_CONSTANT = 60.0
EXACT_SEARCH_LIMIT = 20_000
VOCABULARY = 5000


def psql(url: str, sql: str) -> str:
    result = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-f", "-"],
                            input=sql, capture_output=True, text=True, timeout=7200)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


def call(port: int, method: str, path: str, headers: dict[str, str], body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    for name, value in headers.items():
        request.add_header(name, value)
    if data is not None:
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


# ---------------------------------------------------------------------------------------------
# The embeddings API that answers precomputed vectors


def serve_vectors(path: Path, port_file: Path) -> None:
    vectors: dict[str, list[float]] = json.loads(path.read_text())

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
            texts = body.get("input", [])
            texts = [texts] if isinstance(texts, str) else texts
            if any(text not in vectors for text in texts):
                answer, status = {"error": {"message": "unknown query text"}}, 400
            else:
                data = [{"object": "embedding", "index": i, "embedding": vectors[t]} for i, t in enumerate(texts)]
                answer = {"object": "list", "model": MODEL, "data": data}
                status = 200
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


# ---------------------------------------------------------------------------------------------
# Data


def load(url: str, tenants: list[str], chunks: int) -> None:
    """One READY document per tenant and `chunks` chunks spread evenly over the tenants."""
    values = ",".join(f"('{t}'::uuid, {i})" for i, t in enumerate(tenants))
    psql(url, f"""
        DROP INDEX IF EXISTS document_chunks_hnsw_384;
        CREATE TEMP TABLE bench_tenants (tenant_id uuid, n int);
        INSERT INTO bench_tenants VALUES {values};
        INSERT INTO documents (tenant_id, title, content_type, size_bytes, sha256, storage_key, status, chunk_count,
                               embedding_model, embedding_dimensions)
            SELECT tenant_id, 'Bench ' || n, 'text/plain', 1, encode(sha256(tenant_id::text::bytea), 'hex'), 'bench',
                   'READY', {chunks // len(tenants)}, '{MODEL}', {DIMENSION}
            FROM bench_tenants;
        INSERT INTO document_chunks (tenant_id, document_id, chunk_index, text, token_count, char_start, char_end,
                                     embedding, dimensions, embedding_model, search_vector)
            SELECT d.tenant_id, d.id, s.i, s.text, 160, 0, length(s.text), s.embedding, {DIMENSION}, '{MODEL}',
                   to_tsvector('simple', s.text)
            FROM bench_tenants b JOIN documents d ON d.tenant_id = b.tenant_id,
            LATERAL (SELECT g.i,
                        (SELECT string_agg('w' || floor(power(random(), 3) * {VOCABULARY})::int, ' ')
                         FROM generate_series(1, 120) WHERE g.i >= 0) AS text,
                        (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, {DIMENSION})
                         WHERE g.i >= 0)::vector AS embedding
                     FROM generate_series(0, {chunks // len(tenants) - 1}) g(i)) s;
        CREATE INDEX document_chunks_hnsw_384 ON document_chunks
            USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dimensions = 384;
        ANALYZE documents; ANALYZE document_chunks;
    """)  # fmt: skip


def make_queries(rng: random.Random, count: int) -> list[tuple[str, list[float]]]:
    queries = []
    for index in range(count):
        words = [f"w{int(rng.random() ** 3 * VOCABULARY)}" for _ in range(5)]
        vector = [rng.uniform(-1, 1) for _ in range(DIMENSION)]
        queries.append((" ".join(words) + f" q{index}", vector))
    return queries


# ---------------------------------------------------------------------------------------------
# The statement DocumentRetriever sends (Sources/Handlers/Documents/Search/DocumentRetriever.swift),
# with its bind values written inline


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def vector_literal(vector: list[float]) -> str:
    return "'[" + ",".join(f"{v:.7g}" for v in vector) + "]'"


def search_script(tenant: str, text: str, vector: list[float], mode: str, exact: bool, top_k: int = 5) -> str:
    candidates = max(40, top_k * 4)
    t, q, v, m = literal(tenant), literal(text), vector_literal(vector), literal(MODEL)
    filters = f"""
         AND (NULL::uuid[] IS NULL OR c.document_id = ANY(NULL::uuid[]))
         AND (NULL::jsonb IS NULL OR c.document_id IN
              (SELECT d.id FROM documents d WHERE d.tenant_id = {t} AND d.metadata @> NULL::jsonb))"""
    use_vector = mode != "SEARCH_MODE_TEXT"
    use_text = mode != "SEARCH_MODE_VECTOR"
    vector_list = "SELECT NULL::uuid AS id, 0::float8 AS vscore, 0::int8 AS vrank WHERE false"
    if use_vector:
        d = DIMENSION
        if exact:
            vector_list = f"""
                SELECT id, 1 - dist AS vscore, row_number() OVER (ORDER BY dist, id) AS vrank FROM (
                    SELECT c.id, (c.embedding::vector({d}) <=> {v}::vector({d}))::float8 AS dist
                    FROM (SELECT c.id, c.embedding FROM document_chunks c
                        WHERE c.tenant_id = {t} AND c.dimensions = {d} AND c.embedding_model = {m}{filters}
                        OFFSET 0) c
                    ORDER BY dist, c.id LIMIT {candidates}) v"""
        else:
            vector_list = f"""
                SELECT id, 1 - dist AS vscore, row_number() OVER (ORDER BY dist, id) AS vrank FROM (
                    SELECT c.id, (c.embedding::vector({d}) <=> {v}::vector({d}))::float8 AS dist
                    FROM document_chunks c
                    WHERE c.tenant_id = {t} AND c.dimensions = {d} AND c.embedding_model = {m}{filters}
                    ORDER BY c.embedding::vector({d}) <=> {v}::vector({d}) LIMIT {candidates}) v"""
    text_list = "SELECT NULL::uuid AS id, 0::float8 AS tscore, 0::int8 AS trank WHERE false"
    if use_text:
        # As DocumentRetriever: any word alone, every word beside the vector list.
        query = (
            f"nullif(plainto_tsquery('simple'::regconfig, {q})::text, '')::tsquery"
            if use_vector
            else f"nullif(replace(plainto_tsquery('simple'::regconfig, {q})::text, ' & ', ' | '), '')::tsquery"
        )
        text_list = f"""
            SELECT id, tscore, row_number() OVER (ORDER BY tscore DESC, id) AS trank FROM (
                SELECT c.id, ts_rank_cd(c.search_vector, q.query)::float8 AS tscore
                FROM document_chunks c,
                    (SELECT {query}
                        AS query) q
                WHERE c.tenant_id = {t} AND q.query IS NOT NULL AND c.search_vector @@ q.query{filters}
                ORDER BY tscore DESC, c.id LIMIT {candidates}) t"""
    maximum = ((1 if use_vector else 0) + (1 if use_text else 0)) / (RANK_CONSTANT + 1)
    statement = f"""
        WITH vec AS ({vector_list}), txt AS ({text_list}),
        fused AS MATERIALIZED (
            SELECT coalesce(vec.id, txt.id) AS id, coalesce(vec.vscore, 0) AS vscore,
                coalesce(txt.tscore, 0) AS tscore, coalesce(vec.vrank, 0) AS vrank, coalesce(txt.trank, 0) AS trank,
                (coalesce(1.0 / ({RANK_CONSTANT} + vec.vrank), 0)
                    + coalesce(1.0 / ({RANK_CONSTANT} + txt.trank), 0))::float8 / {maximum!r}::float8 AS fused
            FROM vec FULL JOIN txt ON vec.id = txt.id
        )
        SELECT c.id, c.document_id, d.title, c.chunk_index, c.text, c.char_start, c.char_end, c.page,
            f.vscore, f.tscore, f.vrank, f.trank, least(1.0, f.fused)::float8 AS fused
        FROM fused f
        JOIN document_chunks c ON c.tenant_id = {t} AND c.id = f.id
        JOIN documents d ON d.tenant_id = {t} AND d.id = c.document_id
        WHERE f.fused >= 0::float8
        ORDER BY f.fused DESC, c.id
        LIMIT {top_k}"""
    settings = f"""SELECT coalesce((settings #>> '{{rag,topK}}')::int, 0) AS top_k,
            coalesce((settings #>> '{{rag,minScore}}')::float8, 0) AS min_score,
            coalesce((SELECT cfgname::text FROM pg_ts_config
                      WHERE cfgname = settings #>> '{{rag,textSearchLanguage}}' LIMIT 1), 'simple') AS language
        FROM tenants WHERE id = {t}"""
    count = f"""SELECT count(*) AS n FROM (
            SELECT 1 FROM document_chunks
            WHERE tenant_id = {t} AND dimensions = {DIMENSION} AND embedding_model = {m}
            LIMIT {EXACT_SEARCH_LIMIT + 1}) s"""
    scope = f"SELECT set_config('app.tenant_id', {t}, true)"
    lines = ["BEGIN;", scope + ";", " ".join(settings.split()) + ";", "COMMIT;", "BEGIN;", scope + ";"]
    if use_vector:
        lines.append(" ".join(count.split()) + ";")
        if not exact:
            lines.append("SET LOCAL hnsw.ef_search = 1000;")
    lines += [" ".join(statement.split()) + ";", "COMMIT;"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Load


def api_run(port: int, work: list[tuple[dict[str, str], str]], mode: str, clients: int, seconds: float,
            warmup: float) -> tuple[list[float], int]:
    """Latencies (ms) of the searches that started after the warm-up, and the errors."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def client(index: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        position = index
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            headers, query = work[position % len(work)]
            position += clients
            body = json.dumps({"query": query, "mode": mode, "topK": 5})
            began = time.monotonic()
            connection.request("POST", "/api/documents/search", body=body,
                               headers={**headers, "content-type": "application/json"})  # fmt: skip
            response = connection.getresponse()
            response.read()
            ended = time.monotonic()
            if response.status != 200:
                errors[index] += 1
            elif began >= measure_from:
                latencies[index].append((ended - began) * 1000)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [value for values in latencies for value in values], sum(errors)


def pgbench_run(url: str, scripts: list[Path], clients: int, seconds: float, log_dir: Path,
                tag: str) -> list[float]:
    """Latencies (ms) of pgbench transactions (one script = one search)."""
    prefix = log_dir / f"pgbench-{tag}"
    command = ["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
               "-T", str(int(seconds)), "-l", "--log-prefix", str(prefix)]  # fmt: skip
    for script in scripts:
        command += ["-f", f"{script}@1"]
    result = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds * 4 + 120)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed: {result.stderr[-2000:]}")
    latencies = []
    for log in log_dir.glob(f"pgbench-{tag}.*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3:
                latencies.append(int(fields[2]) / 1000)
        log.unlink()
    return latencies


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--database-url", help="the server's role (DATABASE_URL)")
    parser.add_argument("--superuser-url")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--queries", type=int, default=100, help="at most 128 (pgbench's script limit)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--serve-vectors", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_vectors:
        serve_vectors(args.serve_vectors, args.port_file)
        return 0
    if not (args.metachat and args.data_dir and args.database_url and args.superuser_url):
        parser.error("--metachat, --data-dir, --database-url and --superuser-url are required")
    if not 1 <= args.queries <= 128:
        parser.error("--queries must be 1..128")
    rng = random.Random(args.seed)
    log_dir = args.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    cpus = f"0-{(os.cpu_count() or 1) - 1}"

    queries = make_queries(rng, args.queries)
    vectors_path = args.data_dir / "query-vectors.json"
    vectors_path.write_text(json.dumps({text: vector for text, vector in queries}))
    port_file = args.data_dir / "vectors.port"
    embedder = subprocess.Popen([sys.executable, __file__, "--serve-vectors", str(vectors_path),
                                 "--port-file", str(port_file)])  # fmt: skip
    server = None
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text()):
            if embedder.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the vector server did not start")
            time.sleep(0.05)  # waiting for the port file (a condition with a deadline)
        embedding_url = f"http://127.0.0.1:{port_file.read_text()}/v1"

        seeded = subprocess.run(
            [args.metachat, "seed-admin", "--email", "bench@example.com", "--label",
             f"bench-{uuid.uuid4().hex[:8]}", "--json"], capture_output=True, text=True, check=True,
        )  # fmt: skip
        admin = {"x-admin-key": json.loads(seeded.stdout)["apiKey"]}
        port = free_port()
        environment = ["env", "HOST=127.0.0.1", f"PORT={port}", "LOG_LEVEL=warning",
                       "RATE_LIMIT_MAX_REQUESTS=1000000000", "DASHBOARD_PORT=off",
                       f"EMBEDDING_BASE_URL={embedding_url}", f"EMBEDDING_MODEL={MODEL}", "INGEST_WORKERS=1"]  # fmt: skip
        server = Server("metachat", [*environment, args.metachat, "serve"], cpus, log_dir, "search", port=port,
                        ready_timeout=60)  # fmt: skip
        tenants, keys = [], []
        for index in range(args.tenants):
            tenant = call(port, "POST", "/api/tenants", admin, {"name": f"Search bench {index} {uuid.uuid4().hex[:6]}"})
            tenants.append(tenant["id"])
            keys.append({"x-api-key": call(port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin,
                                           {"label": "bench"})["apiKey"]})  # fmt: skip
        started = time.monotonic()
        load(args.superuser_url, tenants, args.chunks)
        per_tenant = args.chunks // args.tenants
        exact = per_tenant <= EXACT_SEARCH_LIMIT
        print(f"loaded {per_tenant * args.tenants} chunks ({DIMENSION} dimensions) over {args.tenants} tenants "
              f"({per_tenant} each: the vector half is {'an exact scan' if exact else 'the HNSW index'}) and "
              f"built the index in {time.monotonic() - started:.0f} s", flush=True)

        work = [(keys[i % args.tenants], text) for i, (text, _) in enumerate(queries)]
        scripts: dict[str, list[Path]] = {}
        for mode in MODES:
            scripts[mode] = []
            for index, (text, vector) in enumerate(queries):
                path = args.data_dir / f"{MODE_NAMES[mode]}-{index}.sql"
                path.write_text(search_script(tenants[index % args.tenants], text, vector, mode, exact))
                scripts[mode].append(path)
            # The same answers: the statement's chunks equal the API's for the first queries.
            for index in range(min(5, len(queries))):
                text = queries[index][0]
                answer = call(port, "POST", "/api/documents/search", keys[index % args.tenants],
                              {"query": text, "mode": mode, "topK": 5})  # fmt: skip
                api_ids = [r["citation"]["chunkId"] for r in answer.get("results", [])]
                output = psql(args.database_url, scripts[mode][index].read_text())
                sql_ids = [line.split("|")[0] for line in output.splitlines() if line.count("|") >= 12]
                if api_ids != sql_ids:
                    raise RuntimeError(f"{MODE_NAMES[mode]} query {index}: the API answered {api_ids}, "
                                       f"the statement {sql_ids}")  # fmt: skip

        rows = []
        for mode in MODES:
            api, errors = api_run(port, work, mode, args.clients, args.seconds, args.warmup)
            server.check_alive(f"during the {MODE_NAMES[mode]} run")
            direct = pgbench_run(args.database_url, scripts[mode], args.clients, args.seconds, log_dir,
                                 MODE_NAMES[mode])  # fmt: skip
            rows.append((MODE_NAMES[mode], api, errors, direct))
            print(f"{MODE_NAMES[mode]}: API {len(api)} searches ({errors} errors), pgbench {len(direct)}", flush=True)

        print(f"\n{args.clients} concurrent clients, {args.seconds:.0f} s per run, {len(queries)} queries, topK 5; "
              "latency in ms")  # fmt: skip
        print(f"{'mode':<8}{'API /s':>9}{'API p50':>9}{'API p95':>9}{'SQL /s':>9}{'SQL p50':>9}{'SQL p95':>9}")
        for name, api, errors, direct in rows:
            print(f"{name:<8}{len(api) / args.seconds:>9.0f}{percentile(api, 50):>9.2f}{percentile(api, 95):>9.2f}"
                  f"{len(direct) / args.seconds:>9.0f}{percentile(direct, 50):>9.2f}{percentile(direct, 95):>9.2f}")
        print(f"(mean API latency per mode: "
              f"{', '.join(f'{n} {statistics.mean(a):.2f}' for n, a, _, _ in rows)})")  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        embedder.terminate()
        embedder.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
