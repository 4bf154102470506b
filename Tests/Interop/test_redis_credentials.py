"""`REDIS_URL` credentials against a real `redis-server` that requires them (`--requirepass` for
the default user and an ACL user): `metachat serve` authenticates every connection it opens (the
command pool, the invalidation subscriber, the health probe), selects the URL's database, and
never writes the password to its log or its answers. `rediss://` stops `serve` (and every other
subcommand reading the configuration) with exit 78 and a message saying what to do instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest

import restclient
from metachat_process import MetaChat, free_port, require_services, run_metachat, running_metachat, seed_admin

REDIS_START_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 10.0
HEALTH_TIMEOUT_S = 15.0
# Reserved URL characters in both, so the URL must percent-encode them.
USER = "metachat-app"
PASSWORD = "p@ss:w/rd%?#-" + uuid.uuid4().hex[:8]
DEFAULT_USER_PASSWORD = "default-" + uuid.uuid4().hex
DATABASE = 2


class ProtectedRedis:
    """A redis-server of this module's own whose default user needs a password and which has an
    ACL user with another one."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, user: str | None, password: str, database: int = DATABASE) -> str:
        """A REDIS_URL with the credentials percent-encoded."""
        user_part = quote(user, safe="") if user else ""
        return f"redis://{user_part}:{quote(password, safe='')}@127.0.0.1:{self.port}/{database}"

    def cli(self, *arguments: str) -> str:
        """`redis-cli` as the ACL user on the module's database; its output ('' on failure)."""
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "--no-auth-warning", "--user", USER,
             "--pass", PASSWORD, "-n", str(DATABASE), *arguments],
            capture_output=True,
            text=True,
            timeout=REQUEST_TIMEOUT_S,
        )
        return result.stdout if result.returncode == 0 else ""

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (scripts/setup.sh installs it)"
        log = self.directory / "redis.log"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", str(log),
             "--requirepass", DEFAULT_USER_PASSWORD,
             "--user", USER, "on", ">" + PASSWORD, "~*", "&*", "+@all"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.cli("ping").strip() == "PONG":
                return
            # Waiting on the process paces the polling and notices an early exit.
            try:
                code = self.process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"redis-server exited with {code}: {log.read_text(errors='replace')[-2000:]}")
        pytest.fail(f"redis-server did not answer PING within {REDIS_START_TIMEOUT_S}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=REDIS_START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=REDIS_START_TIMEOUT_S)


@pytest.fixture(scope="module")
def protected_redis() -> Iterator[ProtectedRedis]:
    require_services()
    with tempfile.TemporaryDirectory(prefix="metachat-protected-redis-") as tmp:
        redis = ProtectedRedis(Path(tmp))
        try:
            redis.start()
            yield redis
        finally:
            redis.stop()


def health(server: MetaChat) -> dict:
    reply = restclient.request(server.port, "GET", "/api/health", timeout=REQUEST_TIMEOUT_S)
    assert reply.status == 200, (reply.status, reply.body[:300])
    return reply.json()


def wait_for_health(server: MetaChat, status: str, part: str | None = None) -> dict:
    """Polls /api/health until `part`'s check (the overall status when None) reports `status`;
    the report."""
    what = f"the {part} check" if part else "health"
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    report: dict = {}
    while time.monotonic() < deadline:
        report = health(server)
        if (report.get(part, {}) if part else report).get("status") == status:
            return report
        # Paces the polling; the condition is the health answer, not the time.
        time.sleep(0.05)
    pytest.fail(f"{what} did not report {status} within {HEALTH_TIMEOUT_S}s: {report}\n{server.log_tail()}")


def wait_for_redis_check(server: MetaChat, status: str) -> dict:
    """Polls /api/health until its Redis check reports `status`; the report."""
    return wait_for_health(server, status, part="redis")


def test_serve_authenticates_as_the_acl_user_and_selects_the_database(protected_redis, tmp_path):
    url = protected_redis.url(USER, PASSWORD)
    admin = seed_admin("redis-credentials@example.com", f"redis-{uuid.uuid4().hex[:12]}", REDIS_URL=url)["apiKey"]
    with running_metachat(tmp_path, REDIS_URL=url, LOG_LEVEL="debug") as server:
        wait_for_redis_check(server, "HEALTH_STATUS_HEALTHY")
        # The overall status also waits for the conversation stream's subscriber, which connects
        # on its own connection (DEGRADED until it has).
        report = wait_for_health(server, "HEALTH_STATUS_HEALTHY")

        # A limited call counts in Redis (database 2, reached through the ACL user's connection)…
        reply = restclient.request(
            server.port, "GET", "/api/security/admin/users", headers={"x-admin-key": admin}, timeout=REQUEST_TIMEOUT_S
        )
        assert reply.status == 200, reply.body[:300]
        assert reply.header("ratelimit-limit") is not None
        keys = protected_redis.cli("--scan", "--pattern", "metachat:ratelimit:*").split()
        assert keys, "no rate-limit counter in the URL's database"
        # …and the limiter is not on its per-instance fallback.
        assert health(server)["status"] == "HEALTH_STATUS_HEALTHY"

        # The invalidation subscriber is connected as the ACL user too.
        clients = protected_redis.cli("client", "list").splitlines()
        subscribers = [line for line in clients if " sub=2 " in line]
        assert subscribers and all(f" user={USER} " in line for line in subscribers), clients
        numsub = protected_redis.cli("pubsub", "numsub", "metachat:keys:changed").split()
        assert numsub[-1] == "1", numsub

        log = server.log_tail()
    for secret in (PASSWORD, quote(PASSWORD, safe="")):
        assert secret not in log, "the Redis password appeared in the server log"
        assert secret not in json.dumps(report)


def test_refused_credentials_are_reported_without_the_password(protected_redis, tmp_path):
    wrong = "wrong-" + uuid.uuid4().hex
    url = protected_redis.url(USER, wrong)
    with running_metachat(tmp_path, REDIS_URL=url, LOG_LEVEL="debug") as server:
        report = wait_for_redis_check(server, "HEALTH_STATUS_UNHEALTHY")
        assert "authentication failed" in report["redis"].get("message", ""), report
        text = json.dumps(report) + server.log_tail()
    assert wrong not in text, "the refused password appeared in the health report or the log"


@pytest.mark.parametrize("command", [["serve"], ["seed-admin", "--email", "tls@example.com", "--label", "tls"]])
def test_rediss_url_stops_with_exit_78_and_says_to_use_a_tls_proxy(command):
    secret = "tls-secret-" + uuid.uuid4().hex
    result = run_metachat(command, REDIS_URL=f"rediss://{USER}:{secret}@cache.example.com:6380/0")

    assert result.returncode == 78, (result.returncode, result.stderr)
    assert "REDIS_URL" in result.stderr
    assert "rediss://" in result.stderr and "TLS" in result.stderr and "stunnel" in result.stderr, result.stderr
    assert secret not in result.stdout + result.stderr
