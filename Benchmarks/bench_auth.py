"""Driver for scripts/bench-auth.sh: what authentication and rate limiting cost.

scripts/bench-auth.sh builds the release binaries, starts PostgreSQL and Redis (scripts/lib/
services.sh), migrates, and runs this file with DATABASE_URL, REDIS_URL and API_KEY_PEPPER set.

Setup: `metachat seed-admin --json` gives an admin key; a `metachat serve` creates a tenant and a
tenant key over REST. Every server runs with RATE_LIMIT_MAX_REQUESTS=1000000000 (per minute), so
the limiter runs its real path (Redis, leases) but never refuses.

Workloads, per round in a rotating order, each on a freshly started server pinned to
--server-cpu, load generator pinned to --client-cpu (PostgreSQL and Redis are pinned there too):
  echo         echo-server: EchoService/Get, no interceptors (the RPC benchmark's server)
  echo+auth    echo-server --auth: the same call through the production AuthenticationInterceptor
               and RateLimitInterceptor (Redis-backed), with the tenant key in x-api-key
  tenant       metachat serve: TenantService/GetTenant of the key's own tenant (auth, rate
               limit, a PostgreSQL read under row-level security, protobuf encoding)
  rest-tenant  metachat serve: GET /api/tenants/{id} with wrk (HTTP/1.1 keep-alive, JSON)
gRPC workloads use h2load (-c 8 -m 32); a run counts only when every request succeeded and the
DATA bytes equal that many correct answers (a gRPC error is trailers-only, without DATA). The
expected answer size is taken from one curl call that must end with grpc-status 0. wrk runs must
have no socket errors and no non-2xx answers.

Reported per workload (medians over rounds): req/s, server CPU per request (utime+stime from
/proc), CPU per request of PostgreSQL and Redis together, peak RSS, and req/s against `echo`.

Side by side: in every round echo and echo+auth also run at the same time, both servers pinned
to the server core and each driven by its own h2load (-n --requests) on the client core. Each
server's CPU per request is measured over its own load, so the machine's speed, which drifts by
up to 2x between minutes on this kind of VM, is the same for both; the ratio echo CPU/request ÷
echo+auth CPU/request is the share of echo's throughput a CPU-bound server keeps with
authentication and rate limiting. The target: echo+auth keeps >= 90 % of echo's throughput,
judged by the median of the side-by-side ratios. The back-to-back runs' paired throughput ratios
are printed beside it.

Alternating: in every round both servers are also started once and loaded alone in turn,
--alternations pairs of h2load runs (-n --alternation-requests) back to back, the order flipping
each pair, each server alone on the server core as in the RPC benchmark. Pairs a second apart
see the same machine speed, and the median over every pair of every round is printed beside the
side-by-side figure. Neither is neutral: side by side, both load generators share the client
core, and waking a load generator that sleeps costs the server more (sock_def_readable took
about twice as long per write for the slower server's client in the profiles of 2026-11-29);
alone, each server keeps its own working set in cache between its calls. On a quiet machine the
two medians agreed within 2 points; on a busy one the alternating pairs charged authentication
twice what side by side did. The target is judged on both.

Interceptors in a loop: once per invocation, before the rounds, `echo-server
--measure-interceptors` times the two interceptors' immediate path in one process (11 rounds of
1,000,000 calls with the key, after one verification through PostgreSQL and a lease from Redis)
beside the same loop with no interceptor, and prints nanoseconds per call; in the server each
costs about three times its loop time, so this figure is for comparing builds.

Control: in every round two plain echo servers are also loaded alone in turn the same way, so
the pairs of one binary against itself show the alternating method's own bias and spread
(on 2026-11-29 a hand-run control without the order flip gave 0.87-1.08 per pair, median 0.955).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench_common import (
    CLK_TCK,
    Server,
    ServerFailure,
    free_port,
    markdown,
    measured,
    measured_at_once,
    median,
    print_plain,
    vm_hwm_kib,
)
from bench_rpc import check_h2load, frame

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "Benchmarks" / ".build" / "bench-auth"
REPORT_LUA = Path(__file__).resolve().parent / "wrk_report.lua"
ECHO_PATH = "/metachat.fixture.v1.EchoService/Get"
TENANT_PATH = "/metachat.v1.TenantService/GetTenant"
UNLIMITED = "1000000000"


@dataclass
class Run:
    ok: bool = False
    seconds: float = 0.0
    requests: int = 0
    server_cpu_s: float = 0.0
    services_cpu_s: float = 0.0
    foreign_core_pct: float = 0.0
    problems: list[str] = field(default_factory=list)


def string_field(number: int, text: str) -> bytes:
    """A protobuf length-delimited string field (short strings only)."""
    data = text.encode()
    assert len(data) < 128
    return bytes([number << 3 | 2, len(data)]) + data


def service_pids(data_dir: Path) -> list[int]:
    """PostgreSQL's postmaster and its children, and the Redis server, of the benchmark's data dir."""
    pids = []
    postmaster = data_dir / "pg" / "postmaster.pid"
    if postmaster.exists():
        root = int(postmaster.read_text().split()[0])
        pids.append(root)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == root:
                    pids.append(int(entry.name))
    port = os.environ["REDIS_URL"].rsplit(":", 1)[1].split("/")[0]
    found = subprocess.run(["pgrep", "-f", f"redis-server .*:{port}"], capture_output=True, text=True)
    pids += [int(p) for p in found.stdout.split()]
    return pids


def ticks_of(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def rest(port: int, method: str, path: str, admin: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"x-admin-key": admin, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def grpc_answer_bytes(port: int, path: str, body: Path, key: str | None) -> int:
    """DATA bytes of one correct answer, from a curl call that must end with grpc-status 0."""
    command = ["curl", "-s", "--http2-prior-knowledge", "-o", "-", "-D", "/dev/stderr",
               "-H", "content-type: application/grpc", "-H", "te: trailers",
               "--data-binary", f"@{body}", f"http://127.0.0.1:{port}{path}"]
    if key:
        command[1:1] = ["-H", f"x-api-key: {key}"]
    result = subprocess.run(command, capture_output=True, timeout=10)
    headers = result.stderr.decode(errors="replace").lower()
    if result.returncode != 0 or "grpc-status: 0" not in headers:
        raise ServerFailure(f"{path} did not answer grpc-status 0: {headers.strip()!r}")
    return len(result.stdout)


def h2load_command(args, server: Server, path: str, body: Path, n: int, key: str | None) -> list[str]:
    """h2load -c 8 -m 32 posting `body` to `path` `n` times, pinned to the client core."""
    command = ["taskset", "-c", str(args.client_cpu), "h2load", "-n", str(n), "-c", "8", "-m", "32",
               "-d", str(body), "-H", "content-type: application/grpc", "-H", "te: trailers"]
    if key:
        command += ["-H", f"x-api-key: {key}"]
    command.append(f"http://127.0.0.1:{server.port}{path}")
    return command


def h2load(server: Server, args, path: str, body: Path, n: int, key: str | None, answer: int,
           data_dir: Path, log: Path) -> Run:
    command = h2load_command(args, server, path, body, n, key)
    pids = service_pids(data_dir)
    services0 = ticks_of(pids)
    m = measured(server, args, command, log)
    run = Run(server_cpu_s=m["server_cpu_s"], foreign_core_pct=m["foreign_core_pct"],
              services_cpu_s=(ticks_of(pids) - services0) / CLK_TCK, requests=n)
    if m["code"] != 0:
        run.problems.append(f"h2load exit status {m['code']}")
    run.seconds, problems = check_h2load(m["output"], n, n * answer)
    run.problems += problems
    run.ok = not run.problems and run.seconds > 0 and server.alive()
    return run


def side_by_side(servers: list[Server], args, body: Path, n: int, keys: list[str | None], answers: list[int],
                 log_dir: Path, tag: str) -> list[Run]:
    """Drives every server at once, each with its own h2load -n `n`; a server's CPU time is read
    when its own load finishes."""
    commands = [h2load_command(args, server, ECHO_PATH, body, n, key) for server, key in zip(servers, keys)]
    logs = [log_dir / f"{tag}-{server.name.replace('+', '-')}.log" for server in servers]
    runs = []
    for server, answer, measured_run in zip(servers, answers, measured_at_once(servers, commands, logs,
                                                                                args.run_timeout)):
        run = Run(requests=n, server_cpu_s=measured_run["server_cpu_s"])
        if measured_run["code"] != 0:
            run.problems.append(f"h2load exit status {measured_run['code']}")
        run.seconds, problems = check_h2load(measured_run["output"], n, n * answer)
        run.problems += problems
        run.ok = not run.problems and run.seconds > 0 and server.alive()
        runs.append(run)
    return runs


def wrk(server: Server, args, path: str, key: str, answer: int, data_dir: Path, log: Path) -> Run:
    command = ["taskset", "-c", str(args.client_cpu), "wrk", "-t", "1", "-c", "64", "-d", f"{args.wrk_seconds:g}s",
               "--latency", "-s", str(REPORT_LUA), "-H", f"x-api-key: {key}", f"http://127.0.0.1:{server.port}{path}"]
    pids = service_pids(data_dir)
    services0 = ticks_of(pids)
    m = measured(server, args, command, log)
    run = Run(server_cpu_s=m["server_cpu_s"], foreign_core_pct=m["foreign_core_pct"],
              services_cpu_s=(ticks_of(pids) - services0) / CLK_TCK)
    try:
        report = json.loads([line for line in m["output"].splitlines() if line.startswith("{")][-1])
        run.seconds = report["duration_us"] / 1e6
        run.requests = int(report["requests"])
        errors = {k: v for k, v in report["errors"].items() if v}
        if errors:
            run.problems.append(f"wrk errors {errors}")
        # x-request-id grows by a digit now and then: allow a few bytes per answer.
        if not run.requests * (answer - 8) <= int(report["bytes"]) <= run.requests * (answer + 8) + 64 * answer:
            run.problems.append(f"{report['bytes']} bytes for {run.requests} answers of ~{answer} bytes")
    except (IndexError, KeyError, ValueError) as error:
        run.problems.append(f"wrk report not understood ({error!r})")
    run.ok = not run.problems and run.requests > 0 and server.alive()
    return run


def rest_answer_bytes(port: int, path: str, key: str) -> int:
    """Bytes on the wire of one 200 answer (status line, headers, body)."""
    result = subprocess.run(["curl", "-s", "-i", "-H", f"x-api-key: {key}", f"http://127.0.0.1:{port}{path}"],
                            capture_output=True, timeout=10)
    if not result.stdout.startswith(b"HTTP/1.1 200"):
        raise ServerFailure(f"GET {path} did not answer 200: {result.stdout[:200]!r}")
    return len(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", required=True)
    parser.add_argument("--echo-server", required=True)
    parser.add_argument("--data-dir", required=True, type=Path, help="services_start's data dir")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200_000, help="h2load -n for the echo workloads")
    parser.add_argument("--tenant-requests", type=int, default=30_000, help="h2load -n for GetTenant")
    parser.add_argument("--wrk-seconds", type=float, default=10)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--run-timeout", type=float, default=300)
    parser.add_argument("--alternations", type=int, default=5, help="pairs of alone runs per round")
    parser.add_argument("--alternation-requests", type=int, default=100_000, help="h2load -n per alone run")
    args = parser.parse_args()

    log_dir = WORK / "runs" / time.strftime("%Y%m%d-%H%M%S")
    log_dir.mkdir(parents=True, exist_ok=True)
    for pid in service_pids(args.data_dir):
        subprocess.run(["taskset", "-a", "-cp", str(args.client_cpu), str(pid)], capture_output=True)
    environment_extra = {"RATE_LIMIT_MAX_REQUESTS": UNLIMITED, "RATE_LIMIT_WINDOW_MS": "60000", "LOG_LEVEL": "warning"}
    os.environ.update(environment_extra)

    seeded = subprocess.run([args.metachat, "seed-admin", "--email", "bench@example.com", "--label", "bench-auth",
                             "--json"], capture_output=True, text=True, check=True)
    admin = json.loads(seeded.stdout.strip().splitlines()[-1])["apiKey"]

    def serve(tag: str) -> Server:
        port = free_port()
        os.environ["PORT"] = str(port)
        return Server("metachat", [args.metachat, "serve"], args.server_cpu, log_dir, tag, port=port)

    setup = serve("setup")
    try:
        tenant = rest(setup.port, "POST", "/api/tenants", admin, {"name": "Bench Auth"})
        key = rest(setup.port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin,
                   {"label": f"bench-{int(time.time())}"})["apiKey"]
    finally:
        setup.stop()
    # The interceptors alone, in a loop in one process beside the same loop without them: no
    # network, so it resolves nanoseconds that the server runs cannot (echo-server
    # --measure-interceptors, Tests/EchoServer/InterceptorMeasurement.swift).
    loop = subprocess.run(["taskset", "-c", str(args.server_cpu), args.echo_server, "--measure-interceptors"],
                          env={**os.environ, "BENCH_API_KEY": key}, capture_output=True, text=True,
                          timeout=args.run_timeout)
    interceptor_lines = [line for line in loop.stdout.splitlines() if line.startswith("interceptors: ")]
    (log_dir / "interceptors.log").write_text(loop.stdout + loop.stderr)
    for line in interceptor_lines:
        print(line, flush=True)
    echo_body = log_dir / "echo.bin"
    echo_body.write_bytes(frame(string_field(1, "0123456789abcdef")))
    tenant_body = log_dir / "tenant.bin"
    tenant_body.write_bytes(frame(string_field(1, tenant["id"])))
    rest_path = f"/api/tenants/{tenant['id']}"

    def echo_run(auth: bool, tag: str) -> tuple[Run, int]:
        server = Server("echo+auth" if auth else "echo", [args.echo_server, *(["--auth"] if auth else [])],
                        args.server_cpu, log_dir, tag)
        try:
            answer = grpc_answer_bytes(server.port, ECHO_PATH, echo_body, key if auth else None)
            h2load(server, args, ECHO_PATH, echo_body, 20_000, key if auth else None, answer, args.data_dir,
                   log_dir / f"{tag}-warmup.log")
            run = h2load(server, args, ECHO_PATH, echo_body, args.requests, key if auth else None, answer,
                         args.data_dir, log_dir / f"{tag}.log")
            return run, vm_hwm_kib(server.pid)
        finally:
            server.stop()

    def echo_pair(tag: str, names: tuple[str, str] = ("echo", "echo+auth")) \
            -> tuple[list[Server], list[str | None], list[int]]:
        """Two echo servers started together (`echo+auth` with the interceptors, any other name
        without), with the key each call carries and its answer size."""
        servers = [Server(name, [args.echo_server, *(["--auth"] if name == "echo+auth" else [])],
                          args.server_cpu, log_dir, f"{tag}-{name.replace('+', '-').replace(' ', '-')}")
                   for name in names]
        keys = [key if name == "echo+auth" else None for name in names]
        try:
            answers = [grpc_answer_bytes(server.port, ECHO_PATH, echo_body, k) for server, k in zip(servers, keys)]
        except BaseException:
            for server in servers:
                server.stop()
            raise
        return servers, keys, answers

    def side_by_side_run(tag: str) -> tuple[Run, Run]:
        servers, keys, answers = echo_pair(tag)
        try:
            side_by_side(servers, args, echo_body, 20_000, keys, answers, log_dir, f"{tag}-warmup")
            plain, authed = side_by_side(servers, args, echo_body, args.requests, keys, answers, log_dir, tag)
            return plain, authed
        finally:
            for server in servers:
                server.stop()

    def alternating_run(tag: str, names: tuple[str, str] = ("echo", "echo+auth")) -> list[tuple[Run, Run]]:
        """Both echo servers up; each loaded alone in turn, --alternations pairs."""
        servers, keys, answers = echo_pair(tag, names)
        try:
            for server, k, answer in zip(servers, keys, answers):
                h2load(server, args, ECHO_PATH, echo_body, 20_000, k, answer, args.data_dir,
                       log_dir / f"{tag}-{server.name.replace('+', '-')}-warmup.log")
            pairs = []
            for index in range(args.alternations):
                order = [0, 1] if index % 2 == 0 else [1, 0]
                runs: dict[int, Run] = {}
                for which in order:
                    server = servers[which]
                    runs[which] = h2load(server, args, ECHO_PATH, echo_body, args.alternation_requests, keys[which],
                                         answers[which], args.data_dir,
                                         log_dir / f"{tag}-{index + 1}-{which}-{server.name.replace('+', '-')}.log")
                pairs.append((runs[0], runs[1]))
            return pairs
        finally:
            for server in servers:
                server.stop()

    def tenant_run(tag: str) -> tuple[Run, int]:
        server = serve(tag)
        try:
            answer = grpc_answer_bytes(server.port, TENANT_PATH, tenant_body, key)
            h2load(server, args, TENANT_PATH, tenant_body, 3_000, key, answer, args.data_dir,
                   log_dir / f"{tag}-warmup.log")
            run = h2load(server, args, TENANT_PATH, tenant_body, args.tenant_requests, key, answer, args.data_dir,
                         log_dir / f"{tag}.log")
            return run, vm_hwm_kib(server.pid)
        finally:
            server.stop()

    def rest_run(tag: str) -> tuple[Run, int]:
        server = serve(tag)
        try:
            answer = rest_answer_bytes(server.port, rest_path, key)
            run = wrk(server, args, rest_path, key, answer, args.data_dir, log_dir / f"{tag}.log")
            return run, vm_hwm_kib(server.pid)
        finally:
            server.stop()

    workloads = {
        "echo": lambda tag: echo_run(False, tag),
        "echo+auth": lambda tag: echo_run(True, tag),
        "tenant": tenant_run,
        "rest-tenant": rest_run,
    }
    names = list(workloads)
    # echo and echo+auth run back to back in every round (which goes first alternates), so each
    # round gives one paired ratio measured under the same conditions; the machine's speed
    # drifts more between rounds than within a pair.
    groups = [["echo", "echo+auth"], ["tenant"], ["rest-tenant"]]
    results: dict[str, list[tuple[Run, int]]] = {name: [] for name in names}
    together: list[tuple[Run, Run]] = []
    alternating: list[tuple[Run, Run]] = []
    control: list[tuple[Run, Run]] = []
    for round_index in range(args.rounds):
        plain, authed = side_by_side_run(f"r{round_index + 1}-side-by-side")
        status = "ok" if plain.ok and authed.ok else "FAILED: " + "; ".join(plain.problems + authed.problems)
        plain_cpu, authed_cpu = (run.server_cpu_s / run.requests * 1e6 for run in (plain, authed))
        print(f"round {round_index + 1} side by side: echo {plain_cpu:.2f} µs, echo+auth {authed_cpu:.2f} µs "
              f"server CPU/req, ratio {plain_cpu / authed_cpu if authed_cpu else 0:.2f}  {status}", flush=True)
        together.append((plain, authed))
        round_pairs = alternating_run(f"r{round_index + 1}-alternating")
        alternating += round_pairs
        print(f"round {round_index + 1} alternating alone, echo CPU/req ÷ echo+auth CPU/req: "
              + ", ".join(f"{p.server_cpu_s / p.requests / (a.server_cpu_s / a.requests):.2f}"
                          if p.ok and a.ok and a.server_cpu_s > 0 else "failed" for p, a in round_pairs), flush=True)
        round_control = alternating_run(f"r{round_index + 1}-control", ("echo", "echo again"))
        control += round_control
        print(f"round {round_index + 1} control, echo against itself alone in turn: "
              + ", ".join(f"{p.server_cpu_s / p.requests / (a.server_cpu_s / a.requests):.2f}"
                          if p.ok and a.ok and a.server_cpu_s > 0 else "failed" for p, a in round_control), flush=True)
        rotated = groups[round_index % len(groups):] + groups[:round_index % len(groups)]
        order = [name for group in rotated
                 for name in (group if round_index % 2 == 0 else list(reversed(group)))]
        for name in order:
            tag = f"r{round_index + 1}-{name.replace('+', '-')}"
            run, hwm = workloads[name](tag)
            status = "ok" if run.ok else "FAILED: " + "; ".join(run.problems)
            rate = run.requests / run.seconds if run.seconds else 0
            print(f"round {round_index + 1} {name:12} {rate:10.0f} req/s  "
                  f"{run.server_cpu_s / max(run.requests, 1) * 1e6:7.2f} µs server CPU/req  "
                  f"other load on server core {run.foreign_core_pct:4.1f} %  {status}", flush=True)
            results[name].append((run, hwm))

    failed = [name for name in names if not all(run.ok for run, _ in results[name])]
    if not all(plain.ok and authed.ok for plain, authed in together):
        failed.append("side by side")
    if not all(plain.ok and authed.ok for plain, authed in alternating):
        failed.append("alternating")
    rows = {}
    for name in names:
        good = [(run, hwm) for run, hwm in results[name] if run.ok]
        rows[name] = {
            "rps": median([run.requests / run.seconds for run, _ in good]),
            "cpu": median([run.server_cpu_s / run.requests * 1e6 for run, _ in good]),
            "services": median([run.services_cpu_s / run.requests * 1e6 for run, _ in good]),
            "rss": median([hwm / 1024 for _, hwm in good]),
        }
    reference = rows["echo"]["rps"]
    header = ["workload", "req/s", "vs echo", "µs server CPU/req", "µs PostgreSQL+Redis CPU/req", "peak RSS MiB"]
    body = []
    for name in names:
        row = rows[name]
        ratio = f"{row['rps'] / reference:.2f}×" if row["rps"] and reference else "-"
        body.append([name, f"{row['rps']:,.0f}" if row["rps"] else "-", ratio,
                     f"{row['cpu']:.2f}" if row["cpu"] else "-",
                     f"{row['services']:.2f}" if row["services"] is not None else "-",
                     f"{row['rss']:.1f}" if row["rss"] else "-"])
    print()
    print_plain(header, body)
    print()
    print(markdown(header, body))
    pairs = [(plain, authed) for (plain, _), (authed, _) in zip(results["echo"], results["echo+auth"])
             if plain.ok and authed.ok]
    if pairs:
        ratios = [(a.requests / a.seconds) / (p.requests / p.seconds) for p, a in pairs]
        added = [a.server_cpu_s / a.requests * 1e6 - p.server_cpu_s / p.requests * 1e6 for p, a in pairs]
        print("\nback to back, per round echo+auth / echo req/s: " + ", ".join(f"{r:.2f}" for r in ratios)
              + f" (median {median(ratios):.2f}); added server CPU per call (µs): "
              + ", ".join(f"{d:+.2f}" for d in added))
    measured_together = [(p, a) for p, a in together if p.ok and a.ok and a.server_cpu_s > 0]
    if measured_together:
        costs = [(p.server_cpu_s / p.requests * 1e6, a.server_cpu_s / a.requests * 1e6) for p, a in measured_together]
        kept = [plain / authed for plain, authed in costs]
        share = median(kept)
        print("side by side, per round echo CPU/req ÷ echo+auth CPU/req: " + ", ".join(f"{k:.2f}" for k in kept)
              + "; added server CPU per call (µs): " + ", ".join(f"{a - p:+.2f}" for p, a in costs))
        print(f"authentication + rate limiting keep {share:.1%} of echo's throughput (median of the side-by-side "
              f"rounds; target >= 90 %): {'met' if share >= 0.9 else 'missed'}; they add "
              f"{median([a - p for p, a in costs]):.2f} µs of server CPU per call")
        rows["side by side"] = {"kept": kept, "costs": costs}
    measured_alone = [(p, a) for p, a in alternating if p.ok and a.ok and a.server_cpu_s > 0 and p.server_cpu_s > 0]
    if measured_alone:
        costs = [(p.server_cpu_s / p.requests * 1e6, a.server_cpu_s / a.requests * 1e6) for p, a in measured_alone]
        kept = [plain / authed for plain, authed in costs]
        share = median(kept)
        print(f"alternating alone, {len(kept)} pairs, echo CPU/req ÷ echo+auth CPU/req: "
              + ", ".join(f"{k:.2f}" for k in kept))
        print(f"authentication + rate limiting keep {share:.1%} of echo's throughput (median of the alternating "
              f"pairs, each server alone; target >= 90 %): {'met' if share >= 0.9 else 'missed'}; they add "
              f"{median([a - p for p, a in costs]):.2f} µs of server CPU per call")
        rows["alternating"] = {"kept": kept, "costs": costs}
    measured_control = [(p, a) for p, a in control if p.ok and a.ok and a.server_cpu_s > 0 and p.server_cpu_s > 0]
    if measured_control:
        same = [(p.server_cpu_s / p.requests) / (a.server_cpu_s / a.requests) for p, a in measured_control]
        print(f"control: the same echo server against itself, {len(same)} pairs the same way: median "
              f"{median(same):.3f} (from {min(same):.2f} to {max(same):.2f}), the method's own bias and spread")
        rows["control"] = {"ratios": same}
    rows["interceptors"] = interceptor_lines
    for line in interceptor_lines:
        print(line)
    if loop.returncode != 0 or len(interceptor_lines) != 3:
        failed.append(f"echo-server --measure-interceptors (exit status {loop.returncode})")
    (log_dir / "results.json").write_text(json.dumps(rows, indent=2))
    print(f"logs: {log_dir}")
    if failed:
        print(f"failed runs: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
