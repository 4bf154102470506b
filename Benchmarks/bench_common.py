"""Parts shared by the benchmark drivers (bench_rpc.py, bench_rest.py): starting and stopping a
server pinned to one core, running a load command pinned to another while measuring CPU time and
other load on both cores, /proc readings, medians and table printing. Standard library only."""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import signal
import socket
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# /proc readings


def cpu_ticks(pid: int) -> int:
    """utime + stime of a whole process (all threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


def vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def core_busy_ticks(cpu: int) -> int:
    """Busy ticks of one core (everything but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                values = [int(v) for v in line.split()[1:]]
                return sum(values) - values[3] - values[4]
    return 0


# ---------------------------------------------------------------------------------------------
# Setting up through the REST API


def json_call(port: int, method: str, path: str, headers: dict[str, str], body: dict | None = None) -> dict:
    """One JSON request to 127.0.0.1:port (raises on an error status); the parsed answer."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


# ---------------------------------------------------------------------------------------------
# Servers


class ServerFailure(Exception):
    pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A server process pinned to one core, with standard input kept open (closing it is the
    polite way to stop it).

    Two ways to learn its port:
      port=None  "0" is appended to `command` and the port is read from the server's first
                 stdout line, `listening <port>`;
      port=N     `command` already carries N; the server is ready once 127.0.0.1:N accepts a
                 TCP connection. Its stdout goes to the log file with its stderr.
    """

    def __init__(self, name: str, command: list[str], cpu: int, log_dir: Path, tag: str,
                 port: int | None = None, ready_timeout: float = 30):
        self.name = name
        self.stderr_path = log_dir / f"{tag}-{name}.stderr"
        self.stderr_file = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            ["taskset", "-c", str(cpu), *command, *(["0"] if port is None else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if port is None else self.stderr_file,
            stderr=self.stderr_file,
        )
        self.port = port or 0
        try:
            if port is None:
                self.port = self._read_port(timeout=ready_timeout)
            else:
                self._wait_accepting(timeout=ready_timeout)
        except ServerFailure:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        buffer = b""
        fd = self.process.stdout.fileno()
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerFailure(f"{self.name}: no `listening <port>` line within {timeout}s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise ServerFailure(f"{self.name}: exited before listening ({self.stderr_tail()})")
                buffer += chunk
        line = buffer.split(b"\n", 1)[0].decode()
        match = re.fullmatch(r"listening (\d+)", line.strip())
        if not match:
            raise ServerFailure(f"{self.name}: unexpected first line {line!r}")
        return int(match.group(1))

    def _wait_accepting(self, timeout: float):
        """Polls 127.0.0.1:port until a connection succeeds, the process exits or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise ServerFailure(
                    f"{self.name}: exited before listening on port {self.port} "
                    f"(exit status {self.process.returncode}); output: {self.stderr_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailure(f"{self.name}: nothing accepts on port {self.port} after {timeout}s")
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.process.poll() is None

    def check_alive(self, when: str):
        if not self.alive():
            raise ServerFailure(
                f"{self.name}: died {when} (exit status {self.process.returncode}); "
                f"stderr: {self.stderr_tail()}"
            )

    def stderr_tail(self, limit: int = 2000) -> str:
        if not self.stderr_file.closed:
            self.stderr_file.flush()
        try:
            data = self.stderr_path.read_bytes()
        except OSError:
            return ""
        text = data[-limit:].decode(errors="replace").strip()
        return text or "(empty)"

    def stop(self) -> str:
        """Closes stdin and waits; escalates to SIGTERM, then SIGKILL. Returns how it stopped."""
        if not self.alive():
            return f"already exited ({self.process.returncode})"
        try:
            self.process.stdin.close()
        except OSError:
            pass
        for how, action, wait in (
            ("stdin close", None, 10),
            ("SIGTERM", signal.SIGTERM, 10),
            ("SIGKILL", signal.SIGKILL, 10),
        ):
            if action is not None:
                self.process.send_signal(action)
            try:
                code = self.process.wait(timeout=wait)
                self.stderr_file.close()
                return f"{how} (exit {code})"
            except subprocess.TimeoutExpired:
                continue
        return "did not stop"


# ---------------------------------------------------------------------------------------------
# Load runs


def measured(server: Server, args, command: list[str], log_path: Path) -> dict:
    """Runs a load command; measures the server's CPU time, the load client's own CPU time
    (wait4 rusage) and how busy each core was with anything else. `args` carries server_cpu,
    client_cpu and run_timeout (seconds before the load command is killed)."""
    server_cpu, client_cpu = args.server_cpu, args.client_cpu
    ticks0, t0 = cpu_ticks(server.pid), time.monotonic()
    s_core0, c_core0 = core_busy_ticks(server_cpu), core_busy_ticks(client_cpu)
    with open(log_path, "w+") as out:
        out.write(" ".join(shlex.quote(c) for c in command) + "\n\n")
        out.flush()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = t0 + args.run_timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                process.kill()
                _, status, usage = os.wait4(process.pid, 0)
                out.write(f"\n[killed after {args.run_timeout}s]\n")
                code = -1
                break
            time.sleep(0.02)
        process.returncode = code  # reaped by wait4 above
        elapsed = time.monotonic() - t0
        ticks1 = cpu_ticks(server.pid) if server.alive() else ticks0
        s_core1, c_core1 = core_busy_ticks(server_cpu), core_busy_ticks(client_cpu)
        out.seek(0)
        output = out.read()
    server_s = (ticks1 - ticks0) / CLK_TCK
    client_s = usage.ru_utime + usage.ru_stime

    def other(busy_ticks: int, own_s: float) -> float:
        return max(0.0, busy_ticks / CLK_TCK - own_s) / elapsed * 100 if elapsed else 0.0

    return {
        "output": output,
        "code": code,
        "server_cpu_s": server_s,
        "client_cpu_s": client_s,
        "foreign_core_pct": other(s_core1 - s_core0, server_s),
        "foreign_client_core_pct": other(c_core1 - c_core0, client_s),
    }


def measured_at_once(servers: list[Server], commands: list[list[str]], log_paths: list[Path],
                     timeout: float) -> list[dict]:
    """Runs one load command per server, all at the same time (side by side). A server's CPU
    time is read when its own command finishes, so a server that is done is not charged for
    the others. Returns per server {"output", "code", "server_cpu_s"}; a command still running
    after `timeout` seconds is killed (code -1)."""
    processes, ticks0, outputs = [], [], []
    for server, command, log_path in zip(servers, commands, log_paths):
        out = open(log_path, "w+")
        out.write(" ".join(shlex.quote(c) for c in command) + "\n\n")
        out.flush()
        outputs.append(out)
        ticks0.append(cpu_ticks(server.pid))
        processes.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT))
    results = [{"code": None, "server_cpu_s": 0.0} for _ in servers]
    pending = set(range(len(servers)))
    deadline = time.monotonic() + timeout
    while pending:
        for index in list(pending):
            if processes[index].poll() is not None:
                results[index]["code"] = processes[index].returncode
                results[index]["server_cpu_s"] = (cpu_ticks(servers[index].pid) - ticks0[index]) / CLK_TCK
                pending.discard(index)
        if pending and time.monotonic() > deadline:
            for index in pending:
                processes[index].kill()
                processes[index].wait()
                outputs[index].write(f"\n[killed after {timeout}s]\n")
                results[index]["code"] = -1
            break
        time.sleep(0.01)
    for result, out in zip(results, outputs):
        out.seek(0)
        result["output"] = out.read()
        out.close()
    return results


# ---------------------------------------------------------------------------------------------
# Report


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def print_plain(header, body):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *body)]
    for line in [header, ["-" * w for w in widths], *body]:
        print("  ".join(str(cell).rjust(w) if i else str(cell).ljust(w) for i, (cell, w) in enumerate(zip(line, widths))))


def markdown(header, body) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)
