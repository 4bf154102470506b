"""`metachat serve` across a PostgreSQL restart, under load.

The test runs a PostgreSQL cluster of its own (initdb in a temporary directory with the
binaries `scripts/lib/services.sh` uses, a free port, trust authentication, pgvector created as
the superuser, `metachat migrate`), starts the server on it, and keeps REST and gRPC GetTenant
calls going from several threads while the cluster is stopped (`pg_ctl stop -m fast`) and
started again. While the database is away every failed call is 503 / UNAVAILABLE with a message
that says so (never 500 / INTERNAL, never a hang), the process stays up, health says UNHEALTHY,
and afterwards calls succeed again by themselves and the tenant reads back unchanged.

Keys the server has cached authenticate without the database (docs/auth.md), so the load's
failures come from reading the tenant; a key it has not seen yet gets UNAVAILABLE, not 401.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import grpc
import pytest

import restclient
from conftest import REPO_ROOT
from metachat_process import MetaChat, free_port, open_channel, run_metachat, running_metachat, seed_admin

SERVICE_USER = os.environ.get("SERVICES_USER", "metachat-pg")
PG_TIMEOUT_S = 60.0
# A request slower than this counts as a hang; the clients give up a little later.
SLOWEST_ANSWER_S = 12.0
CLIENT_TIMEOUT_S = 20.0
# How long each phase may take to show what it waits for (loaded 2-core CI).
PHASE_TIMEOUT_S = 30.0
# Calls of each face that must be seen per phase.
SEEN_PER_PHASE = 3
RECOVERED_IN_A_ROW = 5
# Each worker's pause between calls, so the load does not starve the server of CPU.
PACE_S = 0.02
REST_WORKERS = 3
GRPC_WORKERS = 2


def postgres_binaries() -> Path:
    """pgserver's PostgreSQL binaries: METACHAT_PG_BIN, else the ones in .venv."""
    configured = os.environ.get("METACHAT_PG_BIN")
    if configured and (Path(configured) / "postgres").is_file():
        return Path(configured)
    for candidate in sorted(REPO_ROOT.glob(".venv/lib/python3*/site-packages/pgserver/pginstall/bin")):
        if (candidate / "postgres").is_file():
            return candidate
    pytest.fail("PostgreSQL binaries not found: set METACHAT_PG_BIN or run scripts/setup.sh")


class DedicatedPostgres:
    """A PostgreSQL cluster of the test's own. PostgreSQL refuses to run as root, so as root
    its commands run as the services' user (`scripts/lib/services.sh` does the same)."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = postgres_binaries()
        self.data = root / "pg"
        self.log = root / "postgres.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        """DATABASE_URL of the application role (trust authentication: no password)."""
        return f"postgresql://metachat@127.0.0.1:{self.port}/metachat"

    def _as_service(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", SERVICE_USER, "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *command], cwd="/", capture_output=True, text=True, timeout=PG_TIMEOUT_S + 30
        )
        assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}\n{self.log_tail()}"
        return result

    def log_tail(self) -> str:
        """The end of the server log."""
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-3000:]
        return ""

    def create(self) -> None:
        """initdb, configuration, start, the `metachat` role and database with pgvector."""
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._as_service(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-locale",
        )  # fmt: skip
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# test_database_restart.py\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        self.start()
        self.psql("postgres", "CREATE ROLE metachat LOGIN", "CREATE DATABASE metachat OWNER metachat")
        self.psql("metachat", "CREATE EXTENSION IF NOT EXISTS vector")

    def psql(self, database: str, *statements: str) -> None:
        """Runs statements as the superuser."""
        commands = [argument for statement in statements for argument in ("-c", statement)]
        self._as_service(
            str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
            "-U", "postgres", "-d", database, *commands,
        )  # fmt: skip

    def start(self) -> None:
        """`pg_ctl start`, which waits until the server accepts connections (bounded)."""
        self._as_service(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(int(PG_TIMEOUT_S)),
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m mode`, which waits until the server is down (bounded)."""
        self._as_service(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", str(int(PG_TIMEOUT_S)), "stop"
        )

    def is_running(self) -> bool:
        """Whether `pg_ctl status` sees a server."""
        prefix = ["runuser", "-u", SERVICE_USER, "--"] if os.geteuid() == 0 else []
        command = [*prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(command, cwd="/", capture_output=True, timeout=PG_TIMEOUT_S).returncode == 0


@pytest.fixture
def postgres() -> Iterator[DedicatedPostgres]:
    """A migrated cluster of the test's own, stopped and deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="metachat-pg-restart-"))
    cluster = DedicatedPostgres(root)
    try:
        cluster.create()
        migrated = run_metachat(["migrate"], DATABASE_URL=cluster.url)
        assert migrated.returncode == 0, migrated.stderr
        yield cluster
    finally:
        try:
            if cluster.data.is_dir() and cluster.is_running():
                cluster.stop("immediate")
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def server(postgres, tmp_path) -> Iterator[MetaChat]:
    """`metachat serve` on the dedicated cluster (and the suite's Redis), with a limit the load
    never reaches."""
    with running_metachat(tmp_path, DATABASE_URL=postgres.url, RATE_LIMIT_MAX_REQUESTS="1000000") as running:
        yield running


# MARK: Load


@dataclass
class Outcome:
    """One call of the load."""

    face: str
    started: float
    ended: float
    kind: str  # "ok", "unavailable" or "bad"
    detail: str = ""


@dataclass
class Load:
    """Calls from several threads until stopped; every outcome is recorded."""

    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def snapshot(self) -> list[Outcome]:
        with self.lock:
            return list(self.outcomes)

    def wait_for(self, description: str, condition) -> None:
        """Waits (bounded) until `condition(outcomes)` holds."""
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while time.monotonic() < deadline:
            if condition(self.snapshot()):
                return
            self.stop.wait(0.05)  # paces the polling; the condition is what ends it
        counts = {}
        for outcome in self.snapshot():
            counts[(outcome.face, outcome.kind)] = counts.get((outcome.face, outcome.kind), 0) + 1
        pytest.fail(f"not within {PHASE_TIMEOUT_S}s: {description} (outcomes so far: {counts})")


def is_unavailable_message(message: str) -> bool:
    """Whether an error message tells the caller the failure is temporary."""
    return "unavailable" in message.lower()


def rest_worker(load: Load, server: MetaChat, tenant_id: str, headers: dict[str, str], face: str) -> None:
    while not load.stop.is_set():
        started = time.monotonic()
        try:
            reply = restclient.request(
                server.port, "GET", f"/api/tenants/{tenant_id}", headers=headers, timeout=CLIENT_TIMEOUT_S
            )
        except (OSError, http.client.HTTPException) as error:
            load.record(Outcome(face, started, time.monotonic(), "bad", f"transport: {error!r}"))
        else:
            ended = time.monotonic()
            if reply.status == 200 and reply.json().get("id") == tenant_id:
                load.record(Outcome(face, started, ended, "ok"))
            elif reply.status == 503:
                error = reply.error()
                unavailable = error["status"] == "UNAVAILABLE" and is_unavailable_message(error["message"])
                kind = "unavailable" if unavailable else "bad"
                load.record(Outcome(face, started, ended, kind, error["message"]))
            else:
                load.record(Outcome(face, started, ended, "bad", f"{reply.status} {reply.body[:300]!r}"))
        load.stop.wait(PACE_S)


def grpc_worker(load: Load, stub, request, metadata, face: str) -> None:
    while not load.stop.is_set():
        started = time.monotonic()
        try:
            answer = stub.GetTenant(request, metadata=metadata, timeout=CLIENT_TIMEOUT_S)
        except grpc.RpcError as error:
            ended = time.monotonic()
            details = error.details() or ""
            unavailable = error.code() == grpc.StatusCode.UNAVAILABLE and is_unavailable_message(details)
            kind = "unavailable" if unavailable else "bad"
            load.record(Outcome(face, started, ended, kind, f"{error.code()} {details}"))
        else:
            ok = answer.id == request.tenant_id
            load.record(Outcome(face, started, time.monotonic(), "ok" if ok else "bad", answer.id))
        load.stop.wait(PACE_S)


def seen(outcomes: list[Outcome], faces: set[str], kind: str, after: float, count: int) -> bool:
    """Whether every face had `count` outcomes of `kind` that started after `after`."""
    return all(
        sum(1 for o in outcomes if o.face == face and o.kind == kind and o.started > after) >= count for face in faces
    )


def recovered(outcomes: list[Outcome], faces: set[str], after: float) -> bool:
    """Whether every face's latest RECOVERED_IN_A_ROW calls, all started after `after`, succeeded."""
    for face in faces:
        latest = [o for o in outcomes if o.face == face][-RECOVERED_IN_A_ROW:]
        if len(latest) < RECOVERED_IN_A_ROW or any(o.kind != "ok" or o.started <= after for o in latest):
            return False
    return True


# MARK: The test


def test_a_database_restart_under_load_answers_unavailable_then_recovers_by_itself(
    postgres, server, metachat_api
):
    admin = seed_admin("db-restart@example.com", f"restart-{uuid.uuid4().hex[:12]}", DATABASE_URL=postgres.url)
    admin_key = admin["apiKey"]
    created = restclient.request(
        server.port, "POST", "/api/tenants",
        body=json.dumps({
            "name": "Restart Survivor",
            "settings": {"rag": {"topK": 7}, "widget": {"title": "Help", "primaryColor": "#112233"}},
            "metadata": {"plan": "gold", "region": "eu"},
        }),
        headers={"x-admin-key": admin_key, "content-type": "application/json"},
    )  # fmt: skip
    assert created.status == 200, created.body
    tenant = created.json()
    tenant_id = tenant["id"]
    keys = []
    for label in ("load", "unused-until-outage"):
        reply = restclient.request(
            server.port, "POST", f"/api/security/tenants/{tenant_id}/api-keys",
            body=json.dumps({"label": label}), headers={"x-admin-key": admin_key, "content-type": "application/json"},
        )  # fmt: skip
        assert reply.status == 200, reply.body
        keys.append(reply.json()["apiKey"])
    tenant_key, unseen_key = keys

    load = Load()
    channel = open_channel(server)
    stub = metachat_api.tenants_pb2_grpc.TenantServiceStub(channel)
    request = metachat_api.tenants_pb2.GetTenantRequest(tenant_id=tenant_id)
    workers = []
    for index in range(REST_WORKERS):
        # Tenant key (its own row, tenant-scoped transaction) and admin key (admin scope).
        headers = {"x-api-key": tenant_key} if index % 2 == 0 else {"x-admin-key": admin_key}
        workers.append(threading.Thread(target=rest_worker, args=(load, server, tenant_id, headers, f"rest-{index}")))
    for index in range(GRPC_WORKERS):
        metadata = (("authorization", f"Bearer {tenant_key}"),) if index % 2 == 0 else (("x-admin-key", admin_key),)
        workers.append(threading.Thread(target=grpc_worker, args=(load, stub, request, metadata, f"grpc-{index}")))
    faces = {f"rest-{i}" for i in range(REST_WORKERS)} | {f"grpc-{i}" for i in range(GRPC_WORKERS)}
    try:
        for worker in workers:
            worker.start()
        load.wait_for("every face succeeds before the restart", lambda o: seen(o, faces, "ok", 0, SEEN_PER_PHASE))

        stopping_at = time.monotonic()
        postgres.stop("fast")
        stopped_at = time.monotonic()
        load.wait_for(
            "every face answers UNAVAILABLE while PostgreSQL is down",
            lambda o: seen(o, faces, "unavailable", stopped_at, SEEN_PER_PHASE),
        )
        # Health says so, and a key this server never saw is not called invalid.
        report = restclient.request(server.port, "GET", "/api/health", timeout=CLIENT_TIMEOUT_S)
        assert report.status == 503, report.body
        assert report.json()["status"] == "HEALTH_STATUS_UNHEALTHY", report.json()
        assert report.json()["database"]["status"] == "HEALTH_STATUS_UNHEALTHY", report.json()
        ready = restclient.request(server.port, "GET", "/api/health/ready", timeout=CLIENT_TIMEOUT_S)
        assert ready.status == 503 and ready.json().get("ready") is not True, ready.body
        live = restclient.request(server.port, "GET", "/api/health/live", timeout=CLIENT_TIMEOUT_S)
        assert live.status == 200, live.body
        unseen = restclient.request(
            server.port, "GET", f"/api/tenants/{tenant_id}", headers={"x-api-key": unseen_key}, timeout=CLIENT_TIMEOUT_S
        )
        assert unseen.status == 503, unseen.body
        assert unseen.error()["status"] == "UNAVAILABLE" and is_unavailable_message(unseen.error()["message"])

        postgres.start()
        started_at = time.monotonic()
        load.wait_for("every face succeeds again by itself", lambda o: recovered(o, faces, started_at))
    finally:
        load.stop.set()
        for worker in workers:
            worker.join(timeout=CLIENT_TIMEOUT_S + 5)
        channel.close()
    assert not any(worker.is_alive() for worker in workers), "a load thread did not finish"

    outcomes = load.snapshot()
    bad = [o for o in outcomes if o.kind == "bad"]
    assert not bad, f"{len(bad)} calls failed otherwise than UNAVAILABLE: {bad[:10]}\n{server.log_tail()}"
    slowest = max(outcomes, key=lambda o: o.ended - o.started)
    assert slowest.ended - slowest.started < SLOWEST_ANSWER_S, slowest
    unavailable = [o for o in outcomes if o.kind == "unavailable"]
    assert all(o.ended > stopping_at for o in unavailable), "UNAVAILABLE before PostgreSQL was stopped"
    assert server.is_running(), server.log_tail()

    # The stored tenant survived unchanged, on both faces; the unseen key works now.
    after = restclient.request(
        server.port, "GET", f"/api/tenants/{tenant_id}", headers={"x-api-key": unseen_key}, timeout=CLIENT_TIMEOUT_S
    )
    assert after.status == 200, after.body
    assert after.json() == tenant
    with contextlib.closing(open_channel(server)) as check_channel:
        answer = metachat_api.tenants_pb2_grpc.TenantServiceStub(check_channel).GetTenant(
            request, metadata=(("x-api-key", tenant_key),), timeout=CLIENT_TIMEOUT_S
        )
    assert (answer.id, answer.name, dict(answer.metadata)) == (tenant_id, "Restart Survivor", tenant["metadata"])
    assert (answer.settings.rag.top_k, answer.settings.widget.primary_color) == (7, "#112233")
