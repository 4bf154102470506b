"""Driver for scripts/bench-outbox.sh: what the outbox costs on the request path, and how fast its
relays deliver, each beside a reference measured in the same invocation.

scripts/bench-outbox.sh builds the release binary, starts PostgreSQL and Redis
(scripts/lib/services.sh) and RabbitMQ (scripts/lib/rabbitmq.sh), migrates, and runs this file
with DATABASE_URL, REDIS_URL, API_KEY_PEPPER, SECRETS_ENCRYPTION_KEY, RABBITMQ_TEST_URL and
METACHAT_PG_BIN set.

Request path: pgbench (-c1, then -c8 -j1, --seconds each) runs the transaction ConversationLedger.create
runs for one tenant (its scope, the event-counter bump, the conversation, the durable event)
without and with the outbox row (the one extra statement ConversationEventLog.append sends: the
insert and its NOTIFY). p50/p99 of both and the difference. The tenant's counter row serialises
its writers, so the extra statement's time is held under that lock: the p99 shows what it costs
a busy tenant.

Webhook delivery: one `metachat serve` (release, OUTBOUND_ALLOW_CIDRS=127.0.0.0/8), --endpoints
endpoints of one tenant on a local nginx answering 204; --events events inserted straight into
the outbox (bodies of a real conversation.created event's size), then timed until every delivery
is SUCCEEDED. Reference: wrk POSTing the same body to the same nginx with 64 connections (the
receiver's own rate).

RabbitMQ: the same server with RABBITMQ_URL; --events more events timed until all are published
(confirmed). Reference: pika publishing the same bodies in batches of 200 with publisher confirms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import free_port, markdown, print_plain  # noqa: E402

BODY = json.dumps({
    "type": "conversation.created",
    "timestamp": "2026-12-07T08:00:00.000Z",
    "data": {
        "eventId": "1", "tenantId": "00000000-0000-0000-0000-000000000000",
        "conversationId": "00000000-0000-0000-0000-000000000000", "occurredAt": "2026-12-07T08:00:00.000Z",
        "conversationCreated": {"conversation": {
            "id": "00000000-0000-0000-0000-000000000000", "tenantId": "00000000-0000-0000-0000-000000000000",
            "channelType": "CHANNEL_TYPE_API", "externalUserId": "bench-user", "status": "CONVERSATION_STATUS_OPEN",
            "title": "A conversation of typical size", "metadata": {"source": "bench", "campaign": "winter"},
            "createdAt": "2026-12-07T08:00:00.000Z", "updatedAt": "2026-12-07T08:00:00.000Z", "lastEventId": "1",
        }},
    },
}, separators=(",", ":"))


def pg_bin(name: str) -> str:
    directory = os.environ.get("METACHAT_PG_BIN", "")
    return str(Path(directory) / name) if directory else name


def psql(sql: str) -> str:
    result = subprocess.run([pg_bin("psql"), os.environ["DATABASE_URL"], "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def request_path(args, tenant: str, directory: Path) -> list[list[str]]:
    payload = "\\x" + ("ab" * 300)
    body = BODY.replace("'", "''")
    common = f"""
BEGIN;
SELECT set_config('app.tenant_id', '{tenant}', true);
INSERT INTO conversation_event_counters AS c (tenant_id, last_event_id) VALUES ('{tenant}', 1)
    ON CONFLICT (tenant_id) DO UPDATE SET last_event_id = c.last_event_id + 1;
WITH c AS (INSERT INTO conversations (tenant_id, channel_type, external_user_id, last_event_id)
           VALUES ('{tenant}', 'API', 'bench', 1) RETURNING id)
INSERT INTO conversation_events (tenant_id, id, conversation_id, kind, payload)
SELECT '{tenant}', (SELECT last_event_id FROM conversation_event_counters WHERE tenant_id = '{tenant}'), c.id,
       'conversation_created', '{payload}'::bytea FROM c;
"""
    outbox = f"""WITH stored AS (INSERT INTO outbox_events (id, tenant_id, event_type, body)
    VALUES (gen_random_uuid(), '{tenant}', 'conversation.created', '{body}')) SELECT pg_notify('outbox', '');
"""
    rows = []
    for clients in (1, 8):
        rows += request_path_at(args, directory, clients, common, outbox)
    return rows


def request_path_at(args, directory: Path, clients: int, common: str, outbox: str) -> list[list[str]]:
    rows, results = [], {}
    for name, script in [(f"-c{clients} without the outbox row (reference)", common + "COMMIT;\n"),
                         (f"-c{clients} with the outbox row", common + outbox + "COMMIT;\n")]:
        with tempfile.TemporaryDirectory(dir=directory) as work:
            path = Path(work) / "script.sql"
            path.write_text(script)
            subprocess.run([pg_bin("pgbench"), "-n", f"-c{clients}", "-j1", f"-T{args.seconds}", "-f", str(path), "-l",
                            "--log-prefix", str(Path(work) / "log"), os.environ["DATABASE_URL"]],
                           capture_output=True, text=True, check=True)
            latencies = []
            for log in Path(work).glob("log*"):
                latencies += [int(line.split()[2]) / 1000 for line in log.read_text().splitlines()]
        results[name] = latencies
        rows.append([name, f"{len(latencies) / args.seconds:,.0f}", f"{percentile(latencies, 50):.2f}",
                     f"{percentile(latencies, 99):.2f}"])
    reference, measured = results.values()
    rows.append([f"-c{clients} added by the outbox row", "",
                 f"{percentile(measured, 50) - percentile(reference, 50):+.2f}",
                 f"{percentile(measured, 99) - percentile(reference, 99):+.2f}"])
    return rows


@contextlib.contextmanager
def nginx(directory: Path):
    port = free_port()
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/logs/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    server {{
        listen 127.0.0.1:{port};
        keepalive_requests 1000000;
        location / {{ return 204; }}
    }}
}}
""")
    process = subprocess.Popen(["nginx", "-p", str(directory), "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/", data=b"{}"), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # paces the readiness polling
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def metachat(binary: str, directory: Path, **environment):
    port = free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="warning", RATE_LIMIT_MAX_REQUESTS="100000000",
               OUTBOUND_ALLOW_CIDRS="127.0.0.0/8", **environment)
    with open(directory / f"serve-{port}.log", "wb") as log:
        process = subprocess.Popen([binary, "serve"], env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # paces the readiness polling
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def post(port: int, path: str, headers: dict, body: dict) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                     headers=dict(headers, **{"content-type": "application/json"}), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def insert_events(tenant: str, count: int) -> None:
    body = BODY.replace("'", "''")
    psql(f"""SET app.scope = 'admin';
INSERT INTO outbox_events (id, tenant_id, event_type, body)
SELECT gen_random_uuid(), '{tenant}', 'conversation.created', '{body}' FROM generate_series(1, {count});
SELECT pg_notify('outbox', '');""")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def wait_count(sql: str, wanted: int, timeout_s: float) -> float:
    started = time.monotonic()
    while int(psql("SET app.scope = 'admin'; " + sql).splitlines()[-1]) < wanted:
        if time.monotonic() - started > timeout_s:
            raise RuntimeError(f"timed out: {sql}")
        time.sleep(0.1)  # paces the polling of work the relays do on their own
    return time.monotonic() - started


def wait_drained(sql: str, timeout_s: float) -> float:
    """Seconds until `sql` (a cheap existence probe) returns no row."""
    started = time.monotonic()
    while psql("SET app.scope = 'admin'; " + sql).splitlines()[-1:] not in ([], [""]):
        if time.monotonic() - started > timeout_s:
            raise RuntimeError(f"timed out: {sql}")
        time.sleep(0.1)  # paces the polling of work the relays do on their own
    return time.monotonic() - started


def deliveries(args, binary: str, directory: Path) -> list[list[str]]:
    rows = []
    with nginx(directory / "nginx") as receiver, metachat(binary, directory) as (port, pid):
        admin = json.loads(subprocess.run([binary, "seed-admin", "--email", "bench@example.com", "--label",
                                           f"bench-{uuid.uuid4().hex[:8]}", "--json"], capture_output=True,
                                          text=True, check=True).stdout)["apiKey"]
        tenant = post(port, "/api/tenants", {"x-admin-key": admin}, {"name": "Bench"})["id"]
        key = post(port, f"/api/security/tenants/{tenant}/api-keys", {"x-admin-key": admin}, {"label": "b"})["apiKey"]
        for n in range(args.endpoints):
            post(port, "/api/webhooks", {"x-api-key": key}, {"url": f"http://127.0.0.1:{receiver}/hook/{n}"})
        psql("SET app.scope = 'admin'; DELETE FROM outbox_events;")
        insert_events(tenant, args.events)
        wanted = args.events * args.endpoints
        cpu_before = process_cpu_seconds(pid)
        # Polled by an existence probe of the partial indexes of work left (events not fanned
        # out, deliveries pending or sending): counting the succeeded ones every 100 ms cost
        # PostgreSQL more the further the run got.
        elapsed = wait_drained(
            "SELECT 1 FROM (SELECT 1 FROM outbox_events WHERE fanned_out_at IS NULL LIMIT 1) e "
            "UNION ALL SELECT 1 FROM (SELECT 1 FROM webhook_deliveries "
            "WHERE status = 'PENDING' AND webhook_id IS NOT NULL LIMIT 1) p "
            "UNION ALL SELECT 1 FROM (SELECT 1 FROM webhook_deliveries "
            "WHERE status = 'SENDING' AND lease_until > '-infinity' LIMIT 1) s", 600)
        cpu = process_cpu_seconds(pid) - cpu_before
        succeeded = int(psql(f"SET app.scope = 'admin'; SELECT count(*) FROM webhook_deliveries "
                             f"WHERE tenant_id = '{tenant}' AND status = 'SUCCEEDED'").splitlines()[-1])
        if succeeded != wanted:
            raise RuntimeError(f"{succeeded} of {wanted} deliveries succeeded")
        rows.append([f"metachat: {args.events:,} events to {args.endpoints} endpoints", f"{wanted / elapsed:,.0f}",
                     f"{elapsed:.1f}", f"{cpu / wanted * 1e6:,.0f}"])
        script = directory / "post.lua"
        script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(BODY)}\n'
                          'wrk.headers["content-type"] = "application/json"\n')
        output = subprocess.run(["wrk", "-t2", "-c64", f"-d{args.seconds}s", "-s", str(script),
                                 f"http://127.0.0.1:{receiver}/hook/0"], capture_output=True, text=True,
                                check=True).stdout
        rate = next(line for line in output.splitlines() if line.startswith("Requests/sec")).split()[1]
        rows.append(["reference: wrk POSTing the same body to the same nginx (64 connections)",
                     f"{float(rate):,.0f}", f"{args.seconds}", ""])
    return rows


def rabbitmq(args, binary: str, directory: Path) -> list[list[str]]:
    import pika

    url = os.environ["RABBITMQ_TEST_URL"]
    rows = []
    with metachat(binary, directory, RABBITMQ_URL=url) as (port, _):
        admin = json.loads(subprocess.run([binary, "seed-admin", "--email", "bench-bus@example.com", "--label",
                                           f"bus-{uuid.uuid4().hex[:8]}", "--json"], capture_output=True,
                                          text=True, check=True).stdout)["apiKey"]
        tenant = post(port, "/api/tenants", {"x-admin-key": admin}, {"name": "Bus"})["id"]
        # Only this phase's events: the webhook phase's are gone, the tenant's own is published first.
        psql("SET app.scope = 'admin'; DELETE FROM outbox_events WHERE tenant_id <> '" + tenant + "'")
        wait_count(f"SELECT count(*) FROM outbox_events WHERE tenant_id = '{tenant}' AND published_at IS NOT NULL", 1, 60)
        insert_events(tenant, args.events)
        elapsed = wait_count(
            f"SELECT count(*) FROM outbox_events WHERE tenant_id = '{tenant}' AND published_at IS NOT NULL",
            1 + args.events, 600)
        rows.append([f"metachat: {args.events:,} events, confirmed", f"{args.events / elapsed:,.0f}", f"{elapsed:.1f}"])
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare("metachat.events", exchange_type="topic", durable=True)
    channel.confirm_delivery()
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json", type="conversation.created")
    started = time.monotonic()
    for _ in range(args.events):
        # pika's blocking channel waits for each confirm: a stricter reference than batches of 200.
        channel.basic_publish("metachat.events", "bench.conversation.created", BODY.encode(), properties)
    elapsed = time.monotonic() - started
    connection.close()
    rows.append(["reference: pika, persistent, a confirm per message", f"{args.events / elapsed:,.0f}",
                 f"{elapsed:.1f}"])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--only", choices=["request-path", "webhooks", "rabbitmq"],
                        help="run one of the three parts (default: all)")
    args = parser.parse_args()
    directory = Path(args.data_dir)
    tenant = psql("SET app.scope = 'admin'; INSERT INTO tenants (name) VALUES ('pgbench') RETURNING id").splitlines()[-1]
    show = (lambda h, b: print(markdown(h, b) + "\n")) if args.markdown else (lambda h, b: (print_plain(h, b), print()))
    if args.only in (None, "request-path"):
        show(["request path (pgbench, one tenant)", "tx/s", "p50 ms", "p99 ms"], request_path(args, tenant, directory))
    if args.only in (None, "webhooks"):
        show(["webhook delivery", "deliveries/s", "seconds", "server CPU µs/delivery"],
             deliveries(args, args.metachat, directory))
    if args.only in (None, "rabbitmq"):
        show(["RabbitMQ publishing", "events/s", "seconds"], rabbitmq(args, args.metachat, directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
