#!/usr/bin/env python3
"""Driver for scripts/bench-rest.sh: interleaved HTTP/1.1 JSON benchmark of several servers, with
wrk as the load generator. Standard library only (any python3).

scripts/bench-rest.sh builds the servers, checks for wrk, then runs this file. Run it directly
only with servers already built:

    python3 Benchmarks/bench_rest.py --server NAME=COMMAND [--server NAME=COMMAND ...]

COMMAND is split like a shell would (no expansion); every `{port}` in it becomes a free TCP port
the driver picks (the port is appended as the last argument when there is no `{port}`). The
server must listen on 127.0.0.1:<port> over HTTP/1.1 and answer
    GET /v1/echo/<text>  ->  200, content-type application/json, {"text":"<text>",...}
(the REST form of the echo fixture's Get). It is stopped by closing its standard input, then
SIGTERM, then SIGKILL.

First each server is started once and checked as in 1 below; if one fails, the driver prints
what it answered and exits 2 without measuring anything. Then, per round (servers in a rotating
order), each server is started pinned to --server-cpu and:
  1. checked: two GETs of the route on one keep-alive connection must each answer 200,
     content-type application/json, a JSON object whose "text" is the requested text, and leave
     the connection open; the second response's size (status line + headers + body) is the
     expected size of every response during the load;
  2. warmed up with a short wrk run (--warmup seconds, not measured);
  3. measured: wrk (pinned to --client-cpu) for --duration seconds, -t --threads, -c
     --connections, keep-alive; Benchmarks/wrk_report.lua prints the totals and latency
     percentiles as JSON. Around the run the server's utime+stime (/proc/PID/stat) are read, and
     each core's busy time (/proc/stat) to tell how much else ran on it;
  4. checked again as in 1, then asked for VmHWM (/proc/PID/status) and stopped.
A wrk run counts only with zero connect/read/write/timeout errors, zero non-2xx/3xx answers and
a byte total that fits that many responses of the expected size (a server answering something
else at the same status would not).

Output: per-round lines, then per server the medians of req/s, p50/p99 latency, server CPU per
request and peak RSS, with ratios against --reference, printed plain and as markdown, and the
verdict on the target (req/s >= 1.0x the reference with p99 no worse). Logs, wrk outputs and raw
results go to Benchmarks/.build/bench-rest/runs/<time>/.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_common import Server, ServerFailure, free_port, markdown, measured, median, print_plain, vm_hwm_kib

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "Benchmarks" / ".build" / "bench-rest"
REPORT_LUA = Path(__file__).resolve().parent / "wrk_report.lua"
ROUTE = "/v1/echo/{text}"


# ---------------------------------------------------------------------------------------------
# Route check


@dataclass
class Answer:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    size: int  # bytes on the wire: status line, headers, body (chunk framing included)


def read_answer(stream) -> Answer:
    """Reads one HTTP/1.1 response from a buffered binary stream."""
    size = 0

    def line() -> bytes:
        nonlocal size
        data = stream.readline(65536)
        if not data:
            raise ServerFailure("connection closed before a complete response")
        size += len(data)
        return data

    status_line = line().decode("latin-1").rstrip("\r\n")
    match = re.fullmatch(r"HTTP/1\.[01] (\d{3}) ?(.*)", status_line)
    if not match:
        raise ServerFailure(f"not an HTTP/1.x status line: {status_line!r}")
    headers: dict[str, str] = {}
    while (header := line()) not in (b"\r\n", b"\n"):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()

    def read(count: int) -> bytes:
        nonlocal size
        data = stream.read(count)
        if len(data) != count:
            raise ServerFailure("connection closed inside a response body")
        size += count
        return data

    if "content-length" in headers:
        body = read(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while (chunk_size := int(line().split(b";")[0].strip(), 16)) > 0:
            body += read(chunk_size)
            line()
        while line() not in (b"\r\n", b"\n"):  # trailers
            pass
    else:
        raise ServerFailure("response has neither content-length nor chunked transfer-encoding")
    return Answer(int(match.group(1)), match.group(2), headers, body, size)


def check_route(server: Server, text: str) -> Answer:
    """Two GETs of the echo route on one keep-alive connection; raises ServerFailure, with what
    the server answered, unless both are the echo JSON document. Returns the second answer."""
    path = ROUTE.format(text=text)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAccept: application/json\r\n\r\n"
    answers = []
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            stream = connection.makefile("rb")
            for _ in range(2):
                connection.sendall(request.encode())
                answers.append(read_answer(stream))
                if answers[-1].headers.get("connection", "").lower() == "close":
                    break
    except OSError as error:
        raise ServerFailure(f"{server.name}: GET {path} failed: {error}") from error
    except ServerFailure as error:
        raise ServerFailure(f"{server.name}: GET {path}: {error}") from error
    for answer in answers:
        excerpt = answer.body[:200].decode(errors="replace")
        if answer.status != 200:
            raise ServerFailure(
                f"{server.name}: GET {path} answered {answer.status} {answer.reason} ({excerpt!r}), "
                f"not 200 with the echo JSON document: this server does not serve the REST echo "
                f"route GET {ROUTE}"
            )
        content_type = answer.headers.get("content-type", "")
        if not content_type.lower().startswith("application/json"):
            raise ServerFailure(f"{server.name}: GET {path} answered content-type {content_type!r}, "
                                f"not application/json")
        try:
            document = json.loads(answer.body)
        except ValueError as error:
            raise ServerFailure(f"{server.name}: GET {path} answered a body that is not JSON: "
                                f"{excerpt!r}") from error
        if not isinstance(document, dict) or document.get("text") != text:
            raise ServerFailure(f"{server.name}: GET {path} answered {excerpt}, not an object "
                                f"with \"text\": {text!r}")
    if len(answers) < 2:
        raise ServerFailure(f"{server.name}: closes the connection after each response "
                            f"(connection: close); the benchmark measures keep-alive")
    return answers[-1]


# ---------------------------------------------------------------------------------------------
# Load runs


@dataclass
class Run:
    ok: bool
    seconds: float = 0.0
    requests: int = 0
    bytes: int = 0
    latency_us: dict = field(default_factory=dict)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    foreign_core_pct: float = 0.0  # busy share of the server's core not spent in the server
    foreign_client_core_pct: float = 0.0  # busy share of the client's core not spent in wrk
    problems: list[str] = field(default_factory=list)
    output: str = ""


def wrk_run(server: Server, args, text: str, seconds: float, expected_size: int, log_path: Path) -> Run:
    command = [
        "taskset", "-c", str(args.client_cpu), "wrk",
        "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds:g}s",
        "--timeout", f"{args.timeout:g}s", "--latency", "-s", str(REPORT_LUA),
        f"http://127.0.0.1:{server.port}{ROUTE.format(text=text)}",
    ]
    m = measured(server, args, command, log_path)
    output, code = m.pop("output"), m.pop("code")
    run = Run(ok=False, output=output, **m)
    if code != 0:
        run.problems.append(f"wrk exit status {code}")
    try:
        lines = [line for line in output.splitlines() if line.startswith("{")]
        report = json.loads(lines[-1])
        run.seconds = report["duration_us"] / 1e6
        run.requests = int(report["requests"])
        run.bytes = int(report["bytes"])
        run.latency_us = report["latency_us"]
        errors = {k: int(v) for k, v in report["errors"].items() if v}
        if errors:
            run.problems.append("wrk errors: " + ", ".join(
                f"{v} {'non-2xx/3xx answers' if k == 'status' else k}" for k, v in errors.items()))
    except (IndexError, KeyError, TypeError, ValueError) as error:
        run.problems.append(f"wrk report not understood ({error!r}); see {log_path}")
    if run.requests <= 0:
        run.problems.append("no request completed")
    elif not (run.requests * expected_size <= run.bytes <= (run.requests + args.connections) * expected_size):
        run.problems.append(
            f"{run.bytes} bytes read for {run.requests} responses of {expected_size} bytes: "
            f"the server answered something else under load"
        )
    if not server.alive():
        run.problems.append(
            f"server died (exit status {server.process.returncode}); output: {server.stderr_tail()}"
        )
    run.ok = not run.problems and run.seconds > 0
    return run


# ---------------------------------------------------------------------------------------------
# One server, one round


def server_command(template: str, port: int) -> list[str]:
    parts = shlex.split(template)
    command = [part.replace("{port}", str(port)) for part in parts]
    if command == parts:
        command.append(str(port))
    return command


def bench_server(name: str, template: str, args, round_index: int, log_dir: Path) -> dict:
    tag = f"r{round_index + 1}"
    result: dict = {"server": name, "round": round_index + 1, "problems": []}
    port = free_port()
    command = server_command(template, port)
    result["command"] = command
    try:
        server = Server(name, command, args.server_cpu, log_dir, tag, port=port)
    except ServerFailure as error:
        result["problems"].append(str(error))
        return result
    try:
        answer = check_route(server, args.text)
        result["answer"] = {"size": answer.size, "content_type": answer.headers.get("content-type"),
                            "body": answer.body.decode(errors="replace")}
        warm = wrk_run(server, args, args.text, args.warmup, answer.size, log_dir / f"{tag}-{name}-warmup.txt")
        if not warm.ok:
            result["problems"].append("warm-up: " + "; ".join(warm.problems))
        server.check_alive("during warm-up")
        check_route(server, args.text)

        run = wrk_run(server, args, args.text, args.duration, answer.size, log_dir / f"{tag}-{name}-wrk.txt")
        result["wrk"] = run
        if not run.ok:
            result["problems"].append("wrk: " + "; ".join(run.problems))
        server.check_alive("during the measured run")
        check_route(server, args.text)
        result["rss_kib"] = vm_hwm_kib(server.pid)
    except ServerFailure as error:
        result["problems"].append(str(error))
    finally:
        result["stopped"] = server.stop()
        tail = server.stderr_tail()
        if tail != "(empty)":
            result["output"] = tail
    return result


def preflight(servers: list[tuple[str, str]], args, log_dir: Path) -> bool:
    """Starts each server once and checks the route before anything is measured, so a server
    without it stops the benchmark at once with what it answered."""
    ok = True
    for name, template in servers:
        port = free_port()
        try:
            server = Server(name, server_command(template, port), args.server_cpu, log_dir, "check", port=port)
        except ServerFailure as error:
            print(f"bench-rest: FAILED: {error}", flush=True)
            ok = False
            continue
        try:
            answer = check_route(server, args.text)
            print(f"bench-rest: {name} serves GET {ROUTE.format(text=args.text)}: {answer.status}, "
                  f"{answer.headers.get('content-type')}, {answer.body.decode(errors='replace')}", flush=True)
        except ServerFailure as error:
            print(f"bench-rest: FAILED: {error}", flush=True)
            ok = False
        finally:
            server.stop()
    if not ok:
        print("bench-rest: nothing measured: every server must answer the route (see above; our "
              "side's command is $METACHAT_REST_SERVER in scripts/bench-rest.sh)", flush=True)
    return ok


# ---------------------------------------------------------------------------------------------
# Report


def summarize(results: list[dict], names: list[str]) -> list[dict]:
    rows = []
    for name in names:
        mine = [r for r in results if r["server"] == name]
        runs = [r["wrk"] for r in mine if "wrk" in r and r["wrk"].ok]
        answers = [r["answer"] for r in mine if "answer" in r]
        rows.append({
            "server": name,
            "rounds": len(mine),
            "rps": median([r.requests / r.seconds for r in runs]),
            "p50_ms": median([r.latency_us["p50"] / 1000 for r in runs]),
            "p99_ms": median([r.latency_us["p99"] / 1000 for r in runs]),
            "cpu_us": median([r.server_cpu_s * 1e6 / r.requests for r in runs]),
            "rss_mib": median([r["rss_kib"] / 1024 for r in mine if "rss_kib" in r]),
            "wrk_cpu_pct": median([r.client_cpu_s / r.seconds * 100 for r in runs]),
            "foreign_pct": median([r.foreign_core_pct for r in runs]),
            "foreign_client_pct": median([r.foreign_client_core_pct for r in runs]),
            "ok_runs": f"{len(runs)}/{len(mine)}",
            "answer": answers[0] if answers else None,
        })
    return rows


def ratio(row: dict, ref: dict | None, key: str) -> float | None:
    if not ref or not ref.get(key) or row.get(key) is None:
        return None
    return row[key] / ref[key]


def table(rows: list[dict], reference: str) -> tuple[list[str], list[list[str]]]:
    ref = next((r for r in rows if r["server"] == reference), None)

    def num(value, fmt):
        return "failed" if value is None else format(value, fmt)

    def times(value):
        return "–" if value is None else f"{value:.2f}×"

    columns = [
        ("req/s", "rps", ",.0f"),
        ("p50 ms", "p50_ms", ".3f"),
        ("p99 ms", "p99_ms", ".3f"),
        ("µs CPU/req", "cpu_us", ".2f"),
        ("peak RSS MiB", "rss_mib", ".1f"),
    ]
    header = ["server"]
    for title, _, _ in columns:
        header += [title, f"vs {reference}"]
    header += ["wrk CPU %", "other load % server core", "other load % client core", "good runs"]
    body = []
    for row in rows:
        line = [row["server"]]
        for _, key, fmt in columns:
            line += [num(row.get(key), fmt), times(ratio(row, ref, key))]
        line += [num(row["wrk_cpu_pct"], ".0f"), num(row["foreign_pct"], ".1f"),
                 num(row["foreign_client_pct"], ".1f"), row["ok_runs"]]
        body.append(line)
    return header, body


def verdicts(rows: list[dict], reference: str) -> list[str]:
    """The target for each other server: req/s >= 1.0x the reference, p99 latency no worse."""
    ref = next((r for r in rows if r["server"] == reference), None)
    lines = []
    for row in rows:
        if row["server"] == reference:
            continue
        rps, p99 = ratio(row, ref, "rps"), ratio(row, ref, "p99_ms")
        if rps is None or p99 is None:
            lines.append(f"{row['server']} vs {reference}: no verdict (a server had no good run)")
            continue
        met = rps >= 1.0 and p99 <= 1.0
        lines.append(
            f"{row['server']} vs {reference}: req/s {rps:.2f}× (target ≥ 1.00×), p99 {p99:.2f}× "
            f"(target ≤ 1.00×): {'met' if met else 'missed'}"
        )
    return lines


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", required=True, metavar="NAME=COMMAND",
                        help="a server to measure; `{port}` in COMMAND is replaced by its port")
    parser.add_argument("--reference", default="hummingbird", help="server the ratios compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of wrk before measuring")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (keep-alive connections)")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument("--timeout", type=float, default=5, help="wrk --timeout, seconds")
    parser.add_argument("--text", default="0123456789abcdef", help="the {text} of GET /v1/echo/{text}")
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--run-timeout", type=float, default=120, help="seconds before a wrk run is killed")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9._~-]+", args.text):
        parser.error("--text must be URL-safe (letters, digits, . _ ~ -)")

    servers = []
    for spec in args.server:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command.strip():
            parser.error(f"--server {spec!r}: expected NAME=COMMAND")
        servers.append((name, command))
    names = [name for name, _ in servers]
    if args.reference not in names:
        parser.error(f"--reference {args.reference!r} is not one of the servers ({', '.join(names)})")

    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_dir = WORK / "runs" / stamp
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"bench-rest: logs in {log_dir}", flush=True)
    if not preflight(servers, args, log_dir):
        return 2

    results = []
    for round_index in range(args.rounds):
        shift = round_index % len(servers)
        for name, command in servers[shift:] + servers[:shift]:
            print(f"bench-rest: round {round_index + 1}/{args.rounds}: {name} ...", flush=True)
            result = bench_server(name, command, args, round_index, log_dir)
            results.append(result)
            run = result.get("wrk")
            if run is not None and run.ok:
                print(f"    {run.requests / run.seconds:,.0f} req/s, p50 {run.latency_us['p50'] / 1000:.3f} ms, "
                      f"p99 {run.latency_us['p99'] / 1000:.3f} ms, {run.server_cpu_s * 1e6 / run.requests:.2f} µs "
                      f"server CPU/req, wrk CPU {run.client_cpu_s / run.seconds * 100:.0f}%, other load "
                      f"server/client core {run.foreign_core_pct:.0f}%/{run.foreign_client_core_pct:.0f}%; "
                      f"VmHWM {result.get('rss_kib', 0) / 1024:.1f} MiB", flush=True)
            for problem in result["problems"]:
                print(f"    PROBLEM: {problem}", flush=True)
            print(f"    stopped by {result.get('stopped', '(never started)')}", flush=True)
            if result["problems"] and "output" in result:
                print(f"    server output: {result['output'][:600]}", flush=True)

    rows = summarize(results, names)
    header, body = table(rows, args.reference)
    print()
    print(f"Medians over {args.rounds} round(s); wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration:g}s (keep-alive) on GET {ROUTE.format(text=args.text)}; server on CPU "
          f"{args.server_cpu}, wrk on CPU {args.client_cpu}.")
    for row in rows:
        if row["answer"]:
            print(f"  {row['server']} answers {row['answer']['size']} bytes, content-type "
                  f"{row['answer']['content_type']}, body {row['answer']['body']}")
    print_plain(header, body)
    print()
    md = markdown(header, body)
    print(md)
    print()
    for line in verdicts(rows, args.reference):
        print(line)
    raw = []
    for r in results:
        entry = {k: v for k, v in r.items() if not isinstance(v, Run)}
        if isinstance(r.get("wrk"), Run):
            entry["wrk"] = {key: val for key, val in r["wrk"].__dict__.items() if key != "output"}
        raw.append(entry)
    (log_dir / "results.json").write_text(json.dumps({"args": vars(args), "results": raw, "summary": rows}, indent=2))
    (log_dir / "table.md").write_text(md + "\n")
    failed = sum(1 for r in results if r["problems"])
    print(f"\nbench-rest: raw results {log_dir / 'results.json'}; {failed} server-round(s) with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
