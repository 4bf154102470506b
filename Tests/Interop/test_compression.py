"""gzip message compression, both directions."""

from __future__ import annotations

import contextlib
import gzip

import grpc

from h2peer import H2Client, split_grpc_messages

CALL_TIMEOUT_S = 10.0


def test_gzip_channel_unary_and_server_stream_succeed(stubs, echo_server, open_channels):
    """A channel that gzips its requests gets correct unary and streaming answers."""
    channel = open_channels(echo_server, compression=grpc.Compression.Gzip)
    stub = stubs.echo_pb2_grpc.EchoServiceStub(channel)
    text = "squeeze me " * 1000
    assert stub.Get(stubs.echo_pb2.EchoRequest(text=text), timeout=CALL_TIMEOUT_S).text == text
    streamed = list(stub.Expand(stubs.echo_pb2.EchoRequest(text="z" * 500, repeat=20), timeout=CALL_TIMEOUT_S))
    assert [r.index for r in streamed] == list(range(20))
    assert all(r.text == "z" * 500 for r in streamed)


def test_server_gzips_its_response_when_the_client_accepts_gzip(stubs, echo_server):
    """With grpc-accept-encoding: gzip the response says grpc-encoding: gzip and its message
    carries the compressed flag and gzip bytes."""
    client = H2Client(echo_server.port)
    with contextlib.closing(client.sock):
        text = "compressible " * 500
        request = stubs.echo_pb2.EchoRequest(text=text).SerializeToString()
        stream_id = client.grpc_call(
            "/metachat.fixture.v1.EchoService/Get",
            request,
            extra_headers=[("grpc-accept-encoding", "gzip")],
        )
        response = client.read_response(stream_id)
    status = response.trailers.get("grpc-status", response.headers.get("grpc-status"))
    assert status == "0", (response.headers, response.trailers)
    assert response.headers.get("grpc-encoding") == "gzip", response.headers
    [(flag, payload)] = split_grpc_messages(response.body)
    assert flag == 1, "the message frame's compressed flag is not set"
    assert stubs.echo_pb2.EchoResponse.FromString(gzip.decompress(payload)).text == text
