"""Raw HTTP/2 peers for the interop suite: the `h2` package over plain sockets, hand-built
frames, and a reader that records what the server sent back."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
from hyperframe.frame import Frame, GoAwayFrame, PingFrame, SettingsFrame
from hyperframe.exceptions import HyperframeError

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FRAME_TYPES = {
    0x0: "DATA",
    0x1: "HEADERS",
    0x2: "PRIORITY",
    0x3: "RST_STREAM",
    0x4: "SETTINGS",
    0x5: "PUSH_PROMISE",
    0x6: "PING",
    0x7: "GOAWAY",
    0x8: "WINDOW_UPDATE",
    0x9: "CONTINUATION",
}
ERROR_CANCEL = 0x8


def grpc_message(payload: bytes, compressed: bool = False) -> bytes:
    """A length-prefixed gRPC message: flag byte, 4-byte big-endian length, payload."""
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def split_grpc_messages(body: bytes) -> list[tuple[int, bytes]]:
    """Splits a gRPC (or gRPC-Web) body into (flag, payload) pairs."""
    messages = []
    offset = 0
    while offset + 5 <= len(body):
        flag, length = struct.unpack_from(">BI", body, offset)
        messages.append((flag, body[offset + 5 : offset + 5 + length]))
        offset += 5 + length
    if offset != len(body):
        raise ValueError(f"{len(body) - offset} trailing bytes do not form a whole message")
    return messages


def raw_frame(frame_type: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    """One HTTP/2 frame built by hand (9-byte header + payload)."""
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", frame_type, flags, stream_id & 0x7FFFFFFF) + payload


def literal_header(name: bytes, value: bytes) -> bytes:
    """An HPACK "literal without indexing, new name" field (RFC 7541 §6.2.2), no Huffman."""
    return b"\x00" + _hpack_length(len(name)) + name + _hpack_length(len(value)) + value


def _hpack_length(n: int) -> bytes:
    """An HPACK string length with a 7-bit prefix and the Huffman bit clear."""
    if n < 127:
        return bytes([n])
    out = bytearray([127])
    n -= 127
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def grpc_request_headers(port: int, path: str, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Request headers of a gRPC call."""
    return [
        (":method", "POST"),
        (":scheme", "http"),
        (":authority", f"127.0.0.1:{port}"),
        (":path", path),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
        *(extra or []),
    ]


@dataclass
class Observation:
    """What the server sent on a connection, as seen by a raw reader."""

    frames: list[str] = field(default_factory=list)
    goaway: tuple[int, int, bytes] | None = None  # (error code, last stream id, debug data)
    eof: bool = False
    reset: bool = False
    timed_out: bool = False
    ping_acked: bool = False
    bytes_read: int = 0

    @property
    def closed_or_goaway(self) -> bool:
        """Whether the server ended the connection (GOAWAY, FIN or RST)."""
        return self.goaway is not None or self.eof or self.reset

    def summary(self) -> str:
        """A one-line description for test output and reports."""
        counts: dict[str, int] = {}
        for name in self.frames:
            counts[name] = counts.get(name, 0) + 1
        goaway = (
            f"GOAWAY(error=0x{self.goaway[0]:x}, last_stream={self.goaway[1]}, debug={self.goaway[2][:80]!r})"
            if self.goaway
            else "no GOAWAY"
        )
        ending = "EOF" if self.eof else "RST" if self.reset else "timed out" if self.timed_out else "open"
        return f"{goaway}; connection {ending}; {self.bytes_read} bytes; frames {counts}"


class FrameReader:
    """Reads server frames from a socket with hyperframe, bounded by a deadline."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""
        self.observation = Observation()

    def read_until(self, timeout_s: float, ping_payload: bytes | None = None) -> Observation:
        """Reads until EOF/RST, GOAWAY, the ACK of `ping_payload` (if given), or the timeout."""
        obs = self.observation
        deadline = time.monotonic() + timeout_s
        while True:
            self._parse(ping_payload)
            if obs.goaway is not None or (ping_payload is not None and obs.ping_acked):
                return obs
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                obs.timed_out = True
                return obs
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                obs.timed_out = True
                return obs
            except (ConnectionResetError, BrokenPipeError):
                obs.reset = True
                self._parse(ping_payload)
                return obs
            if not chunk:
                obs.eof = True
                self._parse(ping_payload)
                return obs
            obs.bytes_read += len(chunk)
            self.buffer += chunk

    def _parse(self, ping_payload: bytes | None) -> None:
        """Moves every whole frame in the buffer into the observation."""
        obs = self.observation
        while len(self.buffer) >= 9:
            try:
                frame, length = Frame.parse_frame_header(memoryview(self.buffer[:9]))
            except HyperframeError:
                obs.frames.append("UNPARSABLE")
                self.buffer = b""
                return
            if len(self.buffer) < 9 + length:
                return
            body = memoryview(self.buffer[9 : 9 + length])
            self.buffer = self.buffer[9 + length :]
            name = FRAME_TYPES.get(frame.type, f"0x{frame.type:x}")
            try:
                frame.parse_body(body)
            except HyperframeError:
                obs.frames.append(f"{name}(malformed)")
                continue
            if isinstance(frame, SettingsFrame) and "ACK" in frame.flags:
                name = "SETTINGS_ACK"
            if isinstance(frame, PingFrame) and "ACK" in frame.flags:
                name = "PING_ACK"
                if ping_payload is not None and frame.opaque_data == ping_payload:
                    obs.ping_acked = True
            obs.frames.append(name)
            if isinstance(frame, GoAwayFrame):
                obs.goaway = (frame.error_code, frame.last_stream_id, bytes(frame.additional_data))


def connect(port: int, rcvbuf: int | None = None, timeout_s: float = 5.0) -> socket.socket:
    """A TCP connection to the server (optionally with a small receive buffer)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout_s)
    sock.connect(("127.0.0.1", port))
    return sock


def read_until_closed(sock: socket.socket, timeout_s: float, stop=None) -> tuple[bytes, bool]:
    """Reads raw bytes until the server closes (FIN or RST), `stop(data)` holds, or the timeout.

    Returns what was read and whether the connection was closed."""
    data = b""
    deadline = time.monotonic() + timeout_s
    while stop is None or not stop(data):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return data, False
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            return data, False
        except (ConnectionResetError, BrokenPipeError):
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def send_ignoring_close(sock: socket.socket, data: bytes) -> bool:
    """Sends `data`; returns False if the server had already closed the connection."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


@dataclass
class Response:
    """A response read from one stream."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    trailers: dict[str, str] = field(default_factory=dict)
    reset_code: int | None = None
    ended: bool = False
    goaway_code: int | None = None
    connection_closed: bool = False


@dataclass
class Upload:
    """How an upload went that the server may answer before it is finished."""

    response: Response = field(default_factory=Response)
    # Body bytes sent in DATA frames, in all and when the response's HEADERS arrived.
    sent: int = 0
    sent_at_response: int | None = None
    # Whether the whole body was sent (the last DATA frame carried END_STREAM).
    finished: bool = False


class H2Client:
    """A well-formed HTTP/2 client built on h2, for requests the grpcio client cannot make."""

    def __init__(self, port: int, *, rcvbuf: int | None = None, local_settings: dict | None = None):
        self.port = port
        self.sock = connect(port, rcvbuf=rcvbuf)
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if local_settings:
            self.conn.update_settings(local_settings)
        self.flush()

    def flush(self) -> None:
        """Sends whatever h2 has queued."""
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def grpc_call(self, path: str, message: bytes, extra_headers=None, compressed: bool = False) -> int:
        """Starts a gRPC call with one message and end of stream; returns the stream id."""
        stream_id = self.conn.get_next_available_stream_id()
        self.conn.send_headers(stream_id, grpc_request_headers(self.port, path, extra_headers))
        self.conn.send_data(stream_id, grpc_message(message, compressed), end_stream=True)
        self.flush()
        return stream_id

    def read_response(self, stream_id: int, timeout_s: float = 10.0) -> Response:
        """Reads until the stream ends or is reset (bounded by `timeout_s`)."""
        response = Response()
        deadline = time.monotonic() + timeout_s
        while not (response.ended or response.reset_code is not None or response.connection_closed):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"stream {stream_id} did not end within {timeout_s}s: {response}")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                response.connection_closed = True
                break
            for event in self.conn.receive_data(chunk):
                self._apply(event, stream_id, response)
            with contextlib.suppress(OSError):
                self.flush()
        return response

    def upload(self, stream_id: int, body: bytes, timeout_s: float = 10.0) -> Upload:
        """Sends `body` on a stream whose HEADERS are sent, as fast as flow control allows (like a
        client uploading a file without waiting), while reading what the server sends.

        Stops sending once the response is complete or the stream is reset (a server may answer
        before the request is complete, then reset the stream with NO_ERROR: RFC 9113 §8.1) and
        returns then, keeping the response read so far. Raises TimeoutError when the stream is
        neither answered nor reset within `timeout_s`."""
        upload = Upload()
        response = upload.response
        deadline = time.monotonic() + timeout_s
        while not (response.ended or response.reset_code is not None or response.connection_closed):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"stream {stream_id} was not answered within {timeout_s}s: {upload}")
            self.sock.settimeout(remaining)
            window = 0
            if not upload.finished:
                window = min(
                    self.conn.local_flow_control_window(stream_id),
                    self.conn.max_outbound_frame_size,
                    len(body) - upload.sent,
                )
            if window > 0:
                upload.finished = upload.sent + window == len(body)
                self.conn.send_data(stream_id, body[upload.sent : upload.sent + window], end_stream=upload.finished)
                upload.sent += window
                try:
                    self.flush()
                except (BrokenPipeError, ConnectionResetError):
                    response.connection_closed = True
                    break
            # While there is window left, only look for what already arrived; otherwise wait for it.
            readable, _, _ = select.select([self.sock], [], [], 0 if window > 0 else remaining)
            if not readable:
                continue
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                response.connection_closed = True
                break
            for event in self.conn.receive_data(chunk):
                self._apply(event, stream_id, response)
                if response.headers and upload.sent_at_response is None:
                    upload.sent_at_response = upload.sent
            with contextlib.suppress(OSError):
                self.flush()
        return upload

    def _apply(self, event, stream_id: int, response: Response) -> None:
        if isinstance(event, h2.events.ConnectionTerminated):
            response.goaway_code = int(event.error_code)
            return
        if getattr(event, "stream_id", None) != stream_id:
            return
        if isinstance(event, h2.events.ResponseReceived):
            response.headers = dict(event.headers)
        elif isinstance(event, h2.events.TrailersReceived):
            response.trailers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            response.body += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            response.ended = True
        elif isinstance(event, h2.events.StreamReset):
            response.reset_code = int(event.error_code)
