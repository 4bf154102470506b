"""`GET /metrics` on `metachat serve` is not public: without METRICS_TOKEN it is refused, with
it only the bearer token opens it, and calls to methods that do not exist never become labels
of their own (docs/hardening.md, "Metrics")."""

from __future__ import annotations

import re
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
