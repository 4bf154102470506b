"""`GET /metrics` on `metachat serve` is not public: without METRICS_TOKEN it is refused, with
it only the bearer token opens it, and calls to methods that do not exist never become labels
of their own (docs/hardening.md, "Metrics")."""

from __future__ import annotations

import http.client
import re
import struct
import uuid
from typing import Iterator

import grpc
import pytest

import restclient
from metachat_process import MetaChat, open_channel, require_services, running_metachat

TOKEN = "metrics-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    """`metachat serve` with a METRICS_TOKEN."""
    require_services()
    with running_metachat(tmp_path_factory.mktemp("metrics"), METRICS_TOKEN=TOKEN) as running:
        yield running


def test_without_a_token_configured_metrics_are_refused_saying_how_to_enable_them(tmp_path):
    require_services()
    with running_metachat(tmp_path) as plain:
        reply = restclient.request(plain.port, "GET", "/metrics")
    assert reply.status == 403, reply.body[:300]
    assert "METRICS_TOKEN" in reply.error()["message"]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-of-some-length", f"Basic {TOKEN}", "Bearer"])
def test_a_missing_or_wrong_token_is_unauthenticated(server, authorization):
    headers = {"authorization": authorization} if authorization else {}
    reply = restclient.request(server.port, "GET", "/metrics", headers=headers)
    assert reply.status == 401, reply.body[:300]
    assert reply.error()["status"] == "UNAUTHENTICATED"
    assert "rpc_server" not in reply.body.decode(errors="replace")


def test_unknown_methods_share_one_label_and_the_token_opens_the_metrics(server):
    """Fifty calls to made-up paths (with quotes and backslashes in them) add one
    method="unknown" series; none of the paths appears in the text."""
    channel = open_channel(server)
    try:
        for index in range(50):
            call = channel.unary_unary(f'/evil.Service{index}/Method"\\{index}')
            with pytest.raises(grpc.RpcError) as caught:
                call(b"", timeout=10)
            assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        channel.close()
    reply = restclient.request(server.port, "GET", "/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    text = reply.body.decode()
    assert reply.status == 200, text[:300]
    assert 'rpc_server_calls_total{method="unknown",status="UNIMPLEMENTED",face="grpc"} 50' in text, text[:2000]
    assert "evil.Service" not in text


def test_rest_calls_and_unmatched_routes_are_counted_on_the_rest_face(server):
    """REST calls land in rpc_server_calls_total with face="rest" and the method's path; requests
    no route matches (with made-up paths) share the one method="unknown" series."""
    for index in range(20):
        reply = restclient.request(server.port, "GET", f"/api/evil-{index}/x%22y")
        assert reply.status == 404
    reply = restclient.request(server.port, "GET", "/api/tenants")
    assert reply.status == 401
    reply = restclient.request(server.port, "GET", "/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    text = reply.body.decode()
    assert reply.status == 200, text[:300]
    assert 'rpc_server_calls_total{method="unknown",status="NOT_FOUND",face="rest"} 20' in text, text[:3000]
    assert (
        'rpc_server_calls_total{method="/metachat.v1.TenantService/ListTenants",status="UNAUTHENTICATED",face="rest"} 1'
        in text
    ), text[:3000]
    assert re.search(
        r'^rpc_server_call_duration_seconds_count\{method="/metachat.v1.TenantService/ListTenants",face="rest"\} 1$',
        text,
        re.MULTILINE,
    ), text[:3000]
    assert "evil-" not in text


def grpc_web_call(server: MetaChat, path: str, message: bytes) -> str:
    """One gRPC-Web call over HTTP/1.1 with a made-up key; returns its grpc-status (from the
    headers of a trailers-only answer, else from the trailer frame)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        body = struct.pack(">BI", 0, len(message)) + message
        connection.request(
            "POST",
            path,
            body=body,
            headers={"content-type": "application/grpc-web+proto", "x-api-key": "mc_live_" + "x" * 40},
        )
        response = connection.getresponse()
        payload = response.read()
        status = response.getheader("grpc-status")
    finally:
        connection.close()
    if status is not None:
        return status
    match = re.search(rb"grpc-status:\s*(\d+)", payload)
    assert match, payload[:300]
    return match.group(1).decode()


def metrics_text(server: MetaChat) -> str:
    reply = restclient.request(server.port, "GET", "/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert reply.status == 200, reply.body[:300]
    return reply.body.decode()


def test_grpc_web_calls_are_counted_on_their_own_face(server, metachat_api):
    """gRPC-Web calls land in rpc_server_calls_total with face="grpc_web": a known method with its
    path and status, made-up paths under the one method="unknown" series."""
    request = metachat_api.tenants_pb2.GetTenantRequest(tenant_id=str(uuid.uuid4())).SerializeToString()
    for _ in range(3):
        assert grpc_web_call(server, "/metachat.v1.TenantService/GetTenant", request) == "16"
    for index in range(4):
        assert grpc_web_call(server, f"/evil.Web{index}/Method", b"") == "12"
    text = metrics_text(server)
    assert (
        'rpc_server_calls_total{method="/metachat.v1.TenantService/GetTenant",status="UNAUTHENTICATED",face="grpc_web"} 3'
        in text
    ), text[:3000]
    assert 'rpc_server_calls_total{method="unknown",status="UNIMPLEMENTED",face="grpc_web"} 4' in text, text[:3000]
    assert re.search(
        r'^rpc_server_call_duration_seconds_count\{method="/metachat.v1.TenantService/GetTenant",face="grpc_web"\} 3$',
        text,
        re.MULTILINE,
    ), text[:3000]
    assert "evil.Web" not in text


def test_redis_commands_are_measured(server):
    """The server's Redis commands show in a latency histogram whose count grows with calls, beside
    a failure counter per kind."""

    def command_count(text: str) -> int:
        match = re.search(r"^metachat_redis_command_duration_seconds_count (\d+)$", text, re.MULTILINE)
        assert match, text[:3000]
        return int(match.group(1))

    before = command_count(metrics_text(server))
    # Failed key checks are counted per client address in Redis (AUTH_FAILURE_LIMIT).
    for _ in range(5):
        reply = restclient.request(server.port, "GET", "/api/tenants", headers={"x-api-key": "mc_live_" + "y" * 40})
        assert reply.status == 401, reply.body[:300]
    text = metrics_text(server)
    assert command_count(text) > before, text[:3000]
    assert re.search(r'^metachat_redis_command_duration_seconds_bucket\{le="\+Inf"\} \d+$', text, re.MULTILINE)
    for kind in ("error_reply", "timeout", "connection_lost", "other"):
        assert re.search(rf'^metachat_redis_command_errors_total\{{kind="{kind}"\}} \d+$', text, re.MULTILINE), kind
