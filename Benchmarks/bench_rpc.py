#!/usr/bin/env python3
"""Driver for scripts/bench-rpc.sh: interleaved gRPC Echo benchmark of several servers.

scripts/bench-rpc.sh builds the servers and then runs this file with the project's .venv python
(grpcio + grpcio-tools). Run it directly only with servers already built:

    .venv/bin/python Benchmarks/bench_rpc.py --server NAME=PATH [--server NAME=PATH ...]

Starting and stopping servers, the CPU and /proc measurements and the table printing live in
bench_common.py, shared with bench_rest.py.

Each server binary takes a port argument (0 = any free port), prints `listening <port>` on its
first stdout line once ready, and stops when its standard input closes (SIGTERM as a fallback).

Per round (servers in a rotating order), each server is started pinned to --server-cpu and:
  1. checked with one grpcio unary Get and one Expand (text, labels, indices, status OK);
  2. warmed up with a short h2load run (not measured);
  3. measured: h2load (pinned to --client-cpu) on unary Get, then on server-streaming Expand
     (repeat=--stream-repeat); around each run the server's utime+stime (/proc/PID/stat) are
     read, and the server core's busy time (/proc/stat) to tell how much else ran on it;
  4. optionally measured with $METACHAT_BENCH_CLIENT (see below);
  5. asked for VmHWM (/proc/PID/status), then stopped by closing its standard input.
Every h2load run must report all requests succeeded, 0 failed/errored/timeout, every status
2xx, and exactly the DATA bytes that correct responses carry (gRPC answers HTTP 200 even on
error; an error answer is trailers-only and carries no DATA, so a byte count short of the
expected total means some calls failed).

The table's ratios divide medians, which may come from different rounds; the machine's speed
drifts between rounds, so the first server's unary req/s and CPU per request are also divided
by the reference's of the same round, and the median of those paired ratios is printed after
the table.

$METACHAT_BENCH_CLIENT hook: if set, it is a command (split like a shell would, no expansion)
run pinned to --client-cpu as
    $METACHAT_BENCH_CLIENT --host 127.0.0.1 --port P --connections 8 --streams 32 \
        --requests 200000 --payload 16 --mode unary
    $METACHAT_BENCH_CLIENT --host 127.0.0.1 --port P --connections 8 --streams 8 \
        --requests 2000 --payload 16 --mode stream --repeat 1000
(the numbers follow this script's options). Expected: unary mode calls
/metachat.fixture.v1.EchoService/Get with an EchoRequest whose text is `payload` bytes; stream
mode calls Expand with that text and `repeat`; `streams` is the number of calls in flight per
connection. It exits 0 when every call ended with grpc-status 0 and prints, as its LAST stdout
line, one JSON object:
    {"requests": <calls that succeeded>, "failed": <calls that did not>,
     "seconds": <wall time of the measured part>, "messages": <response messages received>}
The driver computes req/s = requests/seconds and msgs/s = messages/seconds from it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_common import (
    Server,
    ServerFailure,
    markdown,
    measured,
    measured_at_once,
    median,
    print_plain,
    vm_hwm_kib,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "CodegenTests" / "Fixtures"
WORK = ROOT / "Benchmarks" / ".build" / "bench-rpc"
GET_PATH = "/metachat.fixture.v1.EchoService/Get"
EXPAND_PATH = "/metachat.fixture.v1.EchoService/Expand"


# ---------------------------------------------------------------------------------------------
# Stubs and request bodies


def load_stubs():
    """Generates Python stubs for echo.proto (into Benchmarks/.build) and imports them."""
    out = WORK / "py"
    out.mkdir(parents=True, exist_ok=True)
    import grpc_tools  # noqa: PLC0415
    from grpc_tools import protoc  # noqa: PLC0415

    well_known = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    args = [
        "protoc",
        f"-I{ROOT / 'proto'}",
        f"-I{FIXTURES}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        "echo.proto",
        "google/api/annotations.proto",
        "google/api/http.proto",
    ]
    if protoc.main(args) != 0:
        raise SystemExit("bench-rpc: grpc_tools.protoc failed on echo.proto")
    sys.path.insert(0, str(out))
    import echo_pb2  # noqa: PLC0415
    import echo_pb2_grpc  # noqa: PLC0415

    return echo_pb2, echo_pb2_grpc


def frame(message_bytes: bytes) -> bytes:
    """One gRPC length-prefixed message: uncompressed flag + 4-byte big-endian length."""
    return b"\x00" + len(message_bytes).to_bytes(4, "big") + message_bytes


# ---------------------------------------------------------------------------------------------
# Load runs


@dataclass
class Run:
    ok: bool
    seconds: float = 0.0
    requests: int = 0
    messages: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    foreign_core_pct: float = 0.0  # busy share of the server's core not spent in the server
    foreign_client_core_pct: float = 0.0  # busy share of the client's core not spent in the client
    problems: list[str] = field(default_factory=list)
    output: str = ""


def parse_duration(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(text)
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}[match.group(2)]
    return float(match.group(1)) * scale


def check_h2load(output: str, n: int, expected_data: int) -> tuple[float, list[str]]:
    problems = []
    finished = re.search(r"finished in ([\d.]+(?:us|ms|s)),", output)
    requests = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
        r"(\d+) errored, (\d+) timeout",
        output,
    )
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", output)
    traffic = re.search(r"traffic: .*?, [\d.]+\w*B \((\d+)\) data", output)
    if not (finished and requests and codes and traffic):
        return 0.0, ["h2load output not understood"]
    total, _, done, succeeded, failed, errored, timeout = map(int, requests.groups())
    if succeeded != n or done != n:
        problems.append(f"{succeeded}/{n} succeeded, {done} done")
    if failed or errored or timeout:
        problems.append(f"{failed} failed, {errored} errored, {timeout} timeout")
    if int(codes.group(1)) != n:
        problems.append(f"status codes: {codes.group(0)}")
    data = int(traffic.group(1))
    if data != expected_data:
        problems.append(
            f"DATA bytes {data} != expected {expected_data} (some calls answered without the "
            f"expected messages, e.g. a trailers-only error)"
        )
    return parse_duration(finished.group(1)), problems


def h2load_command(server, args, path: str, body: Path, n: int, c: int, m: int) -> list[str]:
    """h2load pinned to the client core, posting `body` as a gRPC call `n` times."""
    return [
        "taskset", "-c", str(args.client_cpu), "h2load",
        "-n", str(n), "-c", str(c), "-m", str(m),
        "-d", str(body),
        "-H", "content-type: application/grpc",
        "-H", "te: trailers",
        f"http://127.0.0.1:{server.port}{path}",
    ]


def h2load_run(server, args, path: str, body: Path, n: int, c: int, m: int, expected_data: int,
               log_path: Path, per_request_messages: int) -> Run:
    command = h2load_command(server, args, path, body, n, c, m)
    m = measured(server, args, command, log_path)
    output, code = m.pop("output"), m.pop("code")
    run = Run(ok=False, output=output, **m)
    if code != 0:
        run.problems.append(f"h2load exit status {code}")
    seconds, problems = check_h2load(output, n, expected_data)
    run.problems += problems
    run.seconds = seconds
    run.requests = n
    run.messages = n * per_request_messages
    if not server.alive():
        run.problems.append(
            f"server died (exit status {server.process.returncode}); stderr: {server.stderr_tail()}"
        )
    run.ok = not run.problems and seconds > 0
    return run


def client_run(server, args, mode: str, log_path: Path) -> Run:
    base = shlex.split(os.environ["METACHAT_BENCH_CLIENT"])
    if mode == "unary":
        extra = ["--connections", str(args.connections), "--streams", str(args.streams),
                 "--requests", str(args.requests), "--payload", str(args.payload), "--mode", "unary"]
    else:
        extra = ["--connections", str(args.connections), "--streams", str(args.stream_streams),
                 "--requests", str(args.stream_requests), "--payload", str(args.payload),
                 "--mode", "stream", "--repeat", str(args.stream_repeat)]
    command = ["taskset", "-c", str(args.client_cpu), *base,
               "--host", "127.0.0.1", "--port", str(server.port), *extra]
    m = measured(server, args, command, log_path)
    output, code = m.pop("output"), m.pop("code")
    run = Run(ok=False, output=output, **m)
    if code != 0:
        run.problems.append(f"client exit status {code}")
    try:
        lines = [line for line in output.splitlines() if line.strip().startswith("{")]
        result = json.loads(lines[-1])
        run.requests = int(result["requests"])
        run.seconds = float(result["seconds"])
        run.messages = int(result.get("messages", run.requests))
        if int(result.get("failed", 0)):
            run.problems.append(f"{result['failed']} calls failed")
    except (IndexError, KeyError, ValueError) as error:
        run.problems.append(f"client output not understood ({error!r})")
    if not server.alive():
        run.problems.append(f"server died (exit status {server.process.returncode})")
    run.ok = not run.problems and run.seconds > 0
    return run


def grpcio_check(pb, pb_grpc, port: int, payload: str):
    """One unary Get and one short Expand through grpcio; raises on any mismatch."""
    import grpc  # noqa: PLC0415

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.EchoServiceStub(channel)
        request = pb.EchoRequest(text=payload, labels={"bench": "rpc"})
        response, call = stub.Get.with_call(request, timeout=10)
        if call.code() != grpc.StatusCode.OK:
            raise ServerFailure(f"Get answered {call.code()}")
        if (response.text != payload or dict(response.labels) != {"bench": "rpc"} or response.index
                or response.request != request):
            raise ServerFailure(f"Get answered a wrong echo: {response}")
        stream = stub.Expand(pb.EchoRequest(text=payload, repeat=3), timeout=10)
        indices = [(r.text, r.index) for r in stream]
        if stream.code() != grpc.StatusCode.OK or indices != [(payload, i) for i in range(3)]:
            raise ServerFailure(f"Expand answered {stream.code()} {indices}")


# ---------------------------------------------------------------------------------------------
# One server, one round


def bench_server(name, command, args, pb, pb_grpc, bodies, round_index, log_dir) -> dict:
    tag = f"r{round_index + 1}"
    result: dict = {"server": name, "round": round_index + 1, "problems": []}
    try:
        server = Server(name, command, args.server_cpu, log_dir, tag)
    except ServerFailure as error:
        result["problems"].append(str(error))
        return result
    result["port"] = server.port
    try:
        payload = bodies["payload"]
        # Warm-up (not measured): allocator, connection setup paths, thread pools.
        grpcio_check(pb, pb_grpc, server.port, payload)
        warm = h2load_run(server, args, GET_PATH, bodies["unary"], args.warmup, args.connections,
                          args.streams, bodies["unary_data"] * args.warmup,
                          log_dir / f"{tag}-{name}-warmup.txt", 1)
        if not warm.ok:
            result["problems"].append("warm-up: " + "; ".join(warm.problems))
        server.check_alive("during warm-up")

        grpcio_check(pb, pb_grpc, server.port, payload)
        unary = h2load_run(server, args, GET_PATH, bodies["unary"], args.requests, args.connections,
                           args.streams, bodies["unary_data"] * args.requests,
                           log_dir / f"{tag}-{name}-unary.txt", 1)
        result["unary"] = unary
        if not unary.ok:
            result["problems"].append("unary: " + "; ".join(unary.problems))
        server.check_alive("during the unary run")
        result["rss_after_unary_kib"] = vm_hwm_kib(server.pid)

        grpcio_check(pb, pb_grpc, server.port, payload)
        stream = h2load_run(server, args, EXPAND_PATH, bodies["stream"], args.stream_requests,
                            args.connections, args.stream_streams,
                            bodies["stream_data"] * args.stream_requests,
                            log_dir / f"{tag}-{name}-stream.txt", args.stream_repeat)
        result["stream"] = stream
        if not stream.ok:
            result["problems"].append("stream: " + "; ".join(stream.problems))
        server.check_alive("during the streaming run")

        if os.environ.get("METACHAT_BENCH_CLIENT"):
            for mode in ("unary", "stream"):
                grpcio_check(pb, pb_grpc, server.port, payload)
                run = client_run(server, args, mode, log_dir / f"{tag}-{name}-client-{mode}.txt")
                result[f"client_{mode}"] = run
                if not run.ok:
                    result["problems"].append(f"client {mode}: " + "; ".join(run.problems))
                server.check_alive(f"during the client {mode} run")

        result["rss_kib"] = vm_hwm_kib(server.pid)
    except ServerFailure as error:
        result["problems"].append(str(error))
    except Exception as error:  # a grpcio error, mostly
        result["problems"].append(f"{type(error).__name__}: {error}")
        if not server.alive():
            result["problems"].append(
                f"server exited ({server.process.returncode}); stderr: {server.stderr_tail()}"
            )
    finally:
        result["stopped"] = server.stop()
        tail = server.stderr_tail()
        if tail != "(empty)":
            result["stderr"] = tail
    return result


def side_by_side(first, second, args, bodies, round_index, log_dir) -> dict:
    """Serves the unary load from two servers at the same time: both pinned to the server core,
    each driven by its own h2load on the client core, so both see the same machine speed. A
    server's CPU time is read when its own load finishes. Returns µs of CPU per call for each and
    their ratio (first ÷ second), or the problems that spoiled the run."""
    tag = f"r{round_index + 1}-side-by-side"
    result: dict = {"round": round_index + 1, "problems": []}
    servers = []
    try:
        for name, command in (first, second):
            servers.append(Server(name, command, args.server_cpu, log_dir, f"{tag}"))
        for server in servers:
            warm = h2load_run(server, args, GET_PATH, bodies["unary"], args.warmup, args.connections,
                              args.streams, bodies["unary_data"] * args.warmup,
                              log_dir / f"{tag}-{server.name}-warmup.txt", 1)
            if not warm.ok:
                result["problems"].append(f"{server.name} warm-up: " + "; ".join(warm.problems))
        n = args.requests
        commands = [h2load_command(server, args, GET_PATH, bodies["unary"], n, args.connections, args.streams)
                    for server in servers]
        runs = measured_at_once(servers, commands, [log_dir / f"{tag}-{server.name}.txt" for server in servers],
                                args.run_timeout)
        for server, run in zip(servers, runs):
            problems = [] if run["code"] == 0 else [f"h2load exit status {run['code']}"]
            problems += check_h2load(run["output"], n, n * bodies["unary_data"])[1]
            result["problems"] += [f"{server.name}: {problem}" for problem in problems]
        cpu = [run["server_cpu_s"] for run in runs]
        result["us_per_call"] = [seconds * 1e6 / n for seconds in cpu]
        if not result["problems"] and cpu[1] > 0:
            result["ratio"] = cpu[0] / cpu[1]
    except ServerFailure as error:
        result["problems"].append(str(error))
    finally:
        for server in servers:
            server.stop()
    return result


# ---------------------------------------------------------------------------------------------
# Report


def paired_unary_ratios(results: list[dict], name: str, reference: str) -> list[tuple[float, float]]:
    """Per round where both ran clean: `name`'s unary req/s and CPU per request, each divided
    by `reference`'s of the same round."""
    pairs = []
    for round_number in sorted({r["round"] for r in results}):
        runs = {r["server"]: r.get("unary") for r in results if r["round"] == round_number}
        mine, theirs = runs.get(name), runs.get(reference)
        if mine is None or theirs is None or not (mine.ok and theirs.ok) or theirs.server_cpu_s <= 0:
            continue
        speed = (mine.requests / mine.seconds) / (theirs.requests / theirs.seconds)
        cost = (mine.server_cpu_s / mine.requests) / (theirs.server_cpu_s / theirs.requests)
        pairs.append((speed, cost))
    return pairs


def summarize(results: list[dict], names: list[str], args) -> list[dict]:
    rows = []
    for name in names:
        mine = [r for r in results if r["server"] == name]

        def runs(key):
            return [r[key] for r in mine if key in r and r[key].ok]

        row = {"server": name, "rounds": len(mine)}
        unary, stream = runs("unary"), runs("stream")
        row["unary_rps"] = median([r.requests / r.seconds for r in unary])
        row["unary_cpu_us"] = median([r.server_cpu_s * 1e6 / r.requests for r in unary])
        row["stream_mps"] = median([r.messages / r.seconds for r in stream])
        row["stream_cpu_us"] = median([r.server_cpu_s * 1e6 / r.messages for r in stream])
        row["rss_mib"] = median([r["rss_kib"] / 1024 for r in mine if "rss_kib" in r])
        row["rss_unary_mib"] = median(
            [r["rss_after_unary_kib"] / 1024 for r in mine if "rss_after_unary_kib" in r]
        )
        row["foreign_pct"] = median([r.foreign_core_pct for r in unary + stream])
        row["foreign_client_pct"] = median([r.foreign_client_core_pct for r in unary + stream])
        row["h2load_cpu_pct"] = median([r.client_cpu_s / r.seconds * 100 for r in unary])
        row["ok_runs"] = f"{len(unary)}/{len(mine)} unary, {len(stream)}/{len(mine)} stream"
        if os.environ.get("METACHAT_BENCH_CLIENT"):
            cu, cs = runs("client_unary"), runs("client_stream")
            row["client_unary_rps"] = median([r.requests / r.seconds for r in cu])
            row["client_unary_cpu_us"] = median([r.server_cpu_s * 1e6 / r.requests for r in cu])
            row["client_stream_mps"] = median([r.messages / r.seconds for r in cs])
            row["client_stream_cpu_us"] = median(
                [r.server_cpu_s * 1e6 / max(r.messages, 1) for r in cs]
            )
        rows.append(row)
    return rows


def table(rows: list[dict], reference: str) -> tuple[list[str], list[list[str]]]:
    ref = next((r for r in rows if r["server"] == reference), None)

    def ratio(row, key):
        if not ref or ref.get(key) in (None, 0) or row.get(key) is None:
            return "–"
        return f"{row[key] / ref[key]:.2f}×"

    def num(value, fmt):
        return "failed" if value is None else format(value, fmt)

    columns = [
        ("unary req/s", "unary_rps", ",.0f"),
        ("µs CPU/req", "unary_cpu_us", ".2f"),
        ("stream msgs/s", "stream_mps", ",.0f"),
        ("µs CPU/msg", "stream_cpu_us", ".3f"),
        ("peak RSS MiB", "rss_mib", ".1f"),
    ]
    if rows and "client_unary_rps" in rows[0]:
        columns += [
            ("client unary req/s", "client_unary_rps", ",.0f"),
            ("client µs CPU/req", "client_unary_cpu_us", ".2f"),
            ("client stream msgs/s", "client_stream_mps", ",.0f"),
            ("client µs CPU/msg", "client_stream_cpu_us", ".3f"),
        ]
    header = ["server"]
    for title, _, _ in columns:
        header += [title, "vs C++"]
    header += ["RSS after unary MiB", "h2load CPU % (unary)", "other load % server core",
               "other load % client core", "good runs"]
    body = []
    for row in rows:
        line = [row["server"]]
        for _, key, fmt in columns:
            line += [num(row.get(key), fmt), ratio(row, key)]
        line += [num(row.get("rss_unary_mib"), ".1f"), num(row.get("h2load_cpu_pct"), ".0f"),
                 num(row.get("foreign_pct"), ".1f"), num(row.get("foreign_client_pct"), ".1f"), row["ok_runs"]]
        body.append(line)
    return header, body


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", required=True, metavar="NAME=COMMAND",
                        help="a server to measure (COMMAND is split like a shell would)")
    parser.add_argument("--reference", default="grpc-c++", help="server the ratios compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--payload", type=int, default=16, help="bytes of request text")
    parser.add_argument("--warmup", type=int, default=20_000, help="unary requests before measuring")
    parser.add_argument("--stream-requests", type=int, default=2_000)
    parser.add_argument("--stream-streams", type=int, default=8, help="concurrent Expand calls per connection")
    parser.add_argument("--stream-repeat", type=int, default=1_000)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--side-by-side", action="store_true",
                        help="after the rounds, also run the first server and --reference at the same time, "
                             "one h2load each, and report their CPU per unary call and its ratio")
    parser.add_argument("--run-timeout", type=float, default=300, help="seconds before a load run is killed")
    args = parser.parse_args()

    pb, pb_grpc = load_stubs()
    servers = []
    for spec in args.server:
        name, _, command = spec.partition("=")
        servers.append((name, shlex.split(command)))
    names = [name for name, _ in servers]

    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_dir = WORK / "runs" / stamp
    log_dir.mkdir(parents=True, exist_ok=True)

    payload = ("0123456789abcdef" * (args.payload // 16 + 1))[: args.payload]
    unary_body = log_dir / "get.body"
    unary_request = pb.EchoRequest(text=payload)
    unary_body.write_bytes(frame(unary_request.SerializeToString()))
    stream_body = log_dir / "expand.body"
    stream_request = pb.EchoRequest(text=payload, repeat=args.stream_repeat)
    stream_body.write_bytes(frame(stream_request.SerializeToString()))
    # Every server answers the echo fixture's contract: the text, the index and the whole request,
    # and in a stream each message's event id and the echoed text.
    bodies = {
        "payload": payload,
        "unary": unary_body,
        "stream": stream_body,
        "unary_data": len(frame(pb.EchoResponse(text=payload, request=unary_request).SerializeToString())),
        "stream_data": sum(
            len(frame(pb.EchoResponse(text=payload, index=i, request=stream_request, event_id=str(i),
                                      echoed=payload).SerializeToString()))
            for i in range(args.stream_repeat)
        ),
    }

    print(f"bench-rpc: logs in {log_dir}", flush=True)
    results = []
    for round_index in range(args.rounds):
        shift = round_index % len(servers)
        order = servers[shift:] + servers[:shift]
        for name, command in order:
            print(f"bench-rpc: round {round_index + 1}/{args.rounds}: {name} ...", flush=True)
            result = bench_server(name, command, args, pb, pb_grpc, bodies, round_index, log_dir)
            results.append(result)
            parts = []
            for key, unit in (("unary", "req/s"), ("stream", "msgs/s"), ("client_unary", "req/s"), ("client_stream", "msgs/s")):
                run = result.get(key)
                if run is not None and run.ok:
                    per = run.requests if key.endswith("unary") else run.messages
                    parts.append(f"{key} {(run.messages if 'stream' in key else run.requests) / run.seconds:,.0f} {unit} "
                                 f"({run.server_cpu_s * 1e6 / per:.2f} µs server CPU, client CPU "
                                 f"{run.client_cpu_s / run.seconds * 100:.0f}%, other load server/client core "
                                 f"{run.foreign_core_pct:.0f}%/{run.foreign_client_core_pct:.0f}%)")
            if "rss_kib" in result:
                parts.append(f"VmHWM {result['rss_kib'] / 1024:.1f} MiB")
            print("    " + "; ".join(parts or ["no successful run"]), flush=True)
            for problem in result["problems"]:
                print(f"    PROBLEM: {problem}", flush=True)
            print(f"    stopped by {result.get('stopped', '(never started)')}", flush=True)
            if "stderr" in result:
                print(f"    stderr: {result['stderr'][:600]}", flush=True)

    side = []
    if args.side_by_side:
        first = servers[0]
        second = next(server for server in servers if server[0] == args.reference)
        for round_index in range(args.rounds):
            print(f"bench-rpc: round {round_index + 1}/{args.rounds}: {first[0]} and {second[0]} side by side ...",
                  flush=True)
            entry = side_by_side(first, second, args, bodies, round_index, log_dir)
            side.append(entry)
            if "us_per_call" in entry:
                a, b = entry["us_per_call"]
                print(f"    {first[0]} {a:.2f} µs, {second[0]} {b:.2f} µs server CPU per call"
                      + (f", ratio {entry['ratio']:.2f}" if "ratio" in entry else ""), flush=True)
            for problem in entry["problems"]:
                print(f"    PROBLEM: {problem}", flush=True)

    rows = summarize(results, names, args)
    header, body = table(rows, args.reference)
    print()
    print(f"Medians over {args.rounds} round(s); unary: h2load -n {args.requests} -c {args.connections} "
          f"-m {args.streams}, {args.payload}-byte text; stream: Expand repeat={args.stream_repeat}, "
          f"h2load -n {args.stream_requests} -c {args.connections} -m {args.stream_streams}; server on "
          f"CPU {args.server_cpu}, load on CPU {args.client_cpu}.")
    print_plain(header, body)
    print()
    md = markdown(header, body)
    print(md)
    raw = []
    for r in results:
        entry = {k: v for k, v in r.items() if not isinstance(v, Run)}
        for k, v in r.items():
            if isinstance(v, Run):
                entry[k] = {key: val for key, val in v.__dict__.items() if key != "output"}
        raw.append(entry)
    paired = paired_unary_ratios(results, names[0], args.reference)
    if paired:
        speed, cost = [p[0] for p in paired], [p[1] for p in paired]
        print(f"\nper round, {names[0]} ÷ {args.reference} (the two runs of one round are minutes apart, "
              "the medians above may come from different rounds):")
        print("  unary req/s: " + ", ".join(f"{v:.2f}" for v in speed) + f" (median {median(speed):.2f})")
        print("  µs CPU/req:  " + ", ".join(f"{v:.2f}" for v in cost) + f" (median {median(cost):.2f})")
    if side:
        ratios = [entry["ratio"] for entry in side if "ratio" in entry]
        print(f"\nside by side, per round {servers[0][0]} CPU/call ÷ {args.reference} CPU/call: "
              + (", ".join(f"{ratio:.2f}" for ratio in ratios) or "no clean round")
              + (f" (median {median(ratios):.2f})" if ratios else ""))
    (log_dir / "results.json").write_text(
        json.dumps({"args": vars(args), "results": raw, "summary": rows, "side_by_side": side}, indent=2))
    (log_dir / "table.md").write_text(md + "\n")
    failed = sum(1 for r in results if r["problems"]) + sum(1 for entry in side if entry["problems"])
    print(f"\nbench-rpc: raw results {log_dir / 'results.json'}; {failed} server-round(s) with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
