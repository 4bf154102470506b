"""`metachat serve` runs its parts as one ServiceGroup: SIGTERM shuts them down gracefully in
reverse start order. Calls in flight when the signal arrives complete (or end UNAVAILABLE), no
handler task is left running, and the process exits 0 (docs/hardening.md, "Lifecycle")."""

from __future__ import annotations

import contextlib
import signal
import struct
import time

from h2peer import H2Client, grpc_request_headers, raw_frame
from metachat_process import require_services, running_metachat

LIVENESS = "/metachat.v1.SystemService/GetLiveness"
CONNECTIONS = 4
STREAMS_PER_CONNECTION = 50
EXIT_TIMEOUT_S = 20.0
# An empty GetLivenessRequest with one unknown varint field (15 = 1): two payload bytes, so the
# message can be left unfinished after its first byte.
PAYLOAD = bytes([0x78, 0x01])


def finish_by_hand(client: H2Client, waiting: set[int], timeout_s: float = 10.0) -> dict[int, str]:
    """Reads frames until every stream in `waiting` has its grpc-status (or a reset), the
    connection closes, or the timeout; returns the status (or `reset <code>`) per stream."""
    from hyperframe.frame import Frame, HeadersFrame, RstStreamFrame

    ended: dict[int, str] = {}
    buffer = b""
    deadline = time.monotonic() + timeout_s
    while waiting - ended.keys() and time.monotonic() < deadline:
        client.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = client.sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not data:
            break
        buffer += data
        while len(buffer) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(buffer[:9]))
            if len(buffer) < 9 + length:
                break
            frame.parse_body(memoryview(buffer[9 : 9 + length]))
            buffer = buffer[9 + length :]
            if isinstance(frame, HeadersFrame):
                fields = dict(client.conn.decoder.decode(frame.data, raw=False))
                if "grpc-status" in fields:
                    ended[frame.stream_id] = fields["grpc-status"]
            elif isinstance(frame, RstStreamFrame):
                ended.setdefault(frame.stream_id, f"reset {frame.error_code}")
    return ended


def test_sigterm_during_two_hundred_calls_in_flight_lets_them_finish_and_exits_zero(tmp_path):
    require_services()
    with running_metachat(tmp_path, LOG_LEVEL="info", RATE_LIMIT_MAX_REQUESTS="1000000") as server:
        clients: list[tuple[H2Client, list[int]]] = []
        for _ in range(CONNECTIONS):
            client = H2Client(server.port)
            ids = []
            for _ in range(STREAMS_PER_CONNECTION):
                stream_id = client.conn.get_next_available_stream_id()
                client.conn.send_headers(stream_id, grpc_request_headers(server.port, LIVENESS))
                # The length prefix and the first payload byte: the call has begun, its
                # request has not ended.
                client.conn.send_data(stream_id, b"\x00" + struct.pack(">I", len(PAYLOAD)) + PAYLOAD[:1])
                ids.append(stream_id)
            # The PING's ACK comes back only after the server has read every frame before it.
            client.conn.ping(b"inflight")
            client.flush()
            clients.append((client, ids))
        for client, _ in clients:
            acked = False
            deadline = time.monotonic() + 10
            while not acked and time.monotonic() < deadline:
                client.sock.settimeout(deadline - time.monotonic())
                data = client.sock.recv(65536)
                assert data, "the server closed a connection before SIGTERM"
                for event in client.conn.receive_data(data):
                    acked = acked or type(event).__name__ == "PingAckReceived"
                    assert type(event).__name__ not in ("ResponseReceived", "StreamEnded"), event
                client.flush()
            assert acked, "no PING ACK within 10 s"

        server.process.send_signal(signal.SIGTERM)

        # Each connection hears GOAWAY, which lets streams the server already has finish; the
        # calls then get the rest of their request and end. (h2 refuses to go on after GOAWAY,
        # so from here the frames are written and read by hand, with h2's HPACK decoder.)
        statuses: list[str] = []
        for client, ids in clients:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                client.sock.sendall(b"".join(raw_frame(0x0, 0x1, stream_id, PAYLOAD[1:]) for stream_id in ids))
            ended = finish_by_hand(client, set(ids))
            statuses += [ended.get(stream_id, "no answer") for stream_id in ids]
            client.sock.close()

        exit_code = server.process.wait(timeout=EXIT_TIMEOUT_S)
        log = server.log_tail()
    finished = [status for status in statuses if status in ("0", "14")]
    assert len(statuses) == CONNECTIONS * STREAMS_PER_CONNECTION
    assert finished == statuses, f"calls that neither completed nor got UNAVAILABLE: {set(statuses) - {'0', '14'}}"
    assert statuses.count("0") > 0, statuses
    assert exit_code == 0, log
    assert "still running" not in log, log
    assert "stopped" in log, log
    print(f"statuses: {statuses.count('0')} OK, {statuses.count('14')} UNAVAILABLE; exit {exit_code}")
