"""High availability (docs/ha.md): the scripts in ops/ha run as an operator runs them, against a
real PostgreSQL primary and a standby that ops/ha/start-standby.sh cloned from it (pgserver's
PostgreSQL 16, the binaries scripts/lib/services.sh runs, as its service user), Debian's PgPool-II
(pgpool2) started by ops/ha/start-pgpool.sh with ops/ha/pgpool.conf, Debian's
prometheus-postgres-exporter with ops/ha/postgres-exporter-queries.yml, and `metachat` itself
through PgPool; every server on free loopback ports, every one stopped afterwards."""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import json
import os
import re
import select
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest
import yaml

import restclient
from metachat_process import running_metachat, seed_admin
from ops_support import REPO_ROOT, env_or_fail, free_port, run_metachat

HA = REPO_ROOT / "ops" / "ha"
RULES = REPO_ROOT / "ops" / "monitoring" / "rules" / "infrastructure.yml"
SERVICE_USER = "metachat-pg"
TIMEOUT_S = 120
DEADLINE_S = 60.0
SLOT = "metachat_standby"


def as_service() -> list[str]:
    """Runs a command as the user PostgreSQL runs as (scripts/lib/services.sh's), when root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}", "--init-groups", "--"]


def pg_bin() -> Path:
    path = Path(env_or_fail("METACHAT_PG_BIN"))
    assert (path / "pg_basebackup").is_file(), f"no pg_basebackup in {path}"
    return path


def clean_environment(**extra: str) -> dict[str, str]:
    """The suite's environment without libpq's PG* variables, PostgreSQL's programs first on PATH,
    plus `extra`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    environment["PATH"] = f"{pg_bin()}:{environment['PATH']}"
    environment["HOME"] = tempfile.gettempdir()
    environment.update(extra)
    return environment


def run_script(name: str, *arguments: str, env: dict[str, str], service: bool = False) -> subprocess.CompletedProcess:
    """One of the ops/ha scripts, as the PostgreSQL user when `service`."""
    command = [*(as_service() if service else []), str(HA / name), *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S, cwd="/")


def poll(condition: Callable[[], object], what: str, deadline_s: float = DEADLINE_S):
    """Calls `condition` until it answers something true, failing after `deadline_s`."""
    deadline = time.monotonic() + deadline_s
    last: object = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(0.05)  # polling pace, bounded by the deadline
    pytest.fail(f"{what} within {deadline_s} s (last: {last!r})")


def psql(url: str, sql: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(pg_bin() / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True, text=True, timeout=TIMEOUT_S, env=clean_environment(),
    )  # fmt: skip
    if check:
        assert result.returncode == 0, f"psql failed: {result.stderr}"
    return result


@dataclass
class Node:
    """One PostgreSQL server of the pair: its data directory, socket directory and port."""

    root: Path
    name: str
    port: int = field(default_factory=free_port)

    @property
    def pgdata(self) -> Path:
        return self.root / self.name

    @property
    def socket_dir(self) -> Path:
        return self.root / f"{self.name}-sock"

    def libpq(self, **extra: str) -> dict[str, str]:
        """The environment the scripts connect with: the superuser over the socket."""
        return clean_environment(PGHOST=str(self.socket_dir), PGPORT=str(self.port), PGUSER="postgres", **extra)

    def url(self, user: str = "postgres", password: str | None = None, database: str = "postgres") -> str:
        if password is None:
            return f"postgresql:///{database}?host={self.socket_dir}&port={self.port}&user={user}"
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        return psql(self.url(database=database), statement).stdout.strip()

    def start(self) -> None:
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        if as_service():
            shutil.chown(self.socket_dir, SERVICE_USER, SERVICE_USER)
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = subprocess.run(
            [*as_service(), str(pg_bin() / "pg_ctl"), "-D", str(self.pgdata), "-o", options,
             "-l", str(self.root / f"{self.name}.log"), "-w", "-t", "60", "start"],
            capture_output=True, text=True, timeout=TIMEOUT_S, cwd="/",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr + self.log()

    def stop(self, mode: str = "fast") -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        subprocess.run(
            [*as_service(), str(pg_bin() / "pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "-t", "60", "stop"],
            capture_output=True, timeout=TIMEOUT_S, cwd="/",
        )  # fmt: skip

    def log(self) -> str:
        path = self.root / f"{self.name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@dataclass
class Pgpool:
    """PgPool-II run by ops/ha/start-pgpool.sh."""

    directory: Path
    environment: dict[str, str]
    port: int = field(default_factory=free_port)
    pcp_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(mode=0o700, exist_ok=True)
        if as_service():
            shutil.chown(self.directory, SERVICE_USER, SERVICE_USER)
        env = {
            **self.environment, "PGPOOL_DIR": str(self.directory), "PGPOOL_LISTEN_ADDRESSES": "127.0.0.1",
            "PGPOOL_PORT": str(self.port), "PGPOOL_PCP_LISTEN_ADDRESSES": "127.0.0.1", "PGPOOL_PCP_PORT": str(self.pcp_port),
        }  # fmt: skip
        with open(self.directory.parent / "pgpool.log", "ab") as log:
            self.process = subprocess.Popen(
                [*as_service(), str(HA / "start-pgpool.sh")], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd="/"
            )

    def stop(self) -> None:
        """SIGINT: pgpool's fast shutdown (SIGTERM waits for clients); SIGKILL as a last resort."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def log(self) -> str:
        path = self.directory.parent / "pgpool.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@dataclass
class Pair:
    """A primary, its streaming standby, and PgPool in front when asked for."""

    root: Path
    primary: Node
    standby: Node
    app_password: str = field(default_factory=lambda: secrets.token_hex(12))
    superuser_password: str = field(default_factory=lambda: secrets.token_hex(12))
    replication_password: str = field(default_factory=lambda: secrets.token_hex(12))
    pgpool: Pgpool | None = None

    def replication_env(self, **extra: str) -> dict[str, str]:
        return {"REPLICATION_PASSWORD": self.replication_password, "REPLICATION_CIDR": "127.0.0.1/32", **extra}

    def init_primary(self, node: Node) -> subprocess.CompletedProcess:
        return run_script("init-primary.sh", env=node.libpq(**self.replication_env()), service=True)

    def clone(self, target: Node, source: Node) -> subprocess.CompletedProcess:
        env = clean_environment(PGDATA=str(target.pgdata), PRIMARY_HOST="127.0.0.1", PRIMARY_PORT=str(source.port),
                                REPLICATION_PASSWORD=self.replication_password)  # fmt: skip
        return run_script("start-standby.sh", env=env, service=True)

    def pgpool_url(self, user: str = "metachat", database: str = "metachat") -> str:
        assert self.pgpool is not None
        password = self.app_password if user == "metachat" else self.superuser_password
        return f"postgresql://{user}:{password}@127.0.0.1:{self.pgpool.port}/{database}"

    def close(self) -> None:
        if self.pgpool is not None:
            self.pgpool.stop()
        for node in (self.standby, self.primary):
            node.stop("fast")
            node.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def through(url: str, statement: str) -> subprocess.CompletedProcess:
    return psql(url, statement, check=False)


@contextlib.contextmanager
def pair_factory() -> Iterator[Callable[..., Pair]]:
    """Builds pairs as an operator does (docs/ha.md): initdb and start a primary with the
    application role and database (pgvector in it), ops/ha/init-primary.sh on it,
    ops/ha/start-standby.sh into an empty directory, the standby started on it, and optionally
    ops/ha/start-pgpool.sh in front. Everything is stopped and removed afterwards, also when a
    test failed."""
    made: list[Pair] = []

    def make(with_pgpool: bool = False) -> Pair:
        assert shutil.which("pgpool", path="/usr/sbin:/usr/bin"), "pgpool is not installed (scripts/setup.sh installs pgpool2)"
        # Under the repository's .data, which services.sh made traversable for its service user;
        # short, for the socket paths.
        (REPO_ROOT / ".data").mkdir(exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="ha-", dir=REPO_ROOT / ".data"))
        root.chmod(0o755)
        if as_service():
            shutil.chown(root, SERVICE_USER, SERVICE_USER)
        pair = Pair(root=root, primary=Node(root, "primary"), standby=Node(root, "standby"))
        made.append(pair)
        initdb = subprocess.run(
            [*as_service(), str(pg_bin() / "initdb"), "-D", str(pair.primary.pgdata), "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", "--no-locale", "--encoding=UTF8"],
            capture_output=True, text=True, timeout=TIMEOUT_S, cwd="/",
        )  # fmt: skip
        assert initdb.returncode == 0, initdb.stderr
        pair.primary.start()
        pair.primary.sql(f"CREATE ROLE metachat LOGIN PASSWORD '{pair.app_password}'")
        pair.primary.sql(f"ALTER ROLE postgres PASSWORD '{pair.superuser_password}'")
        pair.primary.sql("CREATE DATABASE metachat OWNER metachat")
        pair.primary.sql("SET client_min_messages = warning; CREATE EXTENSION vector", database="metachat")
        initialised = pair.init_primary(pair.primary)
        assert initialised.returncode == 0, initialised.stderr
        cloned = pair.clone(pair.standby, pair.primary)
        assert cloned.returncode == 0, cloned.stderr
        pair.standby.start()
        if with_pgpool:
            pair.pgpool = Pgpool(
                directory=root / "pgpool",
                environment=clean_environment(
                    PGPOOL_BACKENDS=f"127.0.0.1:{pair.primary.port},127.0.0.1:{pair.standby.port}",
                    PGPOOL_USERS=f"metachat:{pair.app_password} postgres:{pair.superuser_password}",
                    REPLICATION_PASSWORD=pair.replication_password, PGPOOL_PCP_PASSWORD="pcp-secret",
                ),
            )  # fmt: skip
            pair.pgpool.start()
            pgpool = pair.pgpool

            def answers() -> bool:
                assert pgpool.process is not None and pgpool.process.poll() is None, f"pgpool exited:\n{pgpool.log()}"
                return through(pair.pgpool_url(), "SELECT 1").stdout.strip() == "1"

            try:
                poll(answers, "PgPool did not answer")
            except BaseException:
                print(pgpool.log(), through(pair.pgpool_url(), "SELECT 1").stderr)
                raise
            # The pgpool service's health check (ops/docker-compose.ha.yml, docker/pgpool.Dockerfile).
            ready = subprocess.run([str(pg_bin() / "pg_isready"), "-h", "127.0.0.1", "-p", str(pgpool.port)],
                                   capture_output=True, text=True, timeout=30)  # fmt: skip
            assert ready.returncode == 0, ready.stdout + ready.stderr
        return pair

    try:
        yield make
    finally:
        for pair in made:
            pair.close()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """The pair most tests share (none of them stops a server of it), with PgPool."""
    with pair_factory() as make:
        yield make(True)


@pytest.fixture
def make_pair() -> Iterator[Callable[..., Pair]]:
    """Pairs of a test's own (it stops or promotes servers), gone when the test ends."""
    with pair_factory() as make:
        yield make


def standby_count(pair: Pair, table: str, token: str) -> int:
    found = psql(pair.standby.url(database="metachat"), f"SELECT count(*) FROM {table} WHERE token = '{token}'", check=False)
    return int(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else -1


def test_a_row_written_through_pgpool_reaches_the_standby(pair):
    """A table with a pgvector column and a row written through PgPool (as the application role)
    show up on the hot standby, pgvector's extension and operators with them; the standby
    refuses writes of its own (guide step 3.2)."""
    token = uuid.uuid4().hex
    written = through(
        pair.pgpool_url(),
        f"CREATE TABLE IF NOT EXISTS ha_probe (token text, embedding vector(3)); INSERT INTO ha_probe VALUES ('{token}', '[1,2,3]')",
    )
    assert written.returncode == 0, written.stderr + (pair.pgpool.log() if pair.pgpool else "")
    poll(lambda: standby_count(pair, "ha_probe", token) == 1, "the row did not reach the standby")
    assert pair.standby.sql("SELECT count(*) FROM pg_extension WHERE extname = 'vector'", database="metachat") == "1"
    distance = f"SELECT embedding <-> '[1,2,4]' FROM ha_probe WHERE token = '{token}'"
    assert pair.standby.sql(distance, database="metachat") == "1"
    refused = through(pair.standby.url(database="metachat"), "INSERT INTO ha_probe (token) VALUES ('x')")
    assert refused.returncode != 0 and "read-only transaction" in refused.stderr


def test_transactions_through_pgpool_run_on_the_primary_with_their_local_settings(pair):
    """Load balancing is off: every statement, reads included, runs on the primary, so a
    transaction's `set_config(…, true)` (how MetaChat scopes row-level security to a tenant) and
    `SET LOCAL` hold for the statements after them and end with the transaction."""
    session = through(
        pair.pgpool_url(),
        "BEGIN; SELECT set_config('app.tenant_id', 'tenant-42', true); "
        "SET LOCAL statement_timeout = '7s'; "
        "SELECT current_setting('app.tenant_id') || ' ' || current_setting('statement_timeout') || ' ' "
        "|| pg_is_in_recovery() || ' ' || inet_server_port(); COMMIT; "
        "SELECT coalesce(current_setting('app.tenant_id', true), '') || '|' || current_setting('statement_timeout')",
    )
    assert session.returncode == 0, session.stderr
    assert session.stdout.strip().splitlines()[-2:] == [f"tenant-42 7s false {pair.primary.port}", "|0"], session.stdout
    ports = {through(pair.pgpool_url(), "SELECT inet_server_port()").stdout.strip() for _ in range(12)}
    assert ports == {str(pair.primary.port)}, ports


def test_concurrent_writes_through_pgpool_all_land_on_both_servers(pair):
    """Sixteen sessions writing at once through PgPool: every row is on the primary, then on the
    standby, none twice."""
    through(pair.pgpool_url(), "CREATE TABLE IF NOT EXISTS concurrent_probe (token text PRIMARY KEY)")
    tokens = [uuid.uuid4().hex for _ in range(16)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda token: through(pair.pgpool_url(), f"INSERT INTO concurrent_probe VALUES ('{token}')"), tokens))
    assert [r.returncode for r in results] == [0] * 16, [r.stderr for r in results if r.returncode]
    listed = "', '".join(tokens)
    count = f"SELECT count(*) FROM concurrent_probe WHERE token IN ('{listed}')"
    assert pair.primary.sql(count, database="metachat") == "16"
    poll(lambda: pair.standby.sql(count, database="metachat") == "16", "the rows did not all reach the standby")


class PGnotify(ctypes.Structure):
    _fields_ = [("relname", ctypes.c_char_p), ("be_pid", ctypes.c_int), ("extra", ctypes.c_char_p), ("next", ctypes.c_void_p)]


def test_a_notification_reaches_an_idle_listener_through_pgpool(pair):
    """MetaChat's workers wait for NOTIFY on an idle connection of their own
    (PostgresNotificationListener: LISTEN, then poll(2) on libpq's socket, sending nothing).
    Through PgPool a notification another session sends reaches such a listener, payload intact."""
    library = ctypes.util.find_library("pq")
    assert library, "libpq is not installed (scripts/setup.sh installs libpq-dev)"
    libpq = ctypes.CDLL(library)
    libpq.PQconnectdb.restype, libpq.PQconnectdb.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
    libpq.PQstatus.argtypes = [ctypes.c_void_p]
    libpq.PQerrorMessage.restype, libpq.PQerrorMessage.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
    libpq.PQexec.restype, libpq.PQexec.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]
    libpq.PQresultStatus.argtypes = [ctypes.c_void_p]
    libpq.PQclear.argtypes = [ctypes.c_void_p]
    libpq.PQsocket.argtypes = [ctypes.c_void_p]
    libpq.PQconsumeInput.argtypes = [ctypes.c_void_p]
    libpq.PQnotifies.restype, libpq.PQnotifies.argtypes = ctypes.POINTER(PGnotify), [ctypes.c_void_p]
    libpq.PQfreemem.argtypes = [ctypes.c_void_p]
    libpq.PQfinish.argtypes = [ctypes.c_void_p]
    connection = libpq.PQconnectdb(pair.pgpool_url().encode())
    try:
        assert libpq.PQstatus(connection) == 0, libpq.PQerrorMessage(connection)
        listened = libpq.PQexec(connection, b"LISTEN ha_wakeup")
        assert libpq.PQresultStatus(listened) == 1, libpq.PQerrorMessage(connection)  # PGRES_COMMAND_OK
        libpq.PQclear(listened)
        payload = uuid.uuid4().hex
        sent = through(pair.pgpool_url(), f"NOTIFY ha_wakeup, '{payload}'")
        assert sent.returncode == 0, sent.stderr
        deadline = time.monotonic() + DEADLINE_S
        received = None
        while received is None:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no notification arrived through PgPool"
            readable, _, _ = select.select([libpq.PQsocket(connection)], [], [], remaining)
            if not readable:
                continue
            assert libpq.PQconsumeInput(connection) == 1, libpq.PQerrorMessage(connection)
            notification = libpq.PQnotifies(connection)
            if notification:
                received = (notification.contents.relname, notification.contents.extra)
                libpq.PQfreemem(ctypes.cast(notification, ctypes.c_void_p))
        assert received == (b"ha_wakeup", payload.encode())
    finally:
        libpq.PQfinish(connection)


def test_check_replication_reports_the_standby_streaming_with_a_small_lag(pair):
    """On the primary, check-replication.sh names the standby as streaming with its lag in bytes
    and seconds, and the slot as active; as the replication role too (pg_monitor). Against the
    standby it refuses, naming why."""
    checked = run_script("check-replication.sh", "--max-lag-bytes", "16777216", "--max-lag-seconds", "10", env=pair.primary.libpq())
    assert checked.returncode == 0, checked.stderr
    match = re.search(r"^standby=metachat_standby client=127\.0\.0\.1 state=streaming lag_bytes=(\d+) lag_seconds=([0-9.]+)$",
                      checked.stdout, re.MULTILINE)  # fmt: skip
    assert match, checked.stdout
    assert int(match.group(1)) < 16 * 1024 * 1024 and float(match.group(2)) < 10
    assert re.search(rf"^slot={SLOT} active=t retained_bytes=\d+$", checked.stdout, re.MULTILINE), checked.stdout
    assert "ok: 1 standby(s) streaming" in checked.stdout
    as_role = run_script(
        "check-replication.sh",
        env=clean_environment(PGHOST="127.0.0.1", PGPORT=str(pair.primary.port), PGUSER="replicator", PGPASSWORD=pair.replication_password),
    )  # fmt: skip
    assert as_role.returncode == 0 and "state=streaming" in as_role.stdout, as_role.stderr
    on_standby = run_script("check-replication.sh", env=pair.standby.libpq())
    assert on_standby.returncode == 1 and "is a standby: run check-replication.sh against the primary" in on_standby.stderr


def test_migrate_seed_admin_and_rest_work_through_pgpool(pair, tmp_path):
    """`metachat migrate`, `metachat seed-admin --json` and `metachat serve` with DATABASE_URL at
    PgPool: a tenant created over REST reads back, and its row reaches the standby."""
    url = pair.pgpool_url()
    migrated = run_metachat(["migrate"], DATABASE_URL=url)
    assert migrated.returncode == 0, migrated.stderr
    again = run_metachat(["migrate"], DATABASE_URL=url)
    assert again.returncode == 0, again.stderr
    admin = seed_admin("ha@example.com", f"ha-{uuid.uuid4().hex[:8]}", DATABASE_URL=url)["apiKey"]
    name = f"HA {uuid.uuid4().hex[:8]}"
    with running_metachat(tmp_path / "serve", DATABASE_URL=url) as server:
        headers = {"x-admin-key": admin, "content-type": "application/json"}
        created = restclient.request(server.port, "POST", "/api/tenants", body=json.dumps({"name": name}), headers=headers, timeout=30)
        assert created.status == 200, (created.status, created.body[:500])
        tenant = created.json()
        read = restclient.request(server.port, "GET", f"/api/tenants/{tenant['id']}", headers={"x-admin-key": admin}, timeout=30)
        assert read.status == 200, (read.status, read.body[:500])
        assert read.json()["name"] == name
    poll(
        lambda: pair.standby.sql(f"SELECT count(*) FROM tenants WHERE id = '{tenant['id']}'", database="metachat") == "1",
        "the tenant did not reach the standby",
    )


def metric_value(text: str, name: str) -> float | None:
    """The value of `name`'s single sample in a scrape (None when absent)."""
    found = re.findall(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE)
    assert len(found) <= 1, (name, found)
    return float(found[0]) if found else None


@pytest.fixture
def exporters(pair, tmp_path) -> Iterator[dict[str, int]]:
    """Debian's prometheus-postgres-exporter, one per server as ops/docker-compose.ha.yml runs
    them, with ops/ha/postgres-exporter-queries.yml, logging in as the replication role."""
    binary = shutil.which("prometheus-postgres-exporter")
    assert binary, "prometheus-postgres-exporter is not installed (scripts/setup.sh installs it)"
    ports: dict[str, int] = {}
    processes: list[subprocess.Popen] = []
    try:
        for node in (pair.primary, pair.standby):
            port = free_port()
            source = f"postgresql://replicator:{pair.replication_password}@127.0.0.1:{node.port}/postgres?sslmode=disable"
            with open(tmp_path / f"exporter-{node.name}.log", "wb") as log:
                processes.append(subprocess.Popen(
                    [binary, f"--web.listen-address=127.0.0.1:{port}", f"--extend.query-path={HA / 'postgres-exporter-queries.yml'}"],
                    env={**clean_environment(), "DATA_SOURCE_NAME": source}, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                ))  # fmt: skip
            ports[node.name] = port
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def scrape(port: int) -> str | None:
    """An exporter's /metrics once its queries answered (pg_replication_lag is there)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return None
    return text if metric_value(text, "pg_replication_lag") is not None else None


def test_the_exporter_publishes_the_lag_the_alert_reads(pair, exporters):
    """The metrics the PostgresReplicationLag and PostgresStandbyNotStreaming alerts name are
    published: the standby is a replica, streaming, caught up after a write (lag 0 s, 0 bytes);
    the primary reads 0 lag and streaming."""
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    named = {rule["alert"]: set(re.findall(r"\b(pg_[a-z_]+)\b", rule["expr"])) for rule in rules if rule["alert"].startswith("Postgres")}
    assert named["PostgresReplicationLag"] == {"pg_replication_lag"}
    primary = poll(lambda: scrape(exporters["primary"]), "the primary's exporter published no pg_replication_lag")
    assert metric_value(primary, "pg_replication_lag") == 0
    assert metric_value(primary, "pg_replication_is_replica") == 0
    assert metric_value(primary, "pg_replication_streaming") == 1
    assert metric_value(primary, "pg_up") == 1
    token = uuid.uuid4().hex
    pair.primary.sql(f"CREATE TABLE IF NOT EXISTS exporter_probe (token text); INSERT INTO exporter_probe VALUES ('{token}')", database="metachat")
    poll(lambda: standby_count(pair, "exporter_probe", token) == 1, "the row did not reach the standby")

    def caught_up() -> str | None:
        text = scrape(exporters["standby"])
        return text if text and metric_value(text, "pg_replication_lag_bytes") == 0 else None

    standby = poll(caught_up, "the standby's exporter did not show it caught up")
    assert metric_value(standby, "pg_replication_lag") == 0
    assert metric_value(standby, "pg_replication_is_replica") == 1
    assert metric_value(standby, "pg_replication_streaming") == 1
    for alert, metrics in named.items():
        for metric in metrics:
            assert metric_value(standby, metric) is not None, (alert, metric)


def test_init_primary_runs_again_without_adding_anything(pair):
    """A second init-primary.sh (here with a new password, as a rotation does) keeps one
    pg_hba.conf line per entry and one slot; the standby keeps streaming... and the new password
    is the role's."""
    hba = Path(pair.primary.sql("SHOW hba_file"))
    again = pair.init_primary(pair.primary)
    assert again.returncode == 0, again.stderr
    assert "already lets replicator in" in again.stderr
    lines = [line.split() for line in hba.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines.count(["host", "replication", "replicator", "127.0.0.1/32", "scram-sha-256"]) == 1
    assert lines.count(["host", "postgres", "replicator", "127.0.0.1/32", "scram-sha-256"]) == 1
    assert pair.primary.sql(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{SLOT}'") == "1"
    assert pair.primary.sql("SELECT rolreplication AND pg_has_role('replicator', 'pg_monitor', 'member') FROM pg_roles WHERE rolname = 'replicator'") == "t"
    rotated = run_script("init-primary.sh", env=pair.primary.libpq(**pair.replication_env(REPLICATION_PASSWORD="rotated-password-1")), service=True)
    assert rotated.returncode == 0, rotated.stderr
    login = f"postgresql://replicator:rotated-password-1@127.0.0.1:{pair.primary.port}/postgres"
    assert psql(login, "SELECT current_user").stdout.strip() == "replicator"
    restored = pair.init_primary(pair.primary)
    assert restored.returncode == 0, restored.stderr


def test_start_standby_refuses_a_directory_that_is_not_empty(pair):
    """start-standby.sh never writes into a data directory that holds anything: the running
    standby's own directory, or one with a stray file, is left exactly as it was."""
    for target in (pair.standby.pgdata, pair.root / "used"):
        if target != pair.standby.pgdata:
            target.mkdir()
            (target / "keep.txt").write_text("keep")
        before = sorted(p.name for p in target.iterdir())
        env = clean_environment(PGDATA=str(target), PRIMARY_HOST="127.0.0.1", PRIMARY_PORT=str(pair.primary.port),
                                REPLICATION_PASSWORD=pair.replication_password)  # fmt: skip
        refused = run_script("start-standby.sh", env=env, service=True)
        assert refused.returncode == 1
        assert f"PGDATA ({target}) is not empty" in refused.stderr, refused.stderr
        assert sorted(p.name for p in target.iterdir()) == before


def test_check_replication_fails_when_the_standby_stops_and_passes_once_it_is_back(make_pair):
    """With the standby stopped, check-replication.sh exits non-zero saying none streams, and the
    slot shows inactive while it holds the WAL written meanwhile; started again, the standby
    catches up through the slot (the rows written while it was down arrive) and the check passes."""
    pair = make_pair(False)
    assert run_script("check-replication.sh", env=pair.primary.libpq()).returncode == 0
    pair.standby.stop("fast")

    def failing() -> subprocess.CompletedProcess | None:
        checked = run_script("check-replication.sh", env=pair.primary.libpq())
        return checked if checked.returncode != 0 else None

    failed = poll(failing, "check-replication.sh still passed with the standby stopped")
    assert failed.returncode == 1
    assert "0 of the 1 standby(s) required are streaming" in failed.stderr, failed.stderr
    assert f"slot={SLOT} active=f" in failed.stdout
    token = uuid.uuid4().hex
    pair.primary.sql(f"CREATE TABLE while_down (token text); INSERT INTO while_down VALUES ('{token}')", database="metachat")
    pair.standby.start()
    poll(lambda: run_script("check-replication.sh", env=pair.primary.libpq()).returncode == 0, "the standby did not stream again")
    poll(lambda: standby_count(pair, "while_down", token) == 1, "the rows written meanwhile did not arrive")


def test_promotion_after_the_primary_stops_and_the_old_primary_returns_as_standby(make_pair):
    """The failover of docs/ha.md: the primary dies (immediate stop); promote.sh makes the
    standby the primary and returns once it takes writes; everything written before is there;
    PgPool, not restarted, finds the new primary and writes flow through it again. Then the old
    primary's directory is moved away and start-standby.sh makes it a standby of the new primary,
    streaming, with the rows written after the failover."""
    pair = make_pair(True)
    token = uuid.uuid4().hex
    written = through(pair.pgpool_url(), f"CREATE TABLE before_failover (token text); INSERT INTO before_failover VALUES ('{token}')")
    assert written.returncode == 0, written.stderr
    poll(lambda: standby_count(pair, "before_failover", token) == 1, "the row did not reach the standby")

    not_standby = run_script("promote.sh", env=pair.primary.libpq())
    assert not_standby.returncode == 1 and "is not a standby" in not_standby.stderr

    pair.primary.stop("immediate")
    promoted = run_script("promote.sh", "--timeout", "60", env=pair.standby.libpq())
    assert promoted.returncode == 0, promoted.stderr
    assert "is the primary and accepts writes" in promoted.stdout
    assert pair.standby.sql("SELECT pg_is_in_recovery()") == "f"
    assert pair.standby.sql(f"SELECT count(*) FROM before_failover WHERE token = '{token}'", database="metachat") == "1"
    pair.standby.sql("INSERT INTO before_failover VALUES ('direct')", database="metachat")

    after = uuid.uuid4().hex

    def write_through_pgpool() -> bool:
        result = through(pair.pgpool_url(), f"INSERT INTO before_failover VALUES ('{after}') RETURNING inet_server_port()")
        return result.returncode == 0 and result.stdout.strip() == str(pair.standby.port)

    poll(write_through_pgpool, "PgPool did not send writes to the promoted standby", deadline_s=90)
    assert pair.standby.sql(f"SELECT count(*) FROM before_failover WHERE token IN ('{token}', 'direct', '{after}')", database="metachat") == "3"

    # The old primary returns as a standby of the new one.
    old = pair.primary
    shutil.move(old.pgdata, old.root / "primary-before-failover")
    initialised = pair.init_primary(pair.standby)
    assert initialised.returncode == 0, initialised.stderr
    cloned = pair.clone(old, pair.standby)
    assert cloned.returncode == 0, cloned.stderr
    old.start()
    checked = poll(
        lambda: (r := run_script("check-replication.sh", env=pair.standby.libpq())).returncode == 0 and r,
        "the old primary did not stream from the new one",
    )
    assert "state=streaming" in checked.stdout
    assert old.sql(f"SELECT count(*) FROM before_failover WHERE token = '{after}'", database="metachat") == "1"

    # PgPool takes the old primary back as node 0, now a standby (pcp_attach_node, docs/ha.md).
    assert pair.pgpool is not None
    passfile = pair.root / "pcppass"
    passfile.write_text(f"127.0.0.1:{pair.pgpool.pcp_port}:pcp:pcp-secret\n")
    passfile.chmod(0o600)
    attach = shutil.which("pcp_attach_node", path="/usr/sbin:/usr/bin")
    assert attach, "pcp_attach_node is not installed (pgpool2)"
    attached = subprocess.run(
        [attach, "-h", "127.0.0.1", "-p", str(pair.pgpool.pcp_port), "-U", "pcp", "-n", "0", "-w"],
        capture_output=True, text=True, timeout=TIMEOUT_S, env=clean_environment(PCPPASSFILE=str(passfile)),
    )  # fmt: skip
    assert attached.returncode == 0, attached.stdout + attached.stderr

    def nodes() -> dict[str, tuple[str, str]] | None:
        shown = through(pair.pgpool_url("postgres", "postgres"), "SHOW pool_nodes")
        if shown.returncode != 0:
            return None
        rows = [line.split("|") for line in shown.stdout.strip().splitlines()]
        found = {row[0]: (row[3], row[6]) for row in rows}  # node_id: (status, role)
        return found if found.get("0", ("", ""))[1] == "standby" and found["0"][0] in ("up", "waiting") else None

    shown = poll(nodes, "PgPool did not show the old primary back as a standby")
    assert shown["1"] == ("up", "primary"), shown


def test_pgpool_starts_over_a_stale_pid_file_and_refuses_a_second_one(pair):
    """A pid file left by a killed pgpool (naming a process that is gone) does not keep
    start-pgpool.sh from starting; a pgpool still running on the directory does, with a message
    naming it."""
    assert pair.pgpool is not None
    second = Pgpool(directory=pair.root / "pgpool-restarted", environment=pair.pgpool.environment)
    second.directory.mkdir(mode=0o700)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (second.directory / "pgpool.pid").write_text(f"{gone.pid}\n")
    if as_service():
        shutil.chown(second.directory, SERVICE_USER, SERVICE_USER)
        shutil.chown(second.directory / "pgpool.pid", SERVICE_USER, SERVICE_USER)
    second.start()
    try:
        url = f"postgresql://metachat:{pair.app_password}@127.0.0.1:{second.port}/metachat"
        poll(lambda: second.process is not None and second.process.poll() is None and through(url, "SELECT 1").stdout.strip() == "1",
             "pgpool did not start over the stale pid file")  # fmt: skip
        assert "removing the stale" in second.log()
        running = int((second.directory / "pgpool.pid").read_text().strip("\x00\n "))
        env = {**second.environment, "PGPOOL_DIR": str(second.directory), "PGPOOL_PORT": str(free_port()), "PGPOOL_PCP_PORT": str(free_port())}
        refused = run_script("start-pgpool.sh", env=env, service=True)
        assert refused.returncode == 1
        assert f"pgpool already runs with pid {running} on {second.directory}" in refused.stderr, refused.stderr
    finally:
        second.stop()


def test_start_pgpool_writes_its_configuration_privately(tmp_path):
    """--render-only writes pgpool.conf with the backends in order (primary first), pool_passwd
    with every user (the replication role included) and pcp.conf, all mode 0600."""
    directory = tmp_path / "pgpool"
    env = clean_environment(
        PGPOOL_BACKENDS="db-a:5432,db-b:6543", PGPOOL_USERS="metachat:app-pw postgres:super-pw",
        REPLICATION_PASSWORD="repl-pw", PGPOOL_PCP_PASSWORD="pcp-pw", PGPOOL_DIR=str(directory),
    )  # fmt: skip
    rendered = run_script("start-pgpool.sh", "--render-only", env=env)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.strip() == f"pgpool -n -f {directory}/pgpool.conf -a {directory}/pool_hba.conf -F {directory}/pcp.conf"
    config = (directory / "pgpool.conf").read_text()
    for line in ("backend_hostname0 = 'db-a'", "backend_port0 = 5432", "backend_hostname1 = 'db-b'", "backend_port1 = 6543",
                 "load_balance_mode = off", "backend_clustering_mode = 'streaming_replication'", "sr_check_user = 'replicator'"):  # fmt: skip
        assert line in config.splitlines(), line
    assert (directory / "pool_passwd").read_text().splitlines() == ["metachat:TEXTapp-pw", "postgres:TEXTsuper-pw", "replicator:TEXTrepl-pw"]
    assert re.fullmatch(r"pcp:[0-9a-f]{32}\n", (directory / "pcp.conf").read_text())
    for name in ("pgpool.conf", "pool_hba.conf", "pool_passwd", "pcp.conf"):
        assert (directory / name).stat().st_mode & 0o777 == 0o600, name


BAD_INPUT = [
    # (script, arguments, environment, exit status, message)
    ("init-primary.sh", [], {}, 1, "set REPLICATION_PASSWORD REPLICATION_CIDR"),
    ("init-primary.sh", [], {"REPLICATION_PASSWORD": "x"}, 1, "set REPLICATION_CIDR"),
    ("init-primary.sh", [], {"REPLICATION_PASSWORD": "x", "REPLICATION_CIDR": "10.0.0.1"}, 1, "REPLICATION_CIDR must be an address range"),
    ("init-primary.sh", [], {"REPLICATION_PASSWORD": "x", "REPLICATION_CIDR": "10.0.0.1/32", "REPLICATION_USER": "Repl-User"}, 1, "REPLICATION_USER must be a lowercase identifier"),
    ("init-primary.sh", [], {"REPLICATION_PASSWORD": "x", "REPLICATION_CIDR": "10.0.0.1/32", "PGHOST": "127.0.0.1", "PGPORT": "@closed"}, 1, "cannot connect to PostgreSQL as postgres"),
    ("init-primary.sh", ["--force"], {}, 2, "unknown argument '--force'"),
    ("start-standby.sh", [], {}, 1, "set PGDATA PRIMARY_HOST REPLICATION_PASSWORD"),
    ("start-standby.sh", [], {"PGDATA": "/nonexistent/x", "PRIMARY_HOST": "db", "REPLICATION_PASSWORD": "x", "PRIMARY_PORT": "70000"}, 1, "PRIMARY_PORT must be a whole number from 1 to 65535"),
    ("start-standby.sh", [], {"PGDATA": "/nonexistent/x", "PRIMARY_HOST": "db; rm", "REPLICATION_PASSWORD": "x"}, 1, "PRIMARY_HOST must be a host name or address"),
    ("start-standby.sh", [], {"PGDATA": "/nonexistent/x", "PRIMARY_HOST": "db", "REPLICATION_PASSWORD": "x", "REPLICATION_SLOT": "bad slot"}, 1, "REPLICATION_SLOT must be a lowercase identifier"),
    ("promote.sh", ["--timeout"], {}, 2, "--timeout needs a number of seconds"),
    ("promote.sh", ["--timeout", "soon"], {}, 1, "--timeout must be a whole number from 1 to 3600, not 'soon'"),
    ("promote.sh", ["--timeout", "0"], {}, 1, "--timeout must be a whole number from 1 to 3600"),
    ("promote.sh", ["now"], {}, 2, "unknown argument 'now'"),
    ("promote.sh", [], {"PGHOST": "127.0.0.1", "PGPORT": "@closed"}, 1, "cannot connect to PostgreSQL at 127.0.0.1:"),
    ("check-replication.sh", ["--min-standbys", "-1"], {}, 1, "--min-standbys must be a whole number from 0 to 100"),
    ("check-replication.sh", ["--max-lag-bytes", "lots"], {}, 1, "--max-lag-bytes must be a whole number"),
    ("check-replication.sh", ["--max-lag-seconds"], {}, 2, "--max-lag-seconds needs a number"),
    ("check-replication.sh", [], {"PGHOST": "127.0.0.1", "PGPORT": "@closed"}, 1, "cannot connect to the primary at 127.0.0.1:"),
    ("start-pgpool.sh", [], {}, 1, "set PGPOOL_BACKENDS PGPOOL_USERS REPLICATION_PASSWORD PGPOOL_PCP_PASSWORD"),
    ("start-pgpool.sh", [], {"PGPOOL_BACKENDS": "db:5432", "PGPOOL_USERS": "metachat:pw", "REPLICATION_PASSWORD": "x", "PGPOOL_PCP_PASSWORD": "y"}, 1, "PGPOOL_BACKENDS names 1 node(s): give the primary and at least one standby"),
    ("start-pgpool.sh", [], {"PGPOOL_BACKENDS": "db-a,db-b:5432", "PGPOOL_USERS": "metachat:pw", "REPLICATION_PASSWORD": "x", "PGPOOL_PCP_PASSWORD": "y"}, 1, "PGPOOL_BACKENDS entry 'db-a' is not host:port"),
    ("start-pgpool.sh", [], {"PGPOOL_BACKENDS": "a:1,b:2", "PGPOOL_USERS": "metachat", "REPLICATION_PASSWORD": "x", "PGPOOL_PCP_PASSWORD": "y"}, 1, "PGPOOL_USERS entry 'metachat' has no password"),
    ("start-pgpool.sh", [], {"PGPOOL_BACKENDS": "a:1,b:2", "PGPOOL_USERS": "m:p", "REPLICATION_PASSWORD": "x", "PGPOOL_PCP_PASSWORD": "y", "PGPOOL_PORT": "0"}, 1, "PGPOOL_PORT must be a whole number from 1 to 65535"),
    ("standby-entrypoint.sh", [], {}, 1, "set PGDATA"),
]
if os.geteuid() == 0:
    # As root, pg_basebackup would leave files PostgreSQL refuses to start on.
    BAD_INPUT.append(("start-standby.sh", [], {"PGDATA": "/nonexistent/x", "PRIMARY_HOST": "db", "REPLICATION_PASSWORD": "x"}, 1,
                      "running as root: run as the user PostgreSQL runs as"))  # fmt: skip


@pytest.mark.parametrize(("script", "arguments", "environment", "status", "message"), BAD_INPUT)
def test_scripts_refuse_bad_input_with_a_clear_message(script, arguments, environment, status, message):
    """Missing or malformed input ends the script before it changes anything, with a message
    naming what is wrong (`@closed`: a port nothing listens on)."""
    environment = {k: v.replace("@closed", str(free_port())) for k, v in environment.items()}
    result = run_script(script, *arguments, env=clean_environment(**environment))
    assert result.returncode == status, (result.returncode, result.stderr)
    assert message in result.stderr, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("script", ["init-primary.sh", "start-standby.sh", "promote.sh", "check-replication.sh", "start-pgpool.sh", "standby-entrypoint.sh"])
def test_every_script_explains_itself(script):
    shown = run_script(script, "--help", env=clean_environment())
    assert shown.returncode == 0 and shown.stdout.startswith("Usage: "), shown.stderr
    assert (HA / script).read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in (HA / script).read_text()
