"""Meta callback acknowledgement latency while the model is slow.

One `metachat serve` (the binary in METACHAT_BINARY) with the OpenAI-compatible provider pointed
at a local fake that streams each answer over about 2 s (OPENAI_BASE_URL, operator-configured),
and the Graph API at a local fake (META_GRAPH_BASE_URL). One WhatsApp channel. Then, from 200
threads at once, --deliveries signed callbacks, each a new message (so each one also starts a
2 s model call and a Graph send in the background), timed from sending the request to reading the
200. Reference in the same run: the same 200-way burst with a wrong signature (same route, same
parsing, refused before anything is stored: 401), and single signed deliveries one at a time.

Needs PostgreSQL and Redis (scripts/lib/services.sh; DATABASE_URL, REDIS_URL, API_KEY_PEPPER,
SECRETS_ENCRYPTION_KEY exported) and a migrated database:

    .venv/bin/python Benchmarks/bench_channels.py --seconds 15
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
import restclient  # noqa: E402
from fake_graph import running_graph  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

SECRET = "bench-app-secret"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=20000, help="distinct callbacks per burst")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=10, help="bursts of --concurrency simultaneous callbacks")
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    binary = os.environ.get("METACHAT_BINARY", str(ROOT / ".build" / "release" / "metachat"))
    model = FakeOpenAI(lambda _q: " ".join(["word"] * 20), pause_s=0.1)  # ~2 s per answer
    with running_graph() as graph, tempfile.TemporaryDirectory() as scratch:
        port = int(subprocess.check_output([sys.executable, "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]))
        environment = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="error", RATE_LIMIT_MAX_REQUESTS="100000000",
                           OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="sk-bench", META_GRAPH_BASE_URL=graph.base_url)
        log = open(Path(scratch) / "serve.log", "wb")
        server = subprocess.Popen([binary, "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if restclient.request(port, "GET", "/api/health", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)  # waiting for the server to listen
            seeded = json.loads(subprocess.check_output([binary, "seed-admin", "--email", "bench@example.com", "--label",
                                                         f"bench-{uuid.uuid4().hex[:8]}", "--json"], env=environment))
            admin = {"x-admin-key": seeded["apiKey"], "content-type": "application/json"}
            tenant = restclient.request(port, "POST", "/api/tenants", json.dumps({"name": f"Bench {uuid.uuid4().hex[:6]}"}), admin).json()
            key = restclient.request(port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", json.dumps({"label": "b"}), admin).json()
            headers = {"x-api-key": key["apiKey"], "content-type": "application/json"}
            channel = restclient.request(port, "POST", "/api/channels", json.dumps({"name": "Bench", "whatsapp": {
                "phoneNumberId": "1065550001", "businessAccountId": "1", "accessToken": "EAAG-bench",
                "appSecret": SECRET, "verifyToken": "bench-verify"}}), headers).json()
            path = f"/api/channels/{channel['id']}/callback"

            def body(number: int) -> bytes:
                return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp", "metadata": {"phone_number_id": "1065550001"},
                    "contacts": [{"profile": {"name": "U"}, "wa_id": f"3859{number:08d}"}],
                    "messages": [{"from": f"3859{number:08d}", "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time())),
                                  "type": "text", "text": {"body": "What are your opening hours?"}}]}}]}]}).encode()

            def signature(payload: bytes, signed: bool) -> str:
                return "sha256=" + hmac.new(SECRET.encode() if signed else b"wrong", payload, hashlib.sha256).hexdigest()

            def deliver(payload: bytes, signed: bool) -> tuple[int, float]:
                started = time.perf_counter()
                reply = restclient.request(port, "POST", path, payload,
                                           {"content-type": "application/json", "x-hub-signature-256": signature(payload, signed)}, timeout=30)
                return reply.status, (time.perf_counter() - started) * 1000

            def burst(signed: bool, offset: int) -> dict:
                """wrk, --concurrency connections on 2 threads for --seconds, cycling through distinct
                signed (or wrongly signed) callbacks: each new message starts a model call."""
                callbacks = Path(scratch) / f"callbacks-{signed}.tsv"
                with open(callbacks, "w") as out:
                    for number in range(args.deliveries):
                        payload = body(offset + number)
                        out.write(f"{path}\t{signature(payload, signed)}\t{payload.decode()}\n")
                result = subprocess.run(
                    ["wrk", "-t2", f"-c{args.concurrency}", f"-d{args.seconds}s", "--latency", "-s",
                     str(ROOT / "Benchmarks" / "wrk_meta_callbacks.lua"), f"http://127.0.0.1:{port}/"],
                    env=dict(os.environ, CALLBACKS=str(callbacks)), capture_output=True, text=True, timeout=args.seconds + 60)
                report = json.loads(result.stdout.strip().splitlines()[-1])
                errors = report["errors"]
                assert errors["connect"] == errors["read"] == errors["write"] == errors["timeout"] == 0, report
                # wrk counts every answer but 2xx/3xx as a status error: all of the refused, none of the signed.
                assert errors["status"] == (report["requests"] if not signed else 0), report
                return report

            def bursts(rounds: int) -> list[float]:
                """h2load (HTTP/1.1), --concurrency connections each sending one signed callback at the
                same moment, --rounds times with a new message per round: per-request times in ms."""
                times: list[float] = []
                for round_number in range(rounds):
                    payload = body(30_000_000 + round_number)
                    data = Path(scratch) / "burst.json"
                    data.write_bytes(payload)
                    log_file = Path(scratch) / "burst.log"
                    log_file.unlink(missing_ok=True)  # h2load appends
                    subprocess.run(
                        ["h2load", "--h1", "-n", str(args.concurrency), "-c", str(args.concurrency), "-d", str(data),
                         "-H", "content-type: application/json", "-H", f"x-hub-signature-256: {signature(payload, True)}",
                         f"--log-file={log_file}", f"http://127.0.0.1:{port}{path}"],
                        capture_output=True, timeout=120, check=True)
                    for line in log_file.read_text().splitlines():
                        _, status, micros = line.split("\t")[:3]
                        assert status == "200", line
                        times.append(int(micros) / 1000)
                return times

            rss_before = rss_kib(server.pid)
            burst_times = bursts(args.rounds)
            single = [deliver(body(10_000_000 + i), True) for i in range(200)]
            assert all(status == 200 for status, _ in single)
            refused = burst(False, 0)
            accepted = burst(True, 20_000_000)
            rss_after = rss_kib(server.pid)
            stored = int(subprocess.check_output(
                [os.path.join(os.environ.get("METACHAT_PG_BIN", "/usr/bin"), "psql"), os.environ["DATABASE_URL"], "-At", "-c",
                 f"SET app.scope = 'admin'; SELECT count(*) FROM channel_inbound WHERE channel_id = '{channel['id']}'"],
                text=True).split()[-1])
            print(f"| deliveries ({args.concurrency} connections, {args.seconds} s, wrk) | requests | req/s | p50 ms | p90 ms | p99 ms | max ms |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            for name, report in [("signed: stored, then 200 (model answering meanwhile)", accepted),
                                 ("reference: wrong signature, 401, nothing stored", refused)]:
                latency = report["latency_us"]
                rate = report["requests"] / (report["duration_us"] / 1e6)
                print(f"| {name} | {report['requests']:.0f} | {rate:.0f} | {latency['p50'] / 1000:.1f} | {latency['p90'] / 1000:.1f} | "
                      f"{latency['p99'] / 1000:.1f} | {latency['max'] / 1000:.1f} |")
            print(f"| signed: {args.rounds} bursts of {args.concurrency} at the same moment (h2load) | {len(burst_times)} | | "
                  f"{percentile(burst_times, 50):.1f} | {percentile(burst_times, 90):.1f} | {percentile(burst_times, 99):.1f} | "
                  f"{max(burst_times):.1f} |")
            times = sorted(ms for _, ms in single[20:])
            print(f"| reference: signed, one at a time (Python client) | {len(times)} | | {percentile(times, 50):.1f} | "
                  f"{percentile(times, 90):.1f} | {percentile(times, 99):.1f} | {max(times):.1f} |")
            print(f"callbacks stored: {stored}; model calls started: {len(model.requests)}; Graph sends: {len(graph.sends())}; "
                  f"RSS {rss_before // 1024} -> {rss_after // 1024} MiB")
        finally:
            server.terminate()
            server.wait(timeout=60)
            model.close()
            if "channel" in locals():
                # The run's callbacks and replies not yet processed would otherwise wait for the next
                # server on this database.
                subprocess.run(
                    [os.path.join(os.environ.get("METACHAT_PG_BIN", "/usr/bin"), "psql"), os.environ["DATABASE_URL"], "-At", "-c",
                     f"SET app.scope = 'admin'; DELETE FROM channels WHERE id = '{channel['id']}'"],
                    capture_output=True, timeout=120)


if __name__ == "__main__":
    main()
