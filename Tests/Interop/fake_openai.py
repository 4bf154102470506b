"""A local HTTP server that speaks OpenAI's streaming chat completions (`POST /v1/chat/completions`
with `stream: true`: `chat.completion.chunk` events, usage in a final chunk, `data: [DONE]`), for
the interop tests of the chat orchestrator. Each answer is the words of a scripted text, one per
chunk, with a short pause between chunks so a stream is really a stream."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class FakeOpenAI:
    """Answers every request with `answer(question)` streamed word by word."""

    def __init__(self, answer: Callable[[str], str], pause_s: float = 0.01):
        self.answer = answer
        self.pause_s = pause_s
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                question = next((m["content"] for m in reversed(body.get("messages", [])) if m["role"] == "user"), "")
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("connection", "close")
                self.end_headers()
                words = fake.answer(question).split(" ")
                for index, word in enumerate(words):
                    piece = word if index == len(words) - 1 else word + " "
                    chunk = {"id": "c", "object": "chat.completion.chunk", "model": "fake-gpt",
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(fake.pause_s)  # the model's pace between tokens, not synchronisation
                done = {"id": "c", "object": "chat.completion.chunk", "model": "fake-gpt", "choices": [],
                        "usage": {"prompt_tokens": 20, "completion_tokens": len(words), "total_tokens": 20 + len(words)}}
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
