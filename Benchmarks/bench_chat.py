"""Driver for scripts/bench-chat.sh: the chat orchestrator's own cost, each figure beside a
reference measured in the same invocation.

scripts/bench-chat.sh builds the release binary, starts PostgreSQL and Redis
(scripts/lib/services.sh), migrates, and runs this file with DATABASE_URL, REDIS_URL and
API_KEY_PEPPER set. `metachat serve` runs pinned alone to --server-cpu; this client, the fake
model server, PostgreSQL and Redis share --client-cpu.

Time to first delta (--streams sequential streams, alternating): a zero-latency fake OpenAI server
(a separate process speaking the streaming chat-completions protocol, first chunk written at once)
asked directly, time from sending the request to the first `data:` line holding text; and the
same fake behind MetaChat (a tenant whose provider is OPENAI_COMPATIBLE at the fake), StreamReply
over REST (NDJSON), time from sending to the first delta holding text. Reported: the medians and
p99s, and the median of the per-pair difference (MetaChat minus direct): what the orchestrator
adds before the first token (key check, tenant settings, turn lock, storing the user message,
retrieval, prompt, the model connection).

Orchestration overhead (open loop): --rate turns per second for --seconds over --conversations
conversations, SendMessage (POST /api/chat/messages) on a tenant answered by the offline `local`
provider (its model time is a few microseconds, so the latency is the pipeline's: two tenant
transactions for the user message and the answer, the turn lock, the idempotency-free path, the
usage row). Requests start on schedule whatever earlier ones do; latency counts from the scheduled
start. Reported: achieved turns/s, p50, p99, server CPU per turn, resident memory; reference: the
same open loop of GetConversation (one authenticated tenant read), the floor of any request that
reaches PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench_common import CLK_TCK, Server, cpu_ticks, free_port, markdown, print_plain


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def rss_kib(pid: int, field: str = "VmRSS:") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


# MARK: The fake model server (a process of its own)

def serve_fake(port_file: Path) -> None:
    """A zero-latency OpenAI-compatible streaming server: every answer is the same ten words,
    written as chunks at once, then usage and [DONE]."""
    words = "Our shop opens at nine every weekday morning. [confidence: high]".split(" ")
    chunks = []
    for index, word in enumerate(words):
        piece = word if index == len(words) - 1 else word + " "
        chunk = {"id": "c", "object": "chat.completion.chunk", "model": "fake-gpt",
                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        chunks.append(f"data: {json.dumps(chunk)}\n\n".encode())
    tail = {"id": "c", "object": "chat.completion.chunk", "model": "fake-gpt", "choices": [],
            "usage": {"prompt_tokens": 30, "completion_tokens": len(words), "total_tokens": 30 + len(words)}}
    chunks.append(f"data: {json.dumps(tail)}\n\ndata: [DONE]\n\n".encode())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Each chunk leaves at once, as a real provider's does (Nagle would hold the first chunk
        # until the client acknowledged the headers, up to its 40 ms delayed ACK).
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802 - the stdlib's name
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


# MARK: Calls

def call(port: int, method: str, path: str, headers: dict, body=None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers={"content-type": "application/json", **headers})
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)
    finally:
        connection.close()


def first_text_direct(connection: http.client.HTTPConnection) -> float:
    """Seconds from sending a streaming request to the fake to its first text chunk."""
    body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "When?"}]})
    start = time.perf_counter()
    connection.request("POST", "/v1/chat/completions", body=body, headers={"content-type": "application/json"})
    response = connection.getresponse()
    first = None
    while True:
        line = response.readline()
        if not line:
            break
        if first is None and line.startswith(b"data: {") and b'"content"' in line:
            first = time.perf_counter() - start
    return first if first is not None else float("nan")


def first_text_metachat(connection: http.client.HTTPConnection, key: str, conversation: str) -> float:
    """Seconds from sending StreamReply (NDJSON) to the first delta holding text."""
    body = json.dumps({"conversationId": conversation, "text": "When do you open?"})
    start = time.perf_counter()
    connection.request("POST", "/api/chat/messages/stream", body=body,
                       headers={"content-type": "application/json", "x-api-key": key})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"StreamReply: {response.status} {response.read()[:300]!r}")
    first = None
    while True:
        line = response.readline()
        if not line:
            break
        if first is None and b'"textDelta"' in line:
            first = time.perf_counter() - start
    return first if first is not None else float("nan")


def time_to_first_delta(args, port: int, fake_port: int, key: str, conversations: list[str]) -> dict:
    direct = http.client.HTTPConnection("127.0.0.1", fake_port, timeout=30)
    through = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pairs = []
    try:
        for index in range(args.streams):
            d = first_text_direct(direct)
            m = first_text_metachat(through, key, conversations[index % len(conversations)])
            pairs.append((d, m))
    finally:
        direct.close()
        through.close()
    directs = [d * 1000 for d, _ in pairs]
    throughs = [m * 1000 for _, m in pairs]
    return {"direct_p50": statistics.median(directs), "direct_p99": percentile(directs, 0.99),
            "metachat_p50": statistics.median(throughs), "metachat_p99": percentile(throughs, 0.99),
            "overhead_p50": statistics.median([m - d for d, m in zip(directs, throughs)])}


# MARK: Open loop

def open_loop(port: int, server_pid: int, rate: float, seconds: float, workers: int, request) -> dict:
    """Starts `request(connection, index)` at `rate` per second for `seconds` (after a 2 s warm-up),
    on `workers` threads with a keep-alive connection each; latency from the scheduled start."""
    jobs: queue.Queue = queue.Queue()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    warmup = 2.0

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            job = jobs.get()
            if job is None:
                break
            due, index, measured = job
            try:
                request(connection, index)
                elapsed = time.perf_counter() - due
                if measured:
                    with lock:
                        latencies.append(elapsed * 1000)
            except Exception:  # noqa: BLE001 - counted and reported
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    begin = time.perf_counter()
    total = int(rate * (seconds + warmup))
    ticks_before = None
    measured_from = None
    for index in range(total):
        due = begin + index / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)  # pacing the open loop's schedule, not synchronisation
        measured = index >= rate * warmup
        if measured and ticks_before is None:
            ticks_before = cpu_ticks(server_pid)
            measured_from = time.perf_counter()
        jobs.put((due, index, measured))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - measured_from
    ticks = cpu_ticks(server_pid) - ticks_before
    count = len(latencies)
    return {"count": count, "rate": count / elapsed, "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99), "errors": errors[0],
            "cpu_us": ticks / CLK_TCK / max(1, count) * 1e6, "rss_mib": rss_kib(server_pid) / 1024}


def send_message(key: str, conversations: list[str]):
    def request(connection: http.client.HTTPConnection, index: int) -> None:
        body = json.dumps({"conversationId": conversations[index % len(conversations)], "text": "When do you open?"})
        connection.request("POST", "/api/chat/messages", body=body,
                           headers={"content-type": "application/json", "x-api-key": key})
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(data[:200])
    return request


def get_conversation(key: str, conversations: list[str]):
    def request(connection: http.client.HTTPConnection, index: int) -> None:
        connection.request("GET", f"/api/conversations/{conversations[index % len(conversations)]}",
                           headers={"x-api-key": key})
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(data[:200])
    return request


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--fake-openai", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_openai:
        serve_fake(args.fake_openai)
        return 0

    log_dir = args.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    os.sched_setaffinity(0, {args.client_cpu})
    port_file = args.data_dir / "fake.port"
    fake = subprocess.Popen(["taskset", "-c", str(args.client_cpu), sys.executable, __file__,
                             "--fake-openai", str(port_file)])
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline or fake.poll() is not None:
            raise SystemExit("the fake model server did not start")
        time.sleep(0.05)  # waiting for the fake's port file, bounded by the deadline
    fake_port = int(port_file.read_text())

    seeded = subprocess.run(
        [args.metachat, "seed-admin", "--email", "bench@example.com", "--label", f"bench-{uuid.uuid4().hex[:8]}",
         "--json"], capture_output=True, text=True, check=True)
    admin = {"x-admin-key": json.loads(seeded.stdout)["apiKey"]}
    port = free_port()
    environment = ["env", "HOST=127.0.0.1", f"PORT={port}", "LOG_LEVEL=warning",
                   "RATE_LIMIT_MAX_REQUESTS=1000000000", "OUTBOUND_ALLOW_CIDRS=127.0.0.0/8", "OPENAI_API_KEY="]
    server = Server("metachat", [*environment, str(args.metachat), "serve"], args.server_cpu, log_dir, "chat",
                    port=port)
    try:
        def tenant(settings: dict) -> tuple[str, list[str]]:
            made = call(port, "POST", "/api/tenants", admin, {"name": f"Chat {uuid.uuid4().hex[:6]}",
                                                              "settings": settings})
            key = call(port, "POST", f"/api/security/tenants/{made['id']}/api-keys", admin, {"label": "bench"})
            headers = {"x-api-key": key["apiKey"]}
            conversations = [call(port, "POST", "/api/conversations", headers, {"externalUserId": f"u{i}"})["id"]
                             for i in range(args.conversations)]
            return key["apiKey"], conversations

        fake_key, fake_conversations = tenant(
            {"llm": {"provider": "LLM_PROVIDER_OPENAI_COMPATIBLE", "baseUrl": f"http://127.0.0.1:{fake_port}/v1"}})
        local_key, local_conversations = tenant({})
        rss_start = rss_kib(server.pid)

        first = time_to_first_delta(args, port, fake_port, fake_key, fake_conversations)
        header = ["time to first text", "p50 ms", "p99 ms"]
        body = [["fake OpenAI directly (reference)", f"{first['direct_p50']:.2f}", f"{first['direct_p99']:.2f}"],
                ["through MetaChat StreamReply", f"{first['metachat_p50']:.2f}", f"{first['metachat_p99']:.2f}"]]
        print(f"\nTime to first delta, {args.streams} sequential streams each; median of the per-pair "
              f"difference: {first['overhead_p50']:.2f} ms")
        print_plain(header, body)
        print(markdown(header, body))

        turns = open_loop(port, server.pid, args.rate, args.seconds, args.workers,
                          send_message(local_key, local_conversations))
        floor = open_loop(port, server.pid, args.rate, args.seconds, args.workers,
                          get_conversation(local_key, local_conversations))
        header = ["open loop", "requests", "achieved / s", "p50 ms", "p99 ms", "errors", "server µs CPU / request",
                  "server RSS MiB"]
        body = []
        for name, result in (("SendMessage, local provider", turns), ("GetConversation (reference)", floor)):
            body.append([name, f"{result['count']:,}", f"{result['rate']:.0f}", f"{result['p50']:.2f}",
                         f"{result['p99']:.2f}", str(result["errors"]), f"{result['cpu_us']:.0f}",
                         f"{result['rss_mib']:.1f}"])
        print(f"\nOpen loop at {args.rate:g}/s for {args.seconds:g} s over {args.conversations} conversations "
              f"({args.workers} client connections); server RSS before: {rss_start / 1024:.1f} MiB, "
              f"peak: {rss_kib(server.pid, 'VmHWM:') / 1024:.1f} MiB")
        print_plain(header, body)
        print(markdown(header, body))
    finally:
        server.stop()
        fake.terminate()
        fake.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
