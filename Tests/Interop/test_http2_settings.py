"""What the server announces in its HTTP/2 SETTINGS."""

from __future__ import annotations

from h2peer import H2Client

NO_RFC7540_PRIORITIES = 0x9  # RFC 9218


def test_server_announces_it_ignores_rfc7540_priorities_and_still_answers(stubs, echo_server):
    """SETTINGS_NO_RFC7540_PRIORITIES = 1 (gRPC never uses stream priorities), and calls work."""
    client = H2Client(echo_server.port)
    try:
        request = stubs.echo_pb2.EchoRequest(text="settings").SerializeToString()
        stream_id = client.grpc_call("/metachat.fixture.v1.EchoService/Get", request)
        response = client.read_response(stream_id)
    finally:
        client.sock.close()
    assert response.trailers.get("grpc-status") == "0", response
    assert client.conn.remote_settings.get(NO_RFC7540_PRIORITIES) == 1
