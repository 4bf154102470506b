"""Driver for scripts/bench-retention.sh: the chat path's latency while a retention run deletes
expired rows, beside the same load with no run, in one invocation (docs/retention.md: runs are
batched so the chat path's p99 stays within 2x of its baseline while one runs).

scripts/bench-retention.sh builds the release binary, starts PostgreSQL and Redis
(scripts/lib/services.sh), migrates, and runs this file with DATABASE_URL, REDIS_URL,
API_KEY_PEPPER and METACHAT_PG_BIN set.

Data, written by SQL and ANALYZEd: --tenants tenants, --conversations conversations and
--messages messages spread over them, --expired-share of the messages older than the 90-day
default; --api-logs API-log rows, the same share older than the 30-day default.
Load: wrk (-t1 -c8, --seconds) on one `metachat serve` POSTing agent replies
(POST /api/conversations/{id}/replies: a message, its event and the conversation's update in one
transaction) round-robin over --targets conversations of a tenant made through the API, pinned to
--client-cpu beside PostgreSQL; the server alone on --server-cpu.
Runs: the baseline (no retention run), then `metachat retention run` started and the same wrk
run while it works. The run must still be working when wrk ends, or the data was too small for
the measurement and the driver fails saying so. Reported: requests/s, p50, p99 and p99.9 of each,
the ratio of the p99s (goal <= 2), and the retention run's rows deleted per table and duration.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench_common import Server, free_port, json_call, markdown, print_plain


def pg_bin(name: str) -> str:
    directory = os.environ.get("METACHAT_PG_BIN", "")
    return str(Path(directory) / name) if directory else name




def fill_sql(tenants: int, conversations: int, messages: int, expired_share: float, api_logs: int) -> str:
    per_conversation = max(1, messages // conversations)
    expired_messages = int(per_conversation * expired_share)
    expired_logs = int(api_logs * expired_share)
    return f"""
SELECT set_config('app.scope', 'admin', false);
INSERT INTO tenants (id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(t::text, 12, '0'))::uuid, 'retention bench ' || t
FROM generate_series(1, {tenants}) t;
INSERT INTO conversations (tenant_id, id, channel_type, external_user_id, status, created_at, updated_at,
                           message_count)
SELECT ('00000000-0000-4000-8000-' || lpad((1 + c % {tenants})::text, 12, '0'))::uuid,
       ('20000000-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid, 'API', 'user-' || c, 'OPEN',
       now() - interval '200 days', now() - (c || ' seconds')::interval, {per_conversation}
FROM generate_series(1, {conversations}) c;
-- The first {expired_messages} messages of each conversation are 100-199 days old, the rest recent.
INSERT INTO messages (tenant_id, conversation_id, event_id, role, text, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad((1 + c % {tenants})::text, 12, '0'))::uuid,
       ('20000000-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid,
       c * {per_conversation} + m, CASE m % 2 WHEN 0 THEN 'USER' ELSE 'ASSISTANT' END,
       'message ' || m || ' about order ' || (c * 10 + m) % 100003,
       CASE WHEN m < {expired_messages} THEN now() - interval '100 days' - ((c + m) % 8640000 || ' seconds')::interval
            ELSE now() - ((c + m) % 86400 || ' seconds')::interval END
FROM generate_series(1, {conversations}) c, generate_series(0, {per_conversation - 1}) m;
INSERT INTO api_logs (occurred_at, tenant_id, method, route, protocol, grpc_code, http_status, latency_us,
                      request_id)
SELECT CASE WHEN n <= {expired_logs} THEN now() - interval '40 days' - (n % 864000 || ' seconds')::interval
            ELSE now() - (n % 86400 || ' seconds')::interval END,
       ('00000000-0000-4000-8000-' || lpad((1 + n % {tenants})::text, 12, '0'))::uuid,
       '/metachat.v1.ConversationService/ListMessages', 'GET /api/conversations/{{conversation_id}}/messages',
       'rest', 0, 200, 900 + n % 400, 'req-' || n
FROM generate_series(1, {api_logs}) n;
ANALYZE conversations;
ANALYZE messages;
ANALYZE api_logs;
"""


def wrk(args, port: int, api_key: str, targets: Path) -> dict:
    output = subprocess.run(
        ["taskset", "-c", str(args.client_cpu), "wrk", "-t1", "-c8", f"-d{args.seconds}s",
         "-s", str(Path(__file__).parent / "wrk_replies.lua"), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True, env={**os.environ, "API_KEY": api_key, "TARGETS": str(targets)},
    ).stdout
    report = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    if any(report["errors"].values()):
        raise RuntimeError(f"wrk: errors {report['errors']}")
    return report


def row(name: str, report: dict) -> list[str]:
    latency = report["latency_us"]
    return [
        name,
        f"{report['requests'] / (report['duration_us'] / 1e6):,.0f}",
        f"{latency['p50'] / 1000:.2f}",
        f"{latency['p99'] / 1000:.2f}",
        f"{latency['p99.9'] / 1000:.2f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--expired-share", type=float, default=0.8)
    parser.add_argument("--api-logs", type=int, default=1_000_000)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    args = parser.parse_args()
    if not 0 < args.expired_share < 1:
        parser.error("--expired-share must be between 0 and 1")
    log_dir = args.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    os.sched_setaffinity(0, {args.client_cpu})

    started = time.monotonic()
    subprocess.run(
        [pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", os.environ["DATABASE_URL"], "-c", "SET statement_timeout = 0",
         "-c", fill_sql(args.tenants, args.conversations, args.messages, args.expired_share, args.api_logs)],
        check=True, capture_output=True,
    )
    print(f"filled in {time.monotonic() - started:.0f} s", file=sys.stderr)
    seeded = subprocess.run(
        [args.metachat, "seed-admin", "--email", "bench@example.com", "--label", f"bench-{uuid.uuid4().hex[:8]}",
         "--json"], capture_output=True, text=True, check=True,
    )
    admin = {"x-admin-key": json.loads(seeded.stdout)["apiKey"]}
    environment = ["env", "HOST=127.0.0.1", "LOG_LEVEL=warning", "RATE_LIMIT_MAX_REQUESTS=1000000000",
                   "RETENTION_CRON=off"]
    port = free_port()
    server = Server("metachat", [*environment, f"PORT={port}", args.metachat, "serve"], args.server_cpu, log_dir,
                    "retention", port=port)
    try:
        tenant = json_call(port, "POST", "/api/tenants", admin, {"name": f"Chat {uuid.uuid4().hex[:6]}"})
        key = json_call(port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin, {"label": "bench"})
        headers = {"x-api-key": key["apiKey"]}
        targets = log_dir / "targets.txt"
        targets.write_text("".join(
            json_call(port, "POST", "/api/conversations", headers, {"externalUserId": f"user-{index}"})["id"] + "\n"
            for index in range(args.targets)
        ))
        wrk(args, port, key["apiKey"], targets)  # warm-up: connections, caches, prepared statements
        baseline = wrk(args, port, key["apiKey"], targets)

        run_log = open(log_dir / "retention.log", "w")
        run_started = time.monotonic()
        retention = subprocess.Popen(
            ["taskset", "-c", str(args.client_cpu), args.metachat, "retention", "run"],
            stdout=run_log, stderr=subprocess.STDOUT, env={**os.environ, "LOG_LEVEL": "warning"},
        )
        during = wrk(args, port, key["apiKey"], targets)
        still_running = retention.poll() is None
        code = retention.wait()
        run_seconds = time.monotonic() - run_started
        run_log.close()
        counts = (log_dir / "retention.log").read_text()
        if code != 0:
            raise RuntimeError(f"retention run failed ({code}):\n{counts}")
        if not still_running:
            raise RuntimeError("the retention run ended before the measurement did: give it more data "
                               f"(--messages, --api-logs)\n{counts}")
    finally:
        server.stop()

    header = ["agent replies (wrk -t1 -c8)", "req/s", "p50 ms", "p99 ms", "p99.9 ms"]
    body = [row("without a retention run (reference)", baseline), row("while a retention run works", during)]
    ratio = during["latency_us"]["p99"] / baseline["latency_us"]["p99"]
    print(f"\nRetention while chatting: {args.messages:,} messages ({args.expired_share:.0%} expired), "
          f"{args.api_logs:,} API-log rows, {args.seconds} s each")
    print_plain(header, body)
    print(markdown(header, body))
    print(f"p99 while running / without: {ratio:.2f} (goal <= 2)")
    print(f"retention run: {run_seconds:.1f} s\n{counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
