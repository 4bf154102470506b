"""Per-address limits count the client's address, the same on every face: a new connection
(a new source port) is the same client, gRPC and gRPC-Web believe a trusted proxy's
X-Forwarded-For as REST does, and X-Forwarded-For sent as several lines is one list
(docs/hardening.md, "Client addresses").

The server under test counts failed key checks (AUTH_FAILURE_LIMIT=5) in a Redis database of
its own, so what it fills cannot refuse other tests' calls from 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import struct
import time
import uuid
from typing import Iterator

import grpc
import pytest

from metachat_process import MetaChat, open_channel, require_services, running_metachat

TIMEOUT_S = 10.0
LIMIT = 5
MADE_UP_KEY = "ten_" + "Q" * 43


def flush_redis_database(url: str) -> None:
    """FLUSHDB on the database of a `redis://host:port/db` URL (RESP over a socket)."""
    address, _, database = url.removeprefix("redis://").rpartition("/")
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT_S) as connection:
        connection.sendall(f"*2\r\n$6\r\nSELECT\r\n${len(database)}\r\n{database}\r\n*1\r\n$7\r\nFLUSHDB\r\n".encode())
        replies = b""
        while replies.count(b"\r\n") < 2:
            chunk = connection.recv(64)
            assert chunk, replies
            replies += chunk
    assert replies == b"+OK\r\n+OK\r\n", replies


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    """`metachat serve` allowing five failed key checks per address, on Redis database 11,
    emptied first (a rerun within the minute would find its own counters)."""
    require_services()
    base, _, _ = os.environ["REDIS_URL"].rpartition("/")
    flush_redis_database(f"{base}/11")
    with running_metachat(
        tmp_path_factory.mktemp("client-address"), AUTH_FAILURE_LIMIT=str(LIMIT), REDIS_URL=f"{base}/11"
    ) as running:
        yield running


def grpc_web_get_tenant(server: MetaChat, metachat_api, forwarded_for: list[str]) -> int:
    """GetTenant over gRPC-Web (HTTP/1.1) with a made-up key and the given X-Forwarded-For
    lines; returns the grpc-status."""
    request = metachat_api.tenants_pb2.GetTenantRequest(tenant_id=str(uuid.uuid4())).SerializeToString()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT_S)
    try:
        connection.putrequest("POST", "/metachat.v1.TenantService/GetTenant")
        connection.putheader("content-type", "application/grpc-web+proto")
        connection.putheader("x-api-key", MADE_UP_KEY)
        for line in forwarded_for:
            connection.putheader("X-Forwarded-For", line)
        body = struct.pack(">BI", 0, len(request)) + request
        connection.putheader("content-length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        payload = response.read()
        status = response.getheader("grpc-status")
    finally:
        connection.close()
    if status is None:
        # The status is in the trailer frame (flag 0x80) at the end of the body.
        offset = 0
        while offset + 5 <= len(payload):
            flag, length = struct.unpack_from(">BI", payload, offset)
            if flag & 0x80:
                for line in payload[offset + 5 : offset + 5 + length].decode().split("\r\n"):
                    if line.lower().startswith("grpc-status:"):
                        status = line.split(":", 1)[1].strip()
            offset += 5 + length
    assert status is not None, payload[:200]
    return int(status)


def rest_get_tenant(server: MetaChat, forwarded_for: list[str]) -> int:
    """GET /api/tenants/{random} with a made-up key and the given X-Forwarded-For lines."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT_S)
    try:
        connection.putrequest("GET", f"/api/tenants/{uuid.uuid4()}")
        connection.putheader("x-api-key", MADE_UP_KEY)
        for line in forwarded_for:
            connection.putheader("X-Forwarded-For", line)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_hundred_fresh_grpc_connections_from_one_address_are_refused_after_the_limit(server, metachat_api):
    """100 grpcio channels, each its own connection and source port, each with a made-up key:
    the first five are UNAUTHENTICATED and the rest RESOURCE_EXHAUSTED, but for the attempts
    GCRA lets through as the allowance refills (one per 12 s at five a minute); before, every
    new connection was a new bucket and all 100 were looked up."""
    started = time.monotonic()
    codes = []
    for _ in range(100):
        channel = open_channel(server)
        try:
            stub = metachat_api.tenants_pb2_grpc.TenantServiceStub(channel)
            with pytest.raises(grpc.RpcError) as caught:
                stub.GetTenant(
                    metachat_api.tenants_pb2.GetTenantRequest(tenant_id=str(uuid.uuid4())),
                    metadata=(("x-api-key", MADE_UP_KEY),),
                    timeout=TIMEOUT_S,
                )
            codes.append(caught.value.code())
        finally:
            channel.close()
    refilled = int((time.monotonic() - started) * LIMIT / 60) + 1
    assert codes[:LIMIT] == [grpc.StatusCode.UNAUTHENTICATED] * LIMIT, codes[:LIMIT]
    assert codes[LIMIT] == grpc.StatusCode.RESOURCE_EXHAUSTED, codes
    looked_up = codes[LIMIT:].count(grpc.StatusCode.UNAUTHENTICATED)
    assert looked_up <= refilled, f"{looked_up} more attempts were looked up; GCRA refilled at most {refilled}"
    assert codes[LIMIT:].count(grpc.StatusCode.RESOURCE_EXHAUSTED) == 100 - LIMIT - looked_up


def test_grpc_web_counts_the_address_a_trusted_proxy_forwards(server, metachat_api):
    """gRPC-Web calls through a trusted proxy (loopback) count under the X-Forwarded-For client:
    203.0.113.20 is refused after five failures while 203.0.113.21 is still looked up."""
    unauthenticated, exhausted = 16, 8
    first = [grpc_web_get_tenant(server, metachat_api, ["203.0.113.20"]) for _ in range(LIMIT + 1)]
    other = grpc_web_get_tenant(server, metachat_api, [f"203.0.113.{random.randint(21, 250)}"])
    assert first == [unauthenticated] * LIMIT + [exhausted], first
    assert other == unauthenticated


def test_x_forwarded_for_in_several_lines_is_one_list(server):
    """A client behind a proxy that appends its own X-Forwarded-For line cannot choose its
    address with a line of its own: with the proxy's line naming 198.51.100.30, five failures
    block that client whatever first line it sends (before, only the first line was read)."""
    statuses = [rest_get_tenant(server, [f"192.0.2.{index}", "198.51.100.30"]) for index in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429], statuses
