"""The deployment's nginx site with TLS and HTTP/2 in front of a real `metachat serve`: REST over
HTTPS, Server-Sent Events without buffering, and native gRPC (grpcio over TLS) through
`grpc_pass` — unary, server streaming, and a deadline that ends a stream.

nginx runs `infrastructure/nginx/metachat.conf` exactly as `test_nginx.py` does (same
substitutions, a throwaway self-signed certificate for 127.0.0.1). `metachat serve` has no
WebSocket route yet; the WebSocket tests in `test_nginx.py` run through the same site to
echo-server's `/v1/ws/echo` and to a recording upstream."""

from __future__ import annotations

import http.client
import json
import ssl
import time
import uuid
from pathlib import Path
from typing import Iterator

import grpc
import pytest

from conftest import CHANNEL_READY_TIMEOUT_S
from metachat_process import MetaChat, require_services, running_metachat, seed_admin
from restclient import curl, curl_stream
from test_nginx import Nginx, make_certificate, start_nginx

# Idle event streams get a heartbeat comment this often; an event that is held in a proxy buffer
# would at best come out with the next heartbeat, so arriving well before it proves it was not.
HEARTBEAT_S = 30
EVENT_BOUND_S = 5.0


class Front:
    """nginx with TLS in front of one `metachat serve`, plus the certificate to trust."""

    def __init__(self, nginx: Nginx, server: MetaChat, certificate: Path, admin_key: str):
        self.nginx = nginx
        self.server = server
        self.certificate = certificate
        self.admin_key = admin_key

    def https(self, method: str, path: str, headers: dict[str, str] | None = None, body=None) -> tuple[int, dict, dict]:
        """One HTTPS request through nginx: (status, headers, JSON body)."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        connection = http.client.HTTPSConnection("127.0.0.1", self.nginx.port, timeout=20, context=context)
        all_headers = dict(headers or {})
        payload = None
        if body is not None:
            all_headers["content-type"] = "application/json"
            payload = json.dumps(body)
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data or b"{}")
        finally:
            connection.close()

    def channel(self) -> grpc.Channel:
        """A grpcio channel over TLS to nginx (trusting the test certificate), connected."""
        credentials = grpc.ssl_channel_credentials(root_certificates=self.certificate.read_bytes())
        channel = grpc.secure_channel(
            f"127.0.0.1:{self.nginx.port}", credentials, options=[("grpc.use_local_subchannel_pool", 1)]
        )
        grpc.channel_ready_future(channel).result(timeout=CHANNEL_READY_TIMEOUT_S)
        return channel

    def new_tenant(self) -> tuple[str, str]:
        """A new tenant and one of its keys, made through nginx."""
        admin = {"x-admin-key": self.admin_key}
        status, _, tenant = self.https("POST", "/api/tenants", admin, {"name": f"Proxied {uuid.uuid4().hex[:8]}"})
        assert status == 200, (status, tenant, self.nginx.error_log())
        status, _, key = self.https("POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin, {"label": "nginx"})
        assert status == 200, (status, key)
        return tenant["id"], key["apiKey"]


@pytest.fixture(scope="module")
def front(tmp_path_factory) -> Iterator[Front]:
    require_services()
    directory = tmp_path_factory.mktemp("nginx-metachat")
    certificate, key = make_certificate(directory)
    with running_metachat(directory, SSE_HEARTBEAT_SECONDS=str(HEARTBEAT_S)) as server:
        admin = seed_admin("nginx-front@example.com", f"nginx-{uuid.uuid4().hex[:12]}")["apiKey"]
        with start_nginx(server.port, tls=(certificate, key)) as nginx:
            yield Front(nginx, server, certificate, admin)


def test_rest_over_https_reaches_the_server_as_https(front):
    """/api/health answers through nginx over TLS, with the server's HSTS (it believed nginx's
    X-Forwarded-Proto: https), and an authenticated REST call makes a tenant."""
    status, headers, body = front.https("GET", "/api/health")
    assert status == 200, (body, front.nginx.error_log())
    assert body["database"]["status"] == "HEALTH_STATUS_HEALTHY", body
    assert headers.get("strict-transport-security") == "max-age=31536000; includeSubDomains"
    tenant_id, api_key = front.new_tenant()
    assert tenant_id and api_key


def test_rest_over_http2_with_tls_goes_to_the_http1_upstream(front):
    """A browser-like client that negotiates HTTP/2 (ALPN) gets REST answers over HTTP/2; the
    request is not mistaken for native gRPC (no gRPC content type) and reaches the API's REST
    face, which answers in its JSON error shape."""
    reply = curl(
        f"https://127.0.0.1:{front.nginx.port}/api/tenants", "--cacert", str(front.certificate), protocol="--http2"
    )
    assert reply.version == "2", reply
    assert reply.status == 401, (reply.body, front.nginx.error_log())
    assert reply.header("content-type") == "application/json"
    assert reply.error()["status"] == "UNAUTHENTICATED"


def test_an_sse_event_arrives_through_nginx_long_before_the_heartbeat(front, metachat_api):
    """A conversation event written while an SSE watcher is open through nginx (positioned with
    Last-Event-ID: 0, so nothing written after it is missed however quickly it comes) reaches
    the watcher within 5 s of the write (the measured time is printed: milliseconds here),
    long before the 30 s heartbeat that would be the earliest a buffered event could come out,
    and it is the first thing the stream carries. The server sends the stream's head with its
    first event, so the head is read after the write."""
    _, api_key = front.new_tenant()
    url = f"https://127.0.0.1:{front.nginx.port}/api/conversations/events"
    headers = ["-H", "accept: text/event-stream", "-H", f"x-api-key: {api_key}", "-H", "last-event-id: 0"]
    with curl_stream(url, "--cacert", str(front.certificate), *headers) as stream:
        status, _, conversation = front.https(
            "POST", "/api/conversations", {"x-api-key": api_key}, {"externalUserId": "proxied"}
        )
        written = time.monotonic()
        assert status == 200, conversation
        assert stream.read_head(timeout_s=EVENT_BOUND_S) == 200, front.nginx.error_log()
        assert stream.header("content-type") == "text/event-stream; charset=utf-8"
        event = stream.read_event(timeout_s=EVENT_BOUND_S)
        elapsed = time.monotonic() - written
    print(f"first SSE event through nginx {elapsed * 1000:.1f} ms after the write")
    assert event.data is not None, "a heartbeat came before the event"
    assert event.id == "1"
    assert event.json()["conversationId"] == conversation["id"]
    assert elapsed < EVENT_BOUND_S


def test_grpc_unary_through_grpc_pass_over_tls(front, metachat_api):
    """grpcio over TLS to nginx: a unary call reaches the server as native gRPC (grpc_pass) with
    its metadata, and errors keep their gRPC status."""
    channel = front.channel()
    try:
        stub = metachat_api.tenants_pb2_grpc.TenantServiceStub(channel)
        tenant = stub.CreateTenant(
            metachat_api.tenants_pb2.CreateTenantRequest(name=f"gRPC {uuid.uuid4().hex[:8]}"),
            metadata=(("x-admin-key", front.admin_key),),
            timeout=10,
        )
        assert tenant.id
        with pytest.raises(grpc.RpcError) as refused:
            stub.CreateTenant(metachat_api.tenants_pb2.CreateTenantRequest(name="nope"), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        channel.close()


def test_grpc_server_streaming_and_a_deadline_through_grpc_pass(front, metachat_api):
    """WatchConversationEvents over grpcio through nginx: the stored events stream back in
    order, and the call's 2 s deadline (grpc-timeout, passed on by nginx) ends the otherwise
    endless stream with DEADLINE_EXCEEDED within a bound."""
    _, api_key = front.new_tenant()
    credentials = {"x-api-key": api_key}
    for user in ("one", "two"):
        status, _, body = front.https("POST", "/api/conversations", credentials, {"externalUserId": user})
        assert status == 200, body
    channel = front.channel()
    try:
        stub = metachat_api.conversations_pb2_grpc.ConversationServiceStub(channel)
        started = time.monotonic()
        call = stub.WatchConversationEvents(
            metachat_api.conversations_pb2.WatchConversationEventsRequest(after_event_id="0"),
            metadata=tuple(credentials.items()),
            timeout=2,
        )
        received = []
        with pytest.raises(grpc.RpcError) as ended:
            for event in call:
                if event.event_id:
                    received.append(event.event_id)
        elapsed = time.monotonic() - started
    finally:
        channel.close()
    assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, ended.value
    assert received[:2] == ["1", "2"], received
    assert 1.5 <= elapsed < 10, elapsed


def test_grpc_web_through_nginx_stays_on_http1(front, metachat_api):
    """gRPC-Web (HTTP/1.1 over TLS, application/grpc-web+proto) is not sent to grpc_pass: it
    reaches the server's gRPC-Web face through proxy_pass and answers a unary call."""
    import struct

    request = metachat_api.tenants_pb2.CreateTenantRequest(name=f"Web {uuid.uuid4().hex[:8]}").SerializeToString()
    context = ssl.create_default_context(cafile=str(front.certificate))
    connection = http.client.HTTPSConnection("127.0.0.1", front.nginx.port, timeout=20, context=context)
    try:
        connection.request(
            "POST",
            "/metachat.v1.TenantService/CreateTenant",
            body=struct.pack(">BI", 0, len(request)) + request,
            headers={
                "content-type": "application/grpc-web+proto",
                "x-grpc-web": "1",
                "x-admin-key": front.admin_key,
            },
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200, (body, front.nginx.error_log())
    assert response.getheader("content-type").startswith("application/grpc-web")
    flag, length = struct.unpack(">BI", body[:5])
    assert flag == 0
    tenant = metachat_api.tenants_pb2.Tenant.FromString(body[5 : 5 + length])
    assert tenant.id and tenant.name.startswith("Web ")
    assert b"grpc-status:0" in body[5 + length :].replace(b" ", b"")
