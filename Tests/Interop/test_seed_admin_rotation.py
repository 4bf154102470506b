"""`metachat seed-admin` rotating a key while `metachat serve` runs: the server, which has the old
key cached (for up to 60 s), refuses it right after the command returns, because the command
announces the change through Redis as the API's rotation does.
"""

from __future__ import annotations

import time
import uuid
from typing import Iterator

import pytest

import restclient
from metachat_process import MetaChat, require_services, running_metachat, seed_admin

REQUEST_TIMEOUT_S = 10.0
# Far below the key cache's 60 s: a refusal within it comes from the announcement, not expiry.
ANNOUNCEMENT_DEADLINE_S = 5.0
# Limits that polling never meets.
UNLIMITED = "1000000"


@pytest.fixture(scope="module")
def metachat(tmp_path_factory) -> Iterator[MetaChat]:
    require_services()
    with running_metachat(tmp_path_factory.mktemp("seed-admin-rotation"), RATE_LIMIT_MAX_REQUESTS=UNLIMITED) as server:
        yield server


def list_admins(server: MetaChat, key: str) -> restclient.Reply:
    """An admin-only call with `key` in x-admin-key."""
    return restclient.request(
        server.port, "GET", "/api/security/admin/users", headers={"x-admin-key": key}, timeout=REQUEST_TIMEOUT_S
    )


def test_running_server_refuses_the_old_key_right_after_seed_admin_rotates_it(metachat):
    email, label = "seed-rotation@example.com", f"rotate-{uuid.uuid4().hex[:12]}"
    first = seed_admin(email, label)
    # The server caches the key on its first use.
    assert list_admins(metachat, first["apiKey"]).status == 200
    assert list_admins(metachat, first["apiKey"]).status == 200

    second = seed_admin(email, label)
    rotated_at = time.monotonic()
    assert second["keyId"] == first["keyId"] and second["apiKey"] != first["apiKey"]

    answers = []
    while True:
        reply = list_admins(metachat, first["apiKey"])
        elapsed = time.monotonic() - rotated_at
        if reply.status == 401:
            assert reply.error()["status"] == "UNAUTHENTICATED"
            break
        assert reply.status == 200, (reply.status, reply.body[:300])
        answers.append(round(elapsed, 3))
        if elapsed > ANNOUNCEMENT_DEADLINE_S:
            pytest.fail(
                f"the old key still worked {elapsed:.3f}s after seed-admin rotated it ({len(answers)} answers 200)\n"
                f"{metachat.log_tail()}"
            )
    assert list_admins(metachat, second["apiKey"]).status == 200
