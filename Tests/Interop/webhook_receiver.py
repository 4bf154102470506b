"""A local webhook receiver for the interop tests: a threaded HTTP/1.1 server that records every
POST (path, headers, body, arrival time) and answers as a per-path script says, including
failures (any status, `retry-after`, a hang until the client gives up)."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

# (status, headers, body) for the n-th request (from 1) to a path.
Answer = tuple[int, dict[str, str], bytes]
Script = Callable[[int], Answer]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    port: int
    scripts: dict[str, Script] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set when the receiver stops, so hanging answers end.
    stopping: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int, timeout_s: float) -> list[Received]:
        """The requests to `path` once there are at least `count` (polled; fails on timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.02)  # paces the polling of requests that arrive on their own
        raise AssertionError(f"{path}: {len(self.at(path))} of {count} requests within {timeout_s}s")


HANG = -1


def _handler(receiver: Receiver):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers.items()), body, time.time()))
                count = sum(1 for r in receiver.received if r.path == self.path)
                script = receiver.scripts.get(self.path)
            status, headers, answer = script(count) if script else (204, {}, b"")
            if status == HANG:
                receiver.stopping.wait(120)
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    return Handler


@contextlib.contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver on a free loopback port, stopped afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    receiver = Receiver(port=server.server_address[1])
    server.RequestHandlerClass = _handler(receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopping.set()
        server.shutdown()
        server.server_close()
