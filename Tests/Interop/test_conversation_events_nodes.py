"""The conversation event stream across two `metachat serve` processes sharing one PostgreSQL and
a Redis of this test's own (so it can restart it): events produced on node A reach a watcher on
node B in order, each once; a watcher that drops at a random point and resumes on node A misses
nothing and gets nothing twice; Redis restarted mid-stream loses nothing (watchers read
PostgreSQL meanwhile and health says degraded); tenant A's watchers never see tenant B."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from conversation_client import Conversations
from conversation_watch import Watch
from metachat_process import MetaChat, free_port, get, require_services, running_metachat, seed_admin
from test_conversation_events import new_tenant

REPLIES = 1000
# Replies posted before Redis stops, and while it is away.
BEFORE_OUTAGE = 350
DURING_OUTAGE = 200
WAIT_S = 60.0


class PrivateRedis:
    """A redis-server on a fixed loopback port, stoppable and restartable on that port."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server not found (scripts/test.sh installs it)"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            assert self.process.poll() is None, "redis-server exited"
            time.sleep(0.02)  # polling a port until it answers, bounded by the deadline
        pytest.fail("redis-server did not answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=WAIT_S)


@pytest.fixture(scope="module")
def redis(tmp_path_factory) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path_factory.mktemp("private-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, redis) -> Iterator[tuple[MetaChat, MetaChat]]:
    require_services()
    environment = {"REDIS_URL": redis.url, "RATE_LIMIT_MAX_REQUESTS": "1000000", "SSE_HEARTBEAT_SECONDS": "1"}
    with running_metachat(tmp_path_factory.mktemp("node-a"), **environment) as a:
        with running_metachat(tmp_path_factory.mktemp("node-b"), **environment) as b:
            yield a, b


def health_status(server: MetaChat) -> str:
    status, body = get(server.port, "/api/health")
    return json.loads(body).get("status", f"HTTP {status}")


def wait_for_health(server: MetaChat, wanted: str) -> None:
    deadline = time.monotonic() + WAIT_S
    seen = ""
    while time.monotonic() < deadline:
        seen = health_status(server)
        if seen.lower().endswith(wanted):
            return
        time.sleep(0.05)  # polling the health route until it changes, bounded by the deadline
    pytest.fail(f"health stayed {seen!r}, wanted {wanted!r}")


def read_until(watch: Watch, last_id: int, collected: list[dict]) -> None:
    """Appends durable events until the one with id `last_id` arrived."""
    while not collected or int(collected[-1]["eventId"]) < last_id:
        collected.append(watch.next_durable(timeout=WAIT_S))


def is_resolution(event: dict) -> bool:
    return event.get("statusChanged", {}).get("status") == "CONVERSATION_STATUS_RESOLVED"


def test_events_cross_nodes_survive_a_resume_and_a_redis_restart(nodes, redis, metachat_api):
    node_a, node_b = nodes
    admin = seed_admin("nodes@example.com", f"nodes-{uuid.uuid4().hex[:12]}")["apiKey"]
    tenant_a, credentials_a = new_tenant(node_a, admin)
    tenant_b, credentials_b = new_tenant(node_a, admin)
    producer_a = Conversations("rest", node_a, metachat_api, None, credentials_a)
    producer_b = Conversations("rest", node_b, metachat_api, None, credentials_b)

    # Both watchers start before anything exists: every event they get is one they saw happen.
    steady = Watch("sse", node_b, metachat_api, credentials_a, after="0")
    dropping = Watch("ndjson", node_b, metachat_api, credentials_a, after="0")
    other_tenant = Watch("sse", node_b, metachat_api, credentials_b, after="0")
    conversation = producer_a("CreateConversation", {"externalUserId": "nodes"})
    # Read during the outage: node B must deliver live from PostgreSQL while Redis is away.
    during_outage = Watch(
        "sse", node_b, metachat_api, credentials_a, conversation_id=conversation["id"],
        kinds=["CONVERSATION_EVENT_KIND_MESSAGE_CREATED"],
    )
    noise = producer_b("CreateConversation", {"externalUserId": "noise"})

    outage = {"degraded": False}
    failures: list[BaseException] = []

    def produce() -> None:
        try:
            for index in range(REPLIES):
                if index == BEFORE_OUTAGE:
                    redis.stop()
                    wait_for_health(node_b, "degraded")
                    outage["degraded"] = True
                if index == BEFORE_OUTAGE + DURING_OUTAGE:
                    wanted = f"reply {index - 1}"
                    while during_outage.next_durable(timeout=WAIT_S)["messageCreated"]["message"]["text"] != wanted:
                        pass
                    redis.start()
                    wait_for_health(node_b, "healthy")
                producer_a(
                    "PostAgentReply",
                    {"conversationId": conversation["id"], "text": f"reply {index}", "agentId": "ann",
                     "idempotencyKey": f"reply-{index}"},
                )
                if index % 10 == 0:
                    producer_b(
                        "PostAgentReply", {"conversationId": noise["id"], "text": f"noise {index}", "agentId": "bob"}
                    )
            producer_a("ResolveConversation", {"conversationId": conversation["id"]})
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        # The dropping watcher leaves at a random point while events are still being produced,
        # and resumes on the other node from the last id it saw.
        cut = random.Random().randrange(50, BEFORE_OUTAGE)
        first_part = [dropping.next_durable(timeout=WAIT_S) for _ in range(cut)]
        dropping.close()
        resumed = Watch("sse", node_a, metachat_api, credentials_a, after=first_part[-1]["eventId"])

        producer.join(timeout=600)
        assert not producer.is_alive(), "the producer did not finish"
        assert not failures, failures
        assert outage["degraded"]

        # The last event is the resolution; the tenant's ids count from 1 without holes.
        steady_events = [steady.next_durable(timeout=WAIT_S)]
        while not is_resolution(steady_events[-1]):
            steady_events.append(steady.next_durable(timeout=WAIT_S))
        last_id = int(steady_events[-1]["eventId"])
        assert last_id >= REPLIES
        assert [int(e["eventId"]) for e in steady_events] == list(range(1, last_id + 1))
        texts = [e["messageCreated"]["message"]["text"] for e in steady_events if "messageCreated" in e]
        assert texts == [f"reply {i}" for i in range(REPLIES)]
        assert {e["tenantId"] for e in steady_events} == {tenant_a}

        second_part: list[dict] = []
        read_until(resumed, last_id, second_part)
        ids = [int(e["eventId"]) for e in first_part + second_part]
        assert ids == list(range(1, last_id + 1)), (cut, ids[cut - 3 : cut + 3])

        # Tenant B's watcher got tenant B's events only.
        b_events: list[dict] = []
        while len([e for e in b_events if "messageCreated" in e]) < REPLIES // 10:
            b_events.append(other_tenant.next_durable(timeout=WAIT_S))
        assert {e["tenantId"] for e in b_events} == {tenant_b}
        assert [int(e["eventId"]) for e in b_events] == list(range(1, len(b_events) + 1))
        resumed.close()
    finally:
        producer.join(timeout=600)
        steady.close()
        other_tenant.close()
        during_outage.close()
        if redis.process is None or redis.process.poll() is not None:
            redis.start()
