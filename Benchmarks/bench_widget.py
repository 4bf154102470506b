"""The web chat widget's cost per open socket: 500 concurrent widget sockets on `metachat serve`
(each a visitor of its own: a config request for a token, the handshake with an allowed Origin,
`hello`, `ready`), the server's RSS before and after they are all open, and then every socket
sending one message and reading its whole answer from the offline `local` model, --askers sockets
at a time (all 500 stay open meanwhile). Reference in the
same run: 500 sockets on the echo server's `/v1/ws/echo` route (the bare WebSocket transport, one
message each).

Needs PostgreSQL and Redis (scripts/lib/services.sh; DATABASE_URL, REDIS_URL, API_KEY_PEPPER
exported), a migrated database, and the binaries:

    .venv/bin/python Benchmarks/bench_widget.py --metachat .build/debug/metachat \\
        --echo-server .build/debug/echo-server --sockets 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
import restclient  # noqa: E402

ORIGIN = "https://bench.example"


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def address(index: int) -> str:
    """A client address per socket (X-Forwarded-For from loopback is trusted), as visitors behind
    a proxy would be, so the per-address socket limit does not apply to the benchmark."""
    return f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256 + 1}"


async def widget_round(port: int, widget: str, count: int, pid: int, askers: int) -> dict:
    tokens = []
    for index in range(count):
        reply = restclient.request(port, "GET", f"/api/public/widget/config?widgetId={widget}",
                                   headers={"origin": ORIGIN, "x-forwarded-for": address(index)}, timeout=30)
        tokens.append(reply.json()["visitorToken"])
    before = rss_kib(pid)
    opened = time.monotonic()

    async def open_one(index: int):
        socket_ = await connect(f"ws://127.0.0.1:{port}/api/widget/{widget}/ws", origin=ORIGIN,
                                additional_headers={"x-forwarded-for": address(index)}, open_timeout=60,
                                max_size=2**20)
        await socket_.send(json.dumps({"type": "hello", "widgetId": widget, "token": tokens[index]}))
        ready = json.loads(await socket_.recv())
        assert ready["type"] == "ready", ready
        return socket_

    sockets = await asyncio.gather(*(open_one(index) for index in range(count)))
    open_s = time.monotonic() - opened
    after_open = rss_kib(pid)
    latencies: list[float] = []

    async def ask(index: int, socket_) -> None:
        started = time.monotonic()
        await socket_.send(json.dumps({"type": "message", "clientId": f"c-{index}", "text": "What are your hours?"}))
        while True:
            frame = json.loads(await asyncio.wait_for(socket_.recv(), 300))
            if frame["type"] == "message" and frame["role"] == "assistant":
                latencies.append(time.monotonic() - started)
                return
            if frame["type"] == "error":
                raise RuntimeError(frame)

    gate = asyncio.Semaphore(askers)

    async def ask_in_turn(index: int, socket_) -> None:
        async with gate:
            await ask(index, socket_)

    asked = time.monotonic()
    await asyncio.gather(*(ask_in_turn(index, socket_) for index, socket_ in enumerate(sockets)))
    answer_s = time.monotonic() - asked
    after_answers = rss_kib(pid)
    await asyncio.gather(*(socket_.close() for socket_ in sockets))
    return dict(before=before, after_open=after_open, after_answers=after_answers, open_s=open_s,
                answer_s=answer_s, p50=percentile(latencies, 50), p99=percentile(latencies, 99))


async def echo_round(port: int, count: int, pid: int) -> dict:
    before = rss_kib(pid)
    opened = time.monotonic()
    sockets = await asyncio.gather(*(connect(f"ws://127.0.0.1:{port}/v1/ws/echo", open_timeout=60)
                                     for _ in range(count)))
    open_s = time.monotonic() - opened
    after_open = rss_kib(pid)
    asked = time.monotonic()

    async def echo(socket_) -> None:
        await socket_.send("ping")
        assert await socket_.recv() == "ping"

    await asyncio.gather(*(echo(socket_) for socket_ in sockets))
    answer_s = time.monotonic() - asked
    after_answers = rss_kib(pid)
    await asyncio.gather(*(socket_.close() for socket_ in sockets))
    return dict(before=before, after_open=after_open, after_answers=after_answers, open_s=open_s, answer_s=answer_s)


def start_metachat(binary: str, scratch: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    environment = dict(os.environ, HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="error",
                       RATE_LIMIT_MAX_REQUESTS="100000000", OPENAI_API_KEY="", STORAGE_PATH=str(scratch / "storage"))
    log = open(scratch / "serve.log", "wb")
    server = subprocess.Popen([binary, "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if restclient.request(port, "GET", "/api/health", timeout=2).status == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.1)  # waiting for the server to listen
    server.kill()
    raise RuntimeError("metachat serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metachat", default=str(ROOT / ".build" / "debug" / "metachat"))
    parser.add_argument("--echo-server", default=str(ROOT / ".build" / "debug" / "echo-server"))
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--askers", type=int, default=50, help="sockets asking at the same time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_text:
        scratch = Path(scratch_text)
        server, port = start_metachat(args.metachat, scratch)
        try:
            environment = dict(os.environ)
            seeded = json.loads(subprocess.check_output(
                [args.metachat, "seed-admin", "--email", "bench@example.com", "--label", f"bench-{uuid.uuid4().hex[:8]}",
                 "--json"], env=environment))
            admin = {"x-admin-key": seeded["apiKey"], "content-type": "application/json"}
            tenant = restclient.request(port, "POST", "/api/tenants", json.dumps({"name": f"Bench {uuid.uuid4().hex[:6]}"}),
                                        admin).json()
            key = restclient.request(port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys",
                                     json.dumps({"label": "b"}), admin).json()
            channel = restclient.request(port, "POST", "/api/channels", json.dumps(
                {"name": "Bench chat", "webChat": {"allowedOrigins": [ORIGIN]}}),
                {"x-api-key": key["apiKey"], "content-type": "application/json"}).json()
            widget = channel["webChat"]["widgetId"]
            widget_result = asyncio.run(widget_round(port, widget, args.sockets, server.pid, args.askers))
        except Exception:
            print((scratch / "serve.log").read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
        echo = subprocess.Popen([args.echo_server, "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        try:
            word, _, echo_port = echo.stdout.readline().decode().strip().partition(" ")
            assert word == "listening", word
            echo_result = asyncio.run(echo_round(int(echo_port), args.sockets, echo.pid))
        finally:
            echo.stdin.close()
            echo.wait(timeout=30)
    mib = lambda kib: kib / 1024  # noqa: E731
    print(f"{args.sockets} concurrent sockets ({Path(args.metachat).parent.name} build; "
          f"metachat: one message per socket, {args.askers} asking at a time)")
    print("| server | RSS before | RSS with all open | growth | per socket | open all | one message each | answer p50 / p99 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, result in [("metachat widget", widget_result), ("echo server /v1/ws/echo", echo_result)]:
        growth = result["after_open"] - result["before"]
        latency = (f"{result['p50'] * 1000:.0f} / {result['p99'] * 1000:.0f} ms" if "p50" in result else "—")
        print(f"| {name} | {mib(result['before']):.1f} MiB | {mib(result['after_open']):.1f} MiB | {mib(growth):.1f} MiB "
              f"| {growth / args.sockets:.1f} KiB | {result['open_s']:.2f} s | {result['answer_s']:.2f} s | {latency} |")
    print(f"metachat RSS after every answer: {mib(widget_result['after_answers']):.1f} MiB")


if __name__ == "__main__":
    main()
