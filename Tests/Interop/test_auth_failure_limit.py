"""AUTH_FAILURE_LIMIT against the real `metachat serve`: failed key checks are counted per
client address, and past the limit the address is refused with 429 / RESOURCE_EXHAUSTED and a
retry time, on REST and gRPC alike (docs/auth.md, "Failed authentication").

The calls come from 127.0.0.2 (any 127.x address reaches the loopback listener), so the counter
this test fills is not the one of 127.0.0.1, which the other tests share through Redis.
"""

from __future__ import annotations

import http.client
import uuid
from typing import Iterator

import pytest

from metachat_process import MetaChat, require_services, run_metachat, running_metachat

TIMEOUT_S = 10.0
SOURCE = "127.0.0.2"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    """`metachat serve` allowing two failed key checks per address per minute."""
    require_services()
    with running_metachat(tmp_path_factory.mktemp("auth-failures"), AUTH_FAILURE_LIMIT="2") as running:
        yield running


def get_tenant(server: MetaChat, key: str) -> tuple[int, dict[str, str], bytes]:
    """GET /api/tenants/{random id} with `key` in x-api-key, sent from SOURCE."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT_S, source_address=(SOURCE, 0))
    try:
        connection.request("GET", f"/api/tenants/{uuid.uuid4()}", headers={"x-api-key": key})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_an_address_past_the_limit_is_refused_with_429_and_retry_after(server):
    """Two made-up keys answer 401; the third attempt goes over the limit: 429 with Retry-After
    and a message naming failed authentication; the address stays refused afterwards."""
    made_up = "ten_" + "A" * 43
    statuses = [get_tenant(server, made_up)[0] for _ in range(2)]
    status, headers, body = get_tenant(server, made_up)
    again, again_headers, _ = get_tenant(server, "ten_" + "B" * 43)
    assert statuses == [401, 401], statuses
    assert status == 429, body[:300]
    assert b"failed authentication attempts" in body, body[:300]
    assert int(headers.get("retry-after", "0")) >= 1, headers
    assert again == 429 and int(again_headers.get("retry-after", "0")) >= 1


def test_a_limit_that_is_not_a_number_stops_the_server_naming_the_variable():
    """AUTH_FAILURE_LIMIT=lots: `metachat serve` exits non-zero before listening, and says which
    variable is wrong and why."""
    require_services()
    result = run_metachat(["serve"], AUTH_FAILURE_LIMIT="lots", PORT="1")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "AUTH_FAILURE_LIMIT" in output and "'lots'" in output, output
