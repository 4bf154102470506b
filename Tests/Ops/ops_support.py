"""Helpers and fixtures of the operations suite: a database of the test's own, a Redis of the
test's own, and one-shot `metachat` commands."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT_S = 120.0


def env_or_fail(name: str) -> str:
    """An environment variable `scripts/test.sh` exports, or a failure saying how to run."""
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run this through `scripts/test.sh ops`")
    return value


def psql(url: str, sql: str) -> str:
    """Runs SQL with psql (unaligned, tuples only) and answers its output."""
    result = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert result.returncode == 0, f"psql failed: {result.stderr}"
    return result.stdout.strip()


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` (the path replaced, the query kept)."""
    scheme, rest = url.split("://", 1)
    authority, _, path = rest.partition("/")
    _, question, query = path.partition("?")
    return f"{scheme}://{authority}/{name}{question}{query}"


@dataclass
class Database:
    """A database of the test's own, owned by the application role, migrated."""

    name: str
    url: str
    superuser_url: str

    def digest(self) -> dict[str, str]:
        """Every table's rows as one md5 each (rows in text form, sorted), read as the superuser
        (past row-level security): equal digests mean equal data."""
        tables = psql(
            self.superuser_url,
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        ).splitlines()
        return {
            table: psql(self.superuser_url, f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t")
            for table in tables
        }

    def databases(self) -> set[str]:
        """The names of all databases in the cluster."""
        return set(psql(self.superuser_url, "SELECT datname FROM pg_database").splitlines())


@pytest.fixture
def make_database() -> Iterator[Callable[[bool], Database]]:
    """Makes fresh databases owned by the application role, with pgvector, migrated by
    `metachat migrate` unless told otherwise; each, and every database the scripts made from
    its name, is dropped afterwards."""
    app_url = env_or_fail("METACHAT_TEST_DATABASE_URL")
    superuser = env_or_fail("METACHAT_PG_SUPERUSER_URL")
    owner = psql(app_url, "SELECT current_user")
    made: list[str] = []

    def make(migrate: bool = True) -> Database:
        name = f"metachat_ops_{secrets.token_hex(4)}"
        psql(superuser, f'CREATE DATABASE "{name}" OWNER "{owner}"')
        made.append(name)
        psql(with_database(superuser, name), "SET client_min_messages = warning; CREATE EXTENSION vector")
        db = Database(name=name, url=with_database(app_url, name), superuser_url=with_database(superuser, name))
        if migrate:
            migrated = run_metachat(["migrate"], DATABASE_URL=db.url)
            assert migrated.returncode == 0, migrated.stderr
        return db

    try:
        yield make
    finally:
        for name in made:
            for other in psql(superuser, f"SELECT datname FROM pg_database WHERE datname LIKE '{name}%'").splitlines():
                psql(superuser, f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


@pytest.fixture
def database(make_database) -> Database:
    """A fresh, migrated database (see ``make_database``)."""
    return make_database(True)


def metachat_binary() -> Path:
    """The metachat binary (METACHAT_BINARY, exported by `scripts/test.sh ops`)."""
    path = Path(env_or_fail("METACHAT_BINARY"))
    assert path.is_file(), f"{path} does not exist (build first)"
    return path


def run_metachat(arguments: list[str], **environment: str) -> subprocess.CompletedProcess:
    """A one-shot `metachat` command with the suite's environment plus `environment`."""
    return subprocess.run(
        [str(metachat_binary()), *arguments],
        capture_output=True,
        text=True,
        env=dict(os.environ, **environment),
        timeout=COMMAND_TIMEOUT_S,
    )


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Redis:
    """A redis-server of the test's own (AOF on, no RDB saves of its own)."""

    directory: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cli(self, *arguments: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), *arguments], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def start(self, appendonly: bool = True) -> None:
        """Starts the server on its directory and polls PING (bounded)."""
        self.process = subprocess.Popen(
            [
                "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                "--save", "", "--appendonly", "yes" if appendonly else "no", "--dbfilename", "dump.rdb",
                "--pidfile", str(self.directory / "redis.pid"), "--daemonize", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            probe = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if probe.stdout.strip() == "PONG":
                return
            assert time.monotonic() < deadline, "redis-server did not answer PING within 20 s"
            with_exit = self.process.poll()
            assert with_exit is None, f"redis-server exited with {with_exit}"
            time.sleep(0.05)  # polling pace, bounded by the deadline above

    def stop(self) -> None:
        """SHUTDOWN NOSAVE and a bounded wait for the process."""
        if self.process is None or self.process.poll() is not None:
            return
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=30)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)

    def keys(self) -> dict[str, str]:
        """Every string key and its value."""
        names = [k for k in self.cli("--scan").splitlines() if k]
        return {name: self.cli("get", name) for name in sorted(names)}


@pytest.fixture
def redis(tmp_path) -> Iterator[Redis]:
    """A running Redis of the test's own, stopped afterwards."""
    assert shutil.which("redis-server"), "redis-server is not installed (scripts/setup.sh installs it)"
    directory = tmp_path / "redis"
    directory.mkdir()
    server = Redis(directory=directory, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def scrape_metrics(port: int, token: str) -> str:
    """GET /metrics of a `metachat serve` on 127.0.0.1:`port` with METRICS_TOKEN `token`: the
    Prometheus text (the response must be 200)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics", headers={"authorization": f"Bearer {token}"})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, body
    return body


def published_metric_names(text: str) -> set[str]:
    """The names of the samples in a Prometheus text exposition (histograms as their
    `_bucket`, `_sum` and `_count` series)."""
    return {match.group(1) for match in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", text, re.MULTILINE)}
