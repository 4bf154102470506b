"""grpc.health.v1 and server reflection, as standard tools use them."""

from __future__ import annotations

import grpc
import pytest

CALL_TIMEOUT_S = 10.0
ECHO_SERVICE = "metachat.fixture.v1.EchoService"
HEALTH_SERVICE = "grpc.health.v1.Health"


@pytest.mark.parametrize("service", ["", ECHO_SERVICE])
def test_health_check_reports_serving(stubs, channel, service):
    """Check answers SERVING for the server as a whole and for the echo service."""
    health = stubs.health_pb2_grpc.HealthStub(channel)
    response = health.Check(stubs.health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT_S)
    assert response.status == stubs.health_pb2.HealthCheckResponse.SERVING


def test_health_check_of_unknown_service_is_not_found(stubs, channel):
    """Check of a service the server does not have fails NOT_FOUND."""
    health = stubs.health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.RpcError) as failure:
        health.Check(stubs.health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=CALL_TIMEOUT_S)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_watch_yields_serving_first(stubs, channel):
    """Watch streams the current status, SERVING, as its first message."""
    health = stubs.health_pb2_grpc.HealthStub(channel)
    watch = health.Watch(stubs.health_pb2.HealthCheckRequest(service=""), timeout=CALL_TIMEOUT_S)
    try:
        first = next(watch)
    finally:
        watch.cancel()
    assert first.status == stubs.health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("version", ["v1alpha", "v1"])
def test_reflection_lists_echo_and_health_services(stubs, channel, version):
    """ServerReflectionInfo's list_services names the echo service and grpc.health.v1.Health."""
    reflection_pb2, reflection_pb2_grpc = stubs.reflection[version]
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    responses = reflection.ServerReflectionInfo(requests, timeout=CALL_TIMEOUT_S)
    first = next(responses)
    assert first.WhichOneof("message_response") == "list_services_response", first
    names = {service.name for service in first.list_services_response.service}
    assert {ECHO_SERVICE, HEALTH_SERVICE} <= names, names
