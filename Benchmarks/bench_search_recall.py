"""Recall of the knowledge base's vector search under the tenant filter, at 100,000 chunks over
20 tenants (docs/knowledge-base.md, "Recall under the tenant filter").

The chunks are random unit vectors of 384 dimensions (the offline model's size) in a table shaped
like document_chunks' vector part, with the same cosine HNSW index (pgvector's defaults, as in
migrations/0007). Each of the queries (random unit vectors too, each for one tenant) is answered
three ways, with the statements DocumentRetriever runs:

  exact        the tenant's chunks sorted by distance (what the retriever does for a tenant with
               up to 20,000 chunks of the dimension): the reference
  hnsw ef=100  the HNSW index with the tenant filter applied to its candidates, ef_search 100
               (what the retriever did before)
  hnsw ef=1000 the same at pgvector's largest ef_search (what the retriever does above 20,000)

and prints recall@10 against the exact answer, with each way's mean and p95 latency measured by
PostgreSQL (EXPLAIN ANALYZE execution time).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time


def psql(url: str, sql: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        input=stdin, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


def unit_vector(rng: random.Random, dimension: int) -> list[float]:
    values = [rng.gauss(0, 1) for _ in range(dimension)]
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


def literal(vector: list[float]) -> str:
    return "[" + ",".join(f"{v:.6f}" for v in vector) + "]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    url = args.database_url

    started = time.monotonic()
    psql(url, "DROP TABLE IF EXISTS recall_chunks; CREATE EXTENSION IF NOT EXISTS vector")
    psql(url, f"CREATE TABLE recall_chunks (tenant_id int NOT NULL, id int NOT NULL, embedding vector({args.dimension}), "
              "PRIMARY KEY (tenant_id, id))")  # fmt: skip
    rows = []
    for index in range(args.chunks):
        rows.append(f"{index % args.tenants}\t{index}\t{literal(unit_vector(rng, args.dimension))}")
    psql(url, "COPY recall_chunks FROM STDIN", stdin="\n".join(rows) + "\n")
    psql(url, "CREATE INDEX recall_chunks_hnsw ON recall_chunks USING hnsw (embedding vector_cosine_ops); ANALYZE recall_chunks")
    print(f"loaded {args.chunks} chunks over {args.tenants} tenants and built the index in "
          f"{time.monotonic() - started:.0f} s", flush=True)  # fmt: skip

    k = args.k
    ways = {
        "exact": ("", "SELECT c.id FROM (SELECT id, embedding FROM recall_chunks WHERE tenant_id = {t} OFFSET 0) c "
                      "ORDER BY c.embedding <=> '{v}', c.id LIMIT {k}"),  # fmt: skip
        "hnsw ef=100": ("SET hnsw.ef_search = 100; ", "SELECT id FROM recall_chunks WHERE tenant_id = {t} "
                                                       "ORDER BY embedding <=> '{v}' LIMIT {k}"),  # fmt: skip
        "hnsw ef=1000": ("SET hnsw.ef_search = 1000; ", "SELECT id FROM recall_chunks WHERE tenant_id = {t} "
                                                         "ORDER BY embedding <=> '{v}' LIMIT {k}"),  # fmt: skip
    }
    answers: dict[str, list[list[int]]] = {name: [] for name in ways}
    latencies: dict[str, list[float]] = {name: [] for name in ways}
    for query in range(args.queries):
        tenant = query % args.tenants
        vector = literal(unit_vector(rng, args.dimension))
        for name, (setup, template) in ways.items():
            statement = template.format(t=tenant, v=vector, k=k)
            ids = [int(line) for line in psql(url, setup + statement).split()]
            plan = psql(url, setup + "EXPLAIN (ANALYZE, FORMAT TEXT) " + statement)
            execution = [line for line in plan.splitlines() if line.startswith("Execution Time")]
            latencies[name].append(float(execution[0].split()[2]))
            answers[name].append(ids)

    print(f"\n{args.queries} queries, recall@{k} against the exact answer (tenant share "
          f"{args.chunks // args.tenants} chunks):")  # fmt: skip
    print(f"{'way':<14}{'recall@' + str(k):>10}{'mean ms':>10}{'p95 ms':>10}")
    for name in ways:
        hits = sum(len(set(found) & set(truth)) for found, truth in zip(answers[name], answers["exact"]))
        recall = hits / (k * args.queries)
        values = sorted(latencies[name])
        p95 = values[int(0.95 * (len(values) - 1))]
        print(f"{name:<14}{recall:>10.3f}{statistics.mean(values):>10.2f}{p95:>10.2f}")
    psql(url, "DROP TABLE recall_chunks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
