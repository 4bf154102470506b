"""A local stand-in for Meta's Graph API (WhatsApp Cloud API and Messenger Send API) for the
channel tests: a threaded HTTP/1.1 server that answers as the documented API does and records
every request (method, path, headers, JSON body, arrival time).

- `GET /{version}/{object-id}?fields=id`: the object, or error 190 for a revoked token.
- `GET /{version}/{media-id}`: the media's URL, MIME type, SHA-256 and size (WhatsApp media).
- `POST /{version}/{phone-number-id}/messages` (WhatsApp) and `POST /{version}/{page-id}/messages`
  (Messenger): `{"messages": [{"id": "wamid.…"}]}` or `{"recipient_id", "message_id"}`, unless a
  scripted answer is queued (429 with code 4, 400 with code 80007, 500, 401 with code 190, …).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Iterator

INVALID_TOKEN = {"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "fbtrace_id": "Ax1"}}
RATE_LIMITED = {"error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4, "fbtrace_id": "Ax2"}}


@dataclass
class GraphRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict | None
    at: float
    # The status the fake answered (set once answered).
    status: int = 0


@dataclass
class FakeGraph:
    port: int
    version: str = "v21.0"
    revoked_tokens: set[str] = field(default_factory=set)
    # Answers (status, JSON body) for the next sends to a path ("" : any path), first queued first.
    queued_send_answers: dict[str, list[tuple[int, dict]]] = field(default_factory=dict)
    requests: list[GraphRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent_count: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue_send_answers(self, *answers: tuple[int, dict], object_id: str = "") -> None:
        """Answers for the next sends to `/{version}/{object_id}/messages` (or to any path)."""
        path = f"/{self.version}/{object_id}/messages" if object_id else ""
        with self.lock:
            self.queued_send_answers.setdefault(path, []).extend(answers)

    def sends(self) -> list[GraphRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith("/messages")]

    def wait_for_sends(self, count: int, timeout_s: float) -> list[GraphRequest]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.sends()
            if len(got) >= count:
                return got
            time.sleep(0.02)  # paces the polling of requests that arrive on their own
        raise AssertionError(f"{len(self.sends())} of {count} sends within {timeout_s}s")


def _handler(graph: FakeGraph):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def answer(self, status: int, body: dict) -> None:
            with graph.lock:
                graph.requests[self.request_index].status = status
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def record(self, body: dict | None) -> tuple[str, list[str], str]:
            parsed = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            with graph.lock:
                graph.requests.append(GraphRequest(self.command, parsed.path, query, dict(self.headers.items()), body, time.time()))
                self.request_index = len(graph.requests) - 1
            token = self.headers.get("authorization", "").removeprefix("Bearer ")
            return token, parsed.path.strip("/").split("/"), parsed.path

        def do_GET(self):
            token, parts, _ = self.record(None)
            if token in graph.revoked_tokens:
                return self.answer(401, INVALID_TOKEN)
            if len(parts) != 2 or parts[0] != graph.version:
                return self.answer(404, {"error": {"message": "Unknown path", "type": "GraphMethodException", "code": 100}})
            object_id = parts[1]
            if object_id.startswith("media"):
                return self.answer(200, {"url": f"{graph.base_url}/download/{object_id}", "mime_type": "image/jpeg",
                                         "sha256": "ab" * 32, "file_size": 1234, "id": object_id, "messaging_product": "whatsapp"})
            return self.answer(200, {"id": object_id})

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            token, parts, path = self.record(body)
            if token in graph.revoked_tokens:
                return self.answer(401, INVALID_TOKEN)
            if len(parts) != 3 or parts[0] != graph.version or parts[2] != "messages" or not isinstance(body, dict):
                return self.answer(400, {"error": {"message": "Invalid request", "type": "GraphMethodException", "code": 100}})
            with graph.lock:
                queue = graph.queued_send_answers.get(path) or graph.queued_send_answers.get("") or []
                scripted = queue.pop(0) if queue else None
                if scripted is None:
                    graph.sent_count += 1
                    number = graph.sent_count
            if scripted is not None:
                return self.answer(*scripted)
            if body.get("messaging_product") == "whatsapp":
                return self.answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                                         "messages": [{"id": f"wamid.OUT{number}"}]})
            return self.answer(200, {"recipient_id": body.get("recipient", {}).get("id"), "message_id": f"m_OUT{number}"})

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    # The server's connection pool opens several connections at once (the default backlog is 5).
    request_queue_size = 128


@contextlib.contextmanager
def running_graph() -> Iterator[FakeGraph]:
    server = _Server(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    graph = FakeGraph(port=server.server_address[1])
    server.RequestHandlerClass = _handler(graph)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield graph
    finally:
        server.shutdown()
        server.server_close()
