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

    .venv/bin/python Benchmarks/bench_channels.py --deliveries 1000
"""

from __future__ import annotations

import argparse
import concurrent.futures
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
    parser.add_argument("--deliveries", type=int, default=1000)
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

            def deliver(payload: bytes, signed: bool) -> tuple[int, float]:
                signature = "sha256=" + hmac.new(SECRET.encode() if signed else b"wrong", payload, hashlib.sha256).hexdigest()
                started = time.perf_counter()
                reply = restclient.request(port, "POST", path, payload, {"content-type": "application/json", "x-hub-signature-256": signature}, timeout=30)
                return reply.status, (time.perf_counter() - started) * 1000

            def burst(signed: bool, offset: int) -> list[tuple[int, float]]:
                payloads = [body(offset + i) for i in range(args.deliveries)]
                with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                    return list(pool.map(lambda p: deliver(p, signed), payloads))

            rss_before = rss_kib(server.pid)
            single = [deliver(body(10_000_000 + i), True) for i in range(50)]
            refused = burst(False, 0)
            accepted = burst(True, 20_000_000)
            rss_after = rss_kib(server.pid)
            assert all(status == 200 for status, _ in accepted + single), {s for s, _ in accepted}
            assert all(status == 401 for status, _ in refused)
            rows = []
            for name, results in [("signed, 200 at once (stored, model busy)", accepted),
                                  ("wrong signature, 200 at once (reference: refused, nothing stored)", refused),
                                  ("signed, one at a time (reference)", single[10:])]:
                times = [ms for _, ms in results]
                rows.append(f"| {name} | {len(times)} | {percentile(times, 50):.1f} | {percentile(times, 99):.1f} | {max(times):.1f} |")
            print("| deliveries | n | p50 ms | p99 ms | max ms |")
            print("| --- | --- | --- | --- | --- |")
            print("\n".join(rows))
            print(f"model calls started during the run: {len(model.requests)}; Graph sends so far: {len(graph.sends())}; "
                  f"RSS {rss_before // 1024} -> {rss_after // 1024} MiB")
        finally:
            server.terminate()
            server.wait(timeout=60)
            model.close()


if __name__ == "__main__":
    main()
