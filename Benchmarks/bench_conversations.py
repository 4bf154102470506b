"""Driver for scripts/bench-conversations.sh: the conversation event stream's fan-out and the
listing RPCs at scale, each beside a reference measured in the same invocation.

scripts/bench-conversations.sh builds the release binary, starts PostgreSQL and Redis
(scripts/lib/services.sh), migrates, and runs this file with DATABASE_URL, REDIS_URL,
API_KEY_PEPPER and METACHAT_PG_BIN set.

Fan-out (two `metachat serve` on one PostgreSQL and Redis, as two nodes):
  node B, pinned alone to --server-cpu, holds --watchers SSE watchers (GET
  /api/conversations/events), spread evenly over --tenants tenants; node A, the producer, the
  watchers' client, PostgreSQL and Redis share --client-cpu. The producer posts --rate agent
  replies per second on node A (POST /api/conversations/{id}/replies), round-robin over the
  tenants, each reply's text carrying the producer's CLOCK_MONOTONIC time at the request's start.
  Delivery latency = the time the watcher read the event minus that start, so it includes the
  commit on node A, the Redis hop and node B's write. Reported: p50, p99 and max over every
  delivery of --seconds after a warm-up, deliveries against the expected count, node B's CPU per
  delivered event, its resident memory per idle watcher (VmRSS with every watcher connected and
  idle minus VmRSS before any connected, divided by --watchers), and the watchers' client's own
  CPU use (a saturated client would inflate the latency).
  Reference: the same watchers on a plain Redis SUBSCRIBE each (one connection per watcher,
  the same client code) fed by the same paced producer PUBLISHing the same bytes: the fan-out
  floor of the transport this stream rides on.

Listing (100,000 conversations, 1,000,000 messages, 50 tenants, written by SQL, ANALYZEd):
  wrk (-t1 -c8, --list-seconds) on node B: GET /api/conversations?pageSize=50 and GET
  /api/conversations/{id}/messages?pageSize=50 with a tenant key; reference: pgbench (-c8 -j1,
  the same duration) running the statements those handlers run (the tenant scope, the same
  SELECT with the same ORDER BY and LIMIT) straight against PostgreSQL. p50 and p99 of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench_common import CLK_TCK, Server, cpu_ticks, free_port, markdown, print_plain

MARKER = re.compile(rb"bench (\d+) ")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def call(port: int, method: str, path: str, headers: dict[str, str], body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    for name, value in headers.items():
        request.add_header(name, value)
    if data is not None:
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# ---------------------------------------------------------------------------------------------
# Watchers


class Deliveries:
    """Latencies of the deliveries read inside the measuring window."""

    def __init__(self):
        self.measuring = False
        self.latencies_us: list[float] = []
        self.connected = 0
        self.failures: list[str] = []

    def record(self, line: bytes) -> None:
        if not self.measuring:
            return
        match = MARKER.search(line)
        if match:
            self.latencies_us.append((time.monotonic_ns() - int(match.group(1))) / 1000)


async def sse_watcher(port: int, api_key: str, deliveries: Deliveries, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /api/conversations/events HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n"
        f"x-api-key: {api_key}\r\n\r\n".encode()
    )
    status = await reader.readline()
    if b" 200 " not in status:
        deliveries.failures.append(status.decode(errors="replace").strip())
        writer.close()
        return
    deliveries.connected += 1
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                deliveries.failures.append("stream ended")
                return
            if line.startswith(b"data:"):
                deliveries.record(line)
    finally:
        writer.close()


async def redis_watcher(port: int, channel: str, deliveries: Deliveries, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"SUBSCRIBE {channel}\r\n".encode())
    # The confirmation, six lines: *3, $9, subscribe, $<n>, the channel, :1.
    for _ in range(6):
        await reader.readline()
    deliveries.connected += 1
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                deliveries.failures.append("redis connection ended")
                return
            deliveries.record(line)
    finally:
        writer.close()


# ---------------------------------------------------------------------------------------------
# Producers


async def http_producer(port: int, targets: list[tuple[str, str]], rate: float, stop: asyncio.Event, body_pad: str):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = time.monotonic()
    sent = 0
    while not stop.is_set():
        due = start + sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the producer, not synchronising a test
        api_key, conversation = targets[sent % len(targets)]
        body = json.dumps({"text": f"bench {time.monotonic_ns()} {body_pad}", "agentId": "bench"}).encode()
        writer.write(
            f"POST /api/conversations/{conversation}/replies HTTP/1.1\r\nhost: bench\r\n"
            f"content-type: application/json\r\nx-api-key: {api_key}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        if b" 200 " not in status:
            raise RuntimeError(f"reply refused: {status!r}")
        sent += 1
    writer.close()


async def redis_producer(port: int, channels: list[str], rate: float, stop: asyncio.Event, payload_pad: str):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = time.monotonic()
    sent = 0
    while not stop.is_set():
        due = start + sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the producer
        payload = f"bench {time.monotonic_ns()} {payload_pad}".encode()
        channel = channels[sent % len(channels)].encode()
        writer.write(
            b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(channel), channel, len(payload), payload)
        )
        await reader.readline()
        sent += 1
    writer.close()


# ---------------------------------------------------------------------------------------------
# Fan-out


async def fan_out(args, node_b: Server | None, watch, produce) -> dict:
    deliveries = Deliveries()
    stop = asyncio.Event()
    rss_before = rss_kib(node_b.pid) if node_b else 0
    client_cpu_start = time.process_time()
    watchers = [asyncio.create_task(watch(i, deliveries, stop)) for i in range(args.watchers)]
    deadline = time.monotonic() + 60
    while deliveries.connected + len(deliveries.failures) < args.watchers and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # waiting for connections, bounded
    if deliveries.failures or deliveries.connected < args.watchers:
        raise RuntimeError(f"{deliveries.connected} watchers connected; failures: {deliveries.failures[:3]}")
    await asyncio.sleep(1)  # let the idle connections settle before reading memory
    rss_idle = rss_kib(node_b.pid) if node_b else 0
    producer = asyncio.create_task(produce(stop))
    await asyncio.sleep(args.warmup)
    server_ticks = cpu_ticks(node_b.pid) if node_b else 0
    client_cpu = time.process_time()
    deliveries.measuring = True
    started = time.monotonic()
    await asyncio.sleep(args.seconds)
    deliveries.measuring = False
    elapsed = time.monotonic() - started
    server_ticks = (cpu_ticks(node_b.pid) - server_ticks) if node_b else 0
    client_cpu = time.process_time() - client_cpu
    stop.set()
    await producer
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    count = len(deliveries.latencies_us)
    expected = args.rate * elapsed * (args.watchers / args.tenants)
    return {
        "deliveries": count,
        "expected": expected,
        "p50_ms": percentile(deliveries.latencies_us, 50) / 1000,
        "p99_ms": percentile(deliveries.latencies_us, 99) / 1000,
        "max_ms": max(deliveries.latencies_us, default=float("nan")) / 1000,
        "cpu_us_per_delivery": server_ticks / CLK_TCK * 1e6 / count if count and node_b else float("nan"),
        "rss_kib_per_idle_watcher": (rss_idle - rss_before) / args.watchers if node_b else float("nan"),
        "client_cpu_share": client_cpu / elapsed,
        "setup_cpu_s": time.process_time() - client_cpu_start,
    }


# ---------------------------------------------------------------------------------------------
# Listing


LIST_FILL = """
SELECT set_config('app.scope', 'admin', false);
INSERT INTO tenants (id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(t::text, 12, '0'))::uuid, 'bench ' || t FROM generate_series(1, 50) t;
INSERT INTO conversations (tenant_id, id, channel_type, external_user_id, status, created_at, updated_at,
                           message_count)
SELECT ('00000000-0000-4000-8000-' || lpad((1 + c % 50)::text, 12, '0'))::uuid,
       ('10000000-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid, 'API', 'user-' || (c % 5000),
       CASE WHEN c % 10 < 5 THEN 'RESOLVED' ELSE 'OPEN' END,
       now() - (c || ' seconds')::interval, now() - (c || ' seconds')::interval, 10
FROM generate_series(1, 100000) c;
INSERT INTO messages (tenant_id, conversation_id, event_id, role, text, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad((1 + c % 50)::text, 12, '0'))::uuid,
       ('10000000-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid,
       c * 10 + m, CASE m % 2 WHEN 0 THEN 'USER' ELSE 'ASSISTANT' END,
       'message ' || m || ' about order ' || (c * 10 + m) % 100003, now() - ((c * 10 + m) || ' seconds')::interval
FROM generate_series(1, 100000) c, generate_series(1, 10) m;
ANALYZE conversations;
ANALYZE messages;
"""
LIST_TENANT = "00000000-0000-4000-8000-000000000007"
# A conversation of that tenant (1 + 6 % 50 = 7).
LIST_CONVERSATION = "10000000-0000-4000-8000-000000000006"

CONVERSATION_COLUMNS = (
    "tenant_id, id, channel_type, channel_id, external_user_id, status, assignee_id, title, metadata, "
    "message_count, escalated, escalation_reason, needs_review, last_message_at, last_event_id, created_at, "
    "updated_at, closed_at, (extract(epoch FROM updated_at) * 1000000)::int8 AS updated_micros"
)
MESSAGE_COLUMNS = (
    "tenant_id, id, conversation_id, event_id, role, text, author_id, details, needs_review, delivery_status, "
    "delivery_error, external_message_id, idempotency_key, created_at"
)
SCOPE = f"SELECT set_config('app.tenant_id', '{LIST_TENANT}', true);"
PGBENCH_SCRIPTS = {
    "ListConversations": f"""BEGIN;
{SCOPE}
SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = '{LIST_TENANT}'
  ORDER BY updated_at DESC, id DESC LIMIT 51;
COMMIT;
""",
    "ListMessages": f"""BEGIN;
{SCOPE}
SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = '{LIST_TENANT}' AND id = '{LIST_CONVERSATION}';
SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = '{LIST_TENANT}'
  AND conversation_id = '{LIST_CONVERSATION}' AND event_id > 0 ORDER BY event_id LIMIT 51;
COMMIT;
""",
}
WRK_PATHS = {
    "ListConversations": "/api/conversations?pageSize=50",
    "ListMessages": f"/api/conversations/{LIST_CONVERSATION}/messages?pageSize=50",
}


def pg_bin(name: str) -> str:
    directory = os.environ.get("METACHAT_PG_BIN", "")
    return str(Path(directory) / name) if directory else name


def listing(args, node_b: Server, api_key: str, log_dir: Path) -> list[list[str]]:
    rows = []
    for name, path in WRK_PATHS.items():
        output = subprocess.run(
            ["taskset", "-c", str(args.client_cpu), "wrk", "-t1", "-c8", f"-d{args.list_seconds}s",
             "-s", str(Path(__file__).parent / "wrk_report.lua"), "-H", f"x-api-key: {api_key}",
             f"http://127.0.0.1:{node_b.port}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout
        report = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
        errors = report["errors"]
        if any(errors.values()):
            raise RuntimeError(f"wrk {name}: errors {errors}")
        with tempfile.TemporaryDirectory(dir=log_dir) as directory:
            script = Path(directory) / "script.sql"
            script.write_text(PGBENCH_SCRIPTS[name])
            subprocess.run(
                ["taskset", "-c", str(args.client_cpu), pg_bin("pgbench"), "-n", "-c8", "-j1",
                 f"-T{args.list_seconds}", "-f", str(script), "-l", "--log-prefix", str(Path(directory) / "log"),
                 os.environ["DATABASE_URL"]],
                capture_output=True, text=True, check=True,
            )
            latencies = []
            for log in Path(directory).glob("log*"):
                latencies += [int(line.split()[2]) for line in log.read_text().splitlines()]
        rows.append([
            name,
            f"{report['requests'] / (report['duration_us'] / 1e6):,.0f}",
            f"{report['latency_us']['p50'] / 1000:.2f}",
            f"{report['latency_us']['p99'] / 1000:.2f}",
            f"{len(latencies) / args.list_seconds:,.0f}",
            f"{percentile(latencies, 50) / 1000:.2f}",
            f"{percentile(latencies, 99) / 1000:.2f}",
        ])
    return rows


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--watchers", type=int, default=2000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--list-seconds", type=int, default=10)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--skip-listing", action="store_true")
    args = parser.parse_args()
    if args.watchers % args.tenants:
        parser.error("--watchers must be a multiple of --tenants")
    log_dir = args.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    os.sched_setaffinity(0, {args.client_cpu})

    seeded = subprocess.run(
        [args.metachat, "seed-admin", "--email", "bench@example.com", "--label", f"bench-{uuid.uuid4().hex[:8]}",
         "--json"], capture_output=True, text=True, check=True,
    )
    admin = {"x-admin-key": json.loads(seeded.stdout)["apiKey"]}
    environment = ["env", "HOST=127.0.0.1", "LOG_LEVEL=warning", "RATE_LIMIT_MAX_REQUESTS=1000000000",
                   "SSE_HEARTBEAT_SECONDS=15"]
    port_a, port_b = free_port(), free_port()
    node_a = Server("node-a", [*environment, f"PORT={port_a}", args.metachat, "serve"], args.client_cpu, log_dir,
                    "fanout", port=port_a)
    node_b = Server("node-b", [*environment, f"PORT={port_b}", args.metachat, "serve"], args.server_cpu, log_dir,
                    "fanout", port=port_b)
    try:
        targets = []
        for index in range(args.tenants):
            tenant = call(port_a, "POST", "/api/tenants", admin, {"name": f"Fan-out {index} {uuid.uuid4().hex[:6]}"})
            key = call(port_a, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin, {"label": "bench"})
            headers = {"x-api-key": key["apiKey"]}
            conversation = call(port_a, "POST", "/api/conversations", headers, {"externalUserId": "bench"})
            targets.append((key["apiKey"], conversation["id"]))
        pad = "x" * 64

        async def run_metachat():
            return await fan_out(
                args, node_b,
                lambda i, d, s: sse_watcher(port_b, targets[i % args.tenants][0], d, s),
                lambda s: http_producer(port_a, targets, args.rate, s, pad),
            )

        metachat = asyncio.run(run_metachat())
        redis_port = int(os.environ["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])

        async def run_redis():
            return await fan_out(
                args, None,
                lambda i, d, s: redis_watcher(redis_port, f"bench-fanout-{i % args.tenants}", d, s),
                lambda s: redis_producer(
                    redis_port, [f"bench-fanout-{t}" for t in range(args.tenants)], args.rate, s, pad),
            )

        reference = asyncio.run(run_redis())
        header = ["fan-out", "deliveries / expected", "p50 ms", "p99 ms", "max ms", "server µs CPU / delivery",
                  "server KiB / idle watcher", "client CPU share"]
        body = []
        for name, result in (("MetaChat SSE (node A → node B)", metachat), ("Redis SUBSCRIBE (reference)", reference)):
            body.append([
                name, f"{result['deliveries']:,} / {result['expected']:,.0f}", f"{result['p50_ms']:.2f}",
                f"{result['p99_ms']:.2f}", f"{result['max_ms']:.2f}", f"{result['cpu_us_per_delivery']:.1f}",
                f"{result['rss_kib_per_idle_watcher']:.1f}", f"{result['client_cpu_share']:.0%}",
            ])
        print(f"\nFan-out: {args.watchers} watchers over {args.tenants} tenants, {args.rate:g} events/s, "
              f"{args.seconds:g} s measured")
        print_plain(header, body)
        print(markdown(header, body))

        if not args.skip_listing:
            subprocess.run([pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", os.environ["DATABASE_URL"], "-c",
                            "SET statement_timeout = 0", "-c", LIST_FILL], check=True, capture_output=True)
            key = call(port_a, "POST", f"/api/security/tenants/{LIST_TENANT}/api-keys", admin, {"label": "list"})
            rows = listing(args, node_b, key["apiKey"], log_dir)
            header = ["listing (100k conversations, 1M messages, 50 tenants)", "MetaChat REST req/s", "p50 ms",
                      "p99 ms", "pgbench tx/s", "p50 ms", "p99 ms"]
            print("\nListing")
            print_plain(header, rows)
            print(markdown(header, rows))
    finally:
        node_a.stop()
        node_b.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
