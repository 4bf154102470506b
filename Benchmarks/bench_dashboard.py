"""Driver for scripts/bench-dashboard.sh: the dashboard's inbox render with 500 open
conversations while 50 events/s are written, and the memory of 200 connected dashboard sessions,
each beside a reference measured in the same invocation.

scripts/bench-dashboard.sh builds the release binary (unless told not to), starts PostgreSQL and
Redis (scripts/lib/services.sh), migrates, and runs this file with DATABASE_URL, REDIS_URL and
API_KEY_PEPPER set.

Inbox render: one `metachat serve` with the dashboard on its own port; one tenant with --open
open conversations made through the API (every other one escalated); one agent signed in.
--requests sequential GET /tenants/<id>/inbox?view=all (all --open rows, counts of the four
views) over one keep-alive connection while a writer thread updates conversation titles through
the API at --events per second (each a durable event and a live frame to any watcher). Reported:
p50/p95/max of the server-side time (the response's `server-timing: app;dur=`, from the request
reaching the dashboard's responder to its response) and of the client-observed time. Reference:
the same number of GET /api/conversations?pageSize=200 (the API's own listing of 200 of the same
conversations, JSON) on the API port over one keep-alive connection, same writer running.

Sessions: a fresh server; 20 agents, 10 sign-ins each (distinct X-Forwarded-For per sign-in, so
the per-address limit is not what is measured) = 200 sessions; each opens the inbox's live stream
(GET /tenants/<id>/live) and reads its first frame. Reported: VmRSS with all 200 connected and idle
minus VmRSS before, per session. Reference: a second fresh server with 200 API watchers (GET
/api/conversations/events, tenant key) measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

from bench_common import free_port, markdown, print_plain

PASSWORD = "a long benchmark password"


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


class Serve:
    """`metachat serve` with the dashboard, healthy when constructed."""

    def __init__(self, binary: str, log: Path, **environment: str):
        self.port, self.dashboard_port = free_port(), free_port()
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), DASHBOARD_PORT=str(self.dashboard_port),
                   LOG_LEVEL="warning", RATE_LIMIT_MAX_REQUESTS="1000000000", **environment)
        self.log = open(log, "wb")
        self.process = subprocess.Popen([binary, "serve"], env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                for port, path in ((self.port, "/api/health"), (self.dashboard_port, "/health")):
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    connection.request("GET", path)
                    assert connection.getresponse().status == 200
                    connection.close()
                return
            except (OSError, AssertionError):
                if self.process.poll() is not None:
                    raise SystemExit(f"metachat serve exited: see {log}")
                time.sleep(0.1)  # start-up polling interval
        raise SystemExit("metachat serve did not become healthy")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def api(port: int, method: str, path: str, headers: dict[str, str], body: dict | None = None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers={**headers, "content-type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        assert response.status == 200, (method, path, response.status, data[:300])
        return json.loads(data)
    finally:
        connection.close()


def tenant_with_key(binary: str, server: Serve) -> tuple[str, dict[str, str]]:
    seeded = subprocess.run([binary, "seed-admin", "--email", f"bench-{uuid.uuid4().hex[:6]}@example.com",
                             "--label", f"bench-{uuid.uuid4().hex[:8]}", "--json"],
                            capture_output=True, text=True, check=True)
    admin = {"x-admin-key": json.loads(seeded.stdout)["apiKey"]}
    tenant = api(server.port, "POST", "/api/tenants", admin, {"name": "Bench"})["id"]
    key = api(server.port, "POST", f"/api/security/tenants/{tenant}/api-keys", admin, {"label": "bench"})["apiKey"]
    return tenant, {"x-api-key": key}


def create_agent(binary: str, tenant: str) -> str:
    email = f"agent-{uuid.uuid4().hex[:10]}@example.com"
    subprocess.run([binary, "dashboard-user", "create", "--email", email, "--role", "agent", "--tenant", tenant],
                   input=PASSWORD + "\n", capture_output=True, text=True, check=True)
    return email


def sign_in(port: int, email: str, address: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/login", body=urllib.parse.urlencode({"email": email, "password": PASSWORD}),
                           headers={"content-type": "application/x-www-form-urlencoded", "x-forwarded-for": address})
        response = connection.getresponse()
        response.read()
        assert response.status == 303, response.status
        return response.getheader("set-cookie").split(";")[0]
    finally:
        connection.close()


def writer(server: Serve, credentials: dict[str, str], ids: list[str], rate: int, stop: threading.Event,
           written: list[int]) -> None:
    interval = 1.0 / rate
    next_at = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    index = 0
    while not stop.is_set():
        conversation = ids[index % len(ids)]
        body = json.dumps({"title": f"title {index}"})
        connection.request("PATCH", f"/api/conversations/{conversation}", body=body,
                           headers={**credentials, "content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"writer: PATCH answered {response.status}")
        written[0] += 1
        index += 1
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            stop.wait(delay)  # the writer's pace, not synchronisation


def timed_gets(port: int, path: str, headers: dict[str, str], count: int) -> tuple[list[float], list[float]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    client_ms, server_ms = [], []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        client_ms.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, (response.status, body[:300])
        timing = response.getheader("server-timing")
        if timing:
            server_ms.append(float(re.search(r"dur=([0-9.]+)", timing).group(1)))
    connection.close()
    return client_ms, server_ms


def inbox_render(binary: str, args, log_dir: Path) -> list[list[str]]:
    server = Serve(binary, log_dir / "render.log")
    try:
        tenant, credentials = tenant_with_key(binary, server)
        ids = []
        for index in range(args.open):
            conversation = api(server.port, "POST", "/api/conversations", credentials,
                               {"externalUserId": f"visitor-{index}"})["id"]
            if index % 2:
                api(server.port, "POST", f"/api/conversations/{conversation}/escalate", credentials,
                    {"reason": "ESCALATION_REASON_MANUAL"})
            ids.append(conversation)
        cookie = sign_in(server.dashboard_port, create_agent(binary, tenant), "198.51.100.1")
        inbox = f"/tenants/{tenant}/inbox?view=all"
        timed_gets(server.dashboard_port, inbox, {"cookie": cookie}, 50)  # warm-up
        stop, written = threading.Event(), [0]
        thread = threading.Thread(target=writer, args=(server, credentials, ids, args.events, stop, written))
        thread.start()
        started = time.monotonic()
        client, app = timed_gets(server.dashboard_port, inbox, {"cookie": cookie}, args.requests)
        inbox_seconds = time.monotonic() - started
        reference_client, _ = timed_gets(server.port, "/api/conversations?pageSize=200", credentials, args.requests)
        stop.set()
        thread.join()
        rate = written[0] / (time.monotonic() - started)
        page = http.client.HTTPConnection("127.0.0.1", server.dashboard_port, timeout=30)
        page.request("GET", inbox, headers={"cookie": cookie})
        body = page.getresponse().read()
        rows = body.count(b"/conversations/")
        return [
            [f"dashboard inbox, {rows} rows (server-side)", f"{percentile(app, 50):.2f}", f"{percentile(app, 95):.2f}",
             f"{max(app):.2f}", f"{len(app)}", f"{rate:.0f}", f"{len(body) // 1024} KiB"],
            ["dashboard inbox (client-observed)", f"{percentile(client, 50):.2f}", f"{percentile(client, 95):.2f}",
             f"{max(client):.2f}", f"{len(client)} in {inbox_seconds:.1f} s", f"{rate:.0f}", ""],
            ["reference: GET /api/conversations?pageSize=200 (client-observed)",
             f"{percentile(reference_client, 50):.2f}", f"{percentile(reference_client, 95):.2f}",
             f"{max(reference_client):.2f}", f"{len(reference_client)}", f"{rate:.0f}", ""],
        ]
    finally:
        server.stop()


async def open_streams(port: int, requests: list[bytes]) -> list[tuple]:
    streams = []
    for request in requests:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        streams.append((reader, writer))
    for reader, _ in streams:
        status = await asyncio.wait_for(reader.readline(), 30)
        assert b" 200 " in status, status
        while (await asyncio.wait_for(reader.readline(), 30)) not in (b"\r\n", b""):
            pass
        await asyncio.wait_for(reader.readline(), 30)  # the first chunk's size or frame line
    return streams


def measure_rss(server: Serve, port: int, requests: list[bytes]) -> float:
    async def run() -> float:
        before = rss_kib(server.process.pid)
        streams = await open_streams(port, requests)
        await asyncio.sleep(1)  # let the server settle before reading its memory
        after = rss_kib(server.process.pid)
        for _, writer in streams:
            writer.close()
        return (after - before) / len(requests)

    return asyncio.run(run())


def sessions(binary: str, args, log_dir: Path) -> list[list[str]]:
    server = Serve(binary, log_dir / "sessions.log")
    try:
        tenant, _ = tenant_with_key(binary, server)
        agents = [create_agent(binary, tenant) for _ in range(args.sessions // 10)]
        cookies = [sign_in(server.dashboard_port, agent, f"198.51.{index // 250}.{index % 250 + 1}")
                   for index, agent in enumerate(a for a in agents for _ in range(10))]
        requests = [f"GET /tenants/{tenant}/live HTTP/1.1\r\nhost: bench\r\ncookie: {cookie}\r\n"
                    f"accept: text/event-stream\r\n\r\n".encode() for cookie in cookies]
        dashboard = measure_rss(server, server.dashboard_port, requests)
    finally:
        server.stop()
    reference_server = Serve(binary, log_dir / "sessions-reference.log")
    try:
        _, credentials = tenant_with_key(binary, reference_server)
        requests = [f"GET /api/conversations/events HTTP/1.1\r\nhost: bench\r\nx-api-key: {credentials['x-api-key']}"
                    f"\r\naccept: text/event-stream\r\n\r\n".encode() for _ in range(args.sessions)]
        reference = measure_rss(reference_server, reference_server.port, requests)
    finally:
        reference_server.stop()
    return [
        [f"{args.sessions} dashboard sessions, live stream each", f"{dashboard:.1f}",
         f"{dashboard * args.sessions / 1024:.2f}"],
        [f"reference: {args.sessions} API watchers (GET /api/conversations/events)", f"{reference:.1f}",
         f"{reference * args.sessions / 1024:.2f}"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", required=True)
    parser.add_argument("--log-dir", default=".data")
    parser.add_argument("--open", type=int, default=500)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    render = inbox_render(args.metachat, args, log_dir)
    header = ["workload", "p50 ms", "p95 ms", "max ms", "requests", "events/s written", "page"]
    print_plain(header, render)
    print(markdown(header, render))
    if args.sessions < 10:
        return
    memory = sessions(args.metachat, args, log_dir)
    header = ["workload", "RSS KiB per session", "MiB in all"]
    print_plain(header, memory)
    print(markdown(header, memory))


if __name__ == "__main__":
    main()
