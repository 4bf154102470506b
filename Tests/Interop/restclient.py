"""REST clients for the interop suite: Debian's curl (whole responses and `-N` streams) and
Python's http.client, plus readers for Server-Sent Events and the one JSON error shape."""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from conftest import _read_line

CURL_TIMEOUT_S = 20
HTTP1 = "--http1.1"
HTTP2 = "--http2-prior-knowledge"
# curl's `%{http_version}` for each protocol flag.
CURL_PROTOCOLS = {HTTP1: "1.1", HTTP2: "2"}


def curl_binary() -> str:
    """The curl on PATH (scripts/setup.sh installs it)."""
    curl = shutil.which("curl")
    assert curl, "curl is not installed (scripts/setup.sh installs it)"
    return curl


@dataclass
class Reply:
    """A whole HTTP response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    version: str = ""

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of a header (case-insensitive), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body)

    def error(self) -> dict:
        """The body as the one error shape, checked: `{"error":{code,status,message,details}}`
        with `code` equal to the HTTP status. Returns the inner object."""
        document = self.json()
        assert list(document) == ["error"], document
        error = document["error"]
        assert set(error) == {"code", "status", "message", "details"}, error
        assert error["code"] == self.status, (error, self.status)
        assert isinstance(error["status"], str) and error["status"].isupper(), error
        assert isinstance(error["message"], str) and error["message"], error
        assert error["details"] == [], error
        return error


def curl(url: str, *args: str, protocol: str = HTTP1, timeout: float = CURL_TIMEOUT_S) -> Reply:
    """Runs curl once (`-sS`, the protocol flag, `args`) and returns the final response.

    Headers come from `--dump-header`; when curl saw interim responses (100 Continue) only the
    last block counts."""
    with tempfile.TemporaryDirectory(prefix="metachat-curl-") as tmp:
        head_path = Path(tmp) / "headers"
        body_path = Path(tmp) / "body"
        command = [
            curl_binary(),
            "-sS",
            protocol,
            "--max-time",
            str(timeout),
            "--dump-header",
            str(head_path),
            "--output",
            str(body_path),
            "--write-out",
            "%{http_code} %{http_version}",
            *args,
            url,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 10)
        assert result.returncode == 0, f"curl {args} {url} failed ({result.returncode}): {result.stderr}"
        status, version = result.stdout.split()
        blocks = [b for b in head_path.read_bytes().decode(errors="replace").split("\r\n\r\n") if b.strip()]
        headers = []
        for line in blocks[-1].split("\r\n")[1:] if blocks else []:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        return Reply(status=int(status), headers=headers, body=body_path.read_bytes(), version=version)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> Reply:
    """One HTTP/1.1 request with http.client on its own connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = body.encode() if isinstance(body, str) else body
        connection.request(method, path, body=payload, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Reply(
            status=response.status,
            headers=[(k.lower(), v) for k, v in response.getheaders()],
            body=data,
            version="1.1",
        )
    finally:
        connection.close()


# MARK: Streams


@dataclass
class SSEEvent:
    """One Server-Sent Events block: its fields, or the comment lines it carried."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    comments: list[str] = field(default_factory=list)

    def json(self):
        """The data parsed as JSON."""
        assert self.data is not None, self
        return json.loads(self.data)

    def add_line(self, line: str) -> None:
        """Applies one line of the block: a `:` comment, or `name: value` (data lines join)."""
        if line.startswith(":"):
            self.comments.append(line)
            return
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self.data = value if self.data is None else self.data + "\n" + value
        elif name in ("id", "event"):
            setattr(self, name, value)


class CurlStream:
    """A running `curl -N -i` whose output is read line by line, each read bounded."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []

    def read_line(self, timeout_s: float) -> str:
        """The next output line without its line ending."""
        return _read_line(self.process.stdout, timeout_s).decode().rstrip("\r\n")

    def read_head(self, timeout_s: float = 10.0) -> int:
        """Reads the status line and headers (`-i`); returns the status."""
        status_line = self.read_line(timeout_s)
        self.status = int(status_line.split()[1])
        while line := self.read_line(timeout_s):
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))
        return self.status

    def header(self, name: str) -> str | None:
        """The first value of a response header, or None."""
        return next((v for k, v in self.headers if k == name.lower()), None)

    def read_event(self, timeout_s: float = 10.0) -> SSEEvent:
        """Reads one blank-line-terminated SSE block."""
        event = SSEEvent()
        while line := self.read_line(timeout_s):
            event.add_line(line)
        return event

    def read_to_end(self, timeout_s: float = 10.0) -> bytes:
        """Everything curl writes until it exits (the stream ended)."""
        out, _ = self.process.communicate(timeout=timeout_s)
        return out or b""


@contextlib.contextmanager
def curl_stream(url: str, *args: str, protocol: str = HTTP1) -> Iterator[CurlStream]:
    """Starts `curl -sS -N -i` on `url`; stops it on exit if it is still running."""
    process = subprocess.Popen(
        [curl_binary(), "-sS", "-N", "-i", protocol, *args, url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield CurlStream(process)
    finally:
        if process.poll() is None:
            process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        with contextlib.suppress(OSError):
            process.stdout.close()


def parse_sse(text: str) -> list[SSEEvent]:
    """Splits a whole SSE body into its blocks."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event = SSEEvent()
        for line in block.split("\n"):
            event.add_line(line)
        events.append(event)
    return events
