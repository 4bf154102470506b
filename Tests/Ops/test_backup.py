"""ops/backup: backup.sh -> verify_backups.sh -> restore.sh, and rollback.sh --dry-run, end to end
against a real PostgreSQL database (migrated by `metachat migrate`, filled by `metachat
seed-admin`), a real Redis and a storage directory.

The scripts find pg_dump, pg_restore and psql on PATH (services.sh puts the PostgreSQL that
runs the suite first, so client and server versions match)."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ops_support import REPO_ROOT, Database, Redis, run_metachat

BACKUP = REPO_ROOT / "ops" / "backup"
TIMEOUT_S = 300


def run(script: str, *arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs one of the ops/backup scripts with the suite's environment plus `env`."""
    return subprocess.run(
        [str(BACKUP / script), *arguments],
        capture_output=True,
        text=True,
        errors="replace",  # redis-check-rdb quotes the damaged bytes
        env=dict(os.environ, **env),
        timeout=TIMEOUT_S,
        cwd=REPO_ROOT,
    )


def seed(database: Database, label: str) -> None:
    """Writes rows through the real binary: a SUPER admin and one of its keys."""
    result = run_metachat(["seed-admin", "--email", f"{label}@example.com", "--label", label, "--json"], DATABASE_URL=database.url)
    assert result.returncode == 0, result.stderr


def storage_files(directory: Path) -> dict[str, bytes]:
    """Every file under a directory by relative path."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def environment(database: Database, root: Path, storage: Path, redis: Redis) -> dict[str, str]:
    return {
        "BACKUP_ROOT": str(root),
        "BACKUP_DATABASE_URL": database.superuser_url,
        "STORAGE_PATH": str(storage),
        "REDIS_URL": redis.url,
        "REDIS_AOF_DIR": str(redis.directory / "appendonlydir"),
    }


def make_storage(tmp_path: Path) -> Path:
    storage = tmp_path / "storage"
    (storage / "tenant-a").mkdir(parents=True)
    (storage / "tenant-a" / "handbook.md").write_text("# Handbook\n")
    (storage / "tenant-a" / "binary.bin").write_bytes(bytes(range(256)) * 64)
    return storage


def test_backup_then_more_writes_then_restore_gives_the_backup_back(tmp_path, database, redis):
    """backup.sh captures PostgreSQL, storage and Redis; verify_backups.sh passes (also against
    live, as nothing was written); more writes follow (then verification against live fails,
    naming the table, while the backup itself still verifies); restore.sh puts everything back:
    every table, every file and every Redis key equal what the backup held."""
    root = tmp_path / "backups"
    storage = make_storage(tmp_path)
    seed(database, "before")
    redis.cli("set", "ratelimit:a", "1")
    redis.cli("set", "cache:tenant", "acme")
    env = environment(database, root, storage, redis)

    as_application = run("backup.sh", env={**env, "BACKUP_DATABASE_URL": database.url})
    assert as_application.returncode == 1
    assert "does not bypass row-level security" in as_application.stderr

    made = run("backup.sh", env=env)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    assert backup.parent == root and backup.name.startswith("metachat-")
    assert {p.name for p in backup.iterdir()} == {
        "db.dump", "rowcounts.tsv", "storage.tar.gz", "redis.rdb", "redis-aof.tar.gz", "SHA256SUMS", "COMPLETE"
    }  # fmt: skip
    counts = dict(line.split("\t") for line in (backup / "rowcounts.tsv").read_text().splitlines())
    assert counts["public.admin_users"] == "1", counts
    at_backup = database.digest()
    files_at_backup = storage_files(storage)
    keys_at_backup = redis.keys()

    verified = run("verify_backups.sh", "--compare-live", env=env)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"verified {backup}"

    # More writes everywhere.
    seed(database, "after")
    (storage / "tenant-a" / "handbook.md").write_text("# Handbook, edited\n")
    (storage / "new.txt").write_text("new")
    redis.cli("set", "ratelimit:b", "2")
    redis.cli("del", "cache:tenant")
    assert database.digest() != at_backup

    drifted = run("verify_backups.sh", "--compare-live", env=env)
    assert drifted.returncode == 1
    assert "differ from the live database" in drifted.stderr
    assert "public.admin_users\t1" in drifted.stderr and "public.admin_users\t2" in drifted.stderr
    still_good = run("verify_backups.sh", env=env)
    assert still_good.returncode == 0, still_good.stderr
    assert "changed since the backup" in still_good.stderr

    # Restore: Redis stopped first, as the script demands.
    refused = run("restore.sh", "--yes", env={**env, "REDIS_DATA_DIR": str(redis.directory)})
    assert refused.returncode == 1 and "stop it before restoring" in refused.stderr
    assert database.digest() != at_backup, "a refused restore must change nothing"
    redis.stop()
    restored = run("restore.sh", "--yes", env={**env, "REDIS_DATA_DIR": str(redis.directory)})
    assert restored.returncode == 0, restored.stderr
    assert database.digest() == at_backup
    assert storage_files(storage) == files_at_backup
    # Redis loads the snapshot when started without its AOF.
    redis.start(appendonly=False)
    assert redis.keys() == keys_at_backup == {"cache:tenant": "acme", "ratelimit:a": "1"}
    # The database as it was before the restore is kept beside it.
    kept = [name for name in database.databases() if name.startswith(f"{database.name}_pre_restore_")]
    assert len(kept) == 1, kept


def test_a_truncated_dump_fails_verification(tmp_path, database, redis):
    """A dump cut short fails verification: caught by the checksums, and — when the checksums
    were written after the damage (a disk that filled up during the dump) — by the restore into
    the scratch database. The scratch database is dropped either way."""
    root = tmp_path / "backups"
    seed(database, "truncated")
    env = environment(database, root, make_storage(tmp_path), redis)
    made = run("backup.sh", env=env)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    dump = backup / "db.dump"
    data = dump.read_bytes()
    dump.write_bytes(data[: len(data) // 2])
    before = database.databases()

    by_checksum = run("verify_backups.sh", env=env)
    assert by_checksum.returncode == 1
    assert "checksum mismatch" in by_checksum.stderr

    sums = subprocess.run(["sha256sum", "db.dump"], cwd=backup, capture_output=True, text=True, check=True).stdout
    lines = [line for line in (backup / "SHA256SUMS").read_text().splitlines() if not line.endswith(" db.dump")]
    (backup / "SHA256SUMS").write_text("\n".join([*lines, sums.strip()]) + "\n")
    by_restore = run("verify_backups.sh", env=env)
    assert by_restore.returncode == 1
    assert "truncated or corrupt" in by_restore.stderr
    assert database.databases() == before, "the scratch database must be dropped"


def test_a_corrupt_redis_snapshot_fails_verification(tmp_path, database, redis):
    """redis-check-rdb refuses a damaged snapshot (checksums rewritten to match it)."""
    redis.cli("set", "k", "v" * 1000)
    env = environment(database, tmp_path / "backups", make_storage(tmp_path), redis)
    made = run("backup.sh", env=env)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    rdb = backup / "redis.rdb"
    data = bytearray(rdb.read_bytes())
    data[len(data) // 2] ^= 0xFF
    rdb.write_bytes(bytes(data))
    subprocess.run("sha256sum -- * > SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS", shell=True, cwd=backup, check=True)
    # SHA256SUMS must not list itself.
    (backup / "SHA256SUMS").write_text(
        "".join(line + "\n" for line in (backup / "SHA256SUMS").read_text().splitlines() if not line.endswith("SHA256SUMS"))
    )
    verified = run("verify_backups.sh", env=env)
    assert verified.returncode == 1
    assert "redis-check-rdb refused" in verified.stderr


def test_backups_older_than_seven_days_are_pruned(tmp_path, database, redis):
    """After a backup, those whose stamp is more than 7 days old are removed, younger ones stay."""
    root = tmp_path / "backups"
    root.mkdir()
    now = datetime.now(timezone.utc)
    old = root / f"metachat-{(now - timedelta(days=8)).strftime('%Y%m%dT%H%M%SZ')}"
    young = root / f"metachat-{(now - timedelta(days=6)).strftime('%Y%m%dT%H%M%SZ')}"
    for directory in (old, young):
        directory.mkdir()
        (directory / "COMPLETE").write_text("x")
    made = run("backup.sh", env=environment(database, root, make_storage(tmp_path), redis))
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in root.iterdir()) == sorted([young.name, Path(made.stdout.strip()).name])
    assert f"pruning {old}" in made.stderr


def test_rollback_dry_run_prints_every_step_and_changes_nothing(tmp_path, database, redis):
    """rollback.sh --dry-run names each step with its command and touches nothing: the
    database, the list of databases, the storage and Redis are as before."""
    root = tmp_path / "backups"
    storage = make_storage(tmp_path)
    env = environment(database, root, storage, redis)
    seed(database, "rollback")
    made = run("backup.sh", env=env)
    assert made.returncode == 0, made.stderr
    seed(database, "later")
    redis.cli("set", "later", "1")
    (storage / "later.txt").write_text("later")
    before = (database.digest(), database.databases(), storage_files(storage), redis.keys())

    rehearsal = run("rollback.sh", "--dry-run", env={**env, "REDIS_DATA_DIR": str(redis.directory)})
    assert rehearsal.returncode == 0, rehearsal.stderr
    lines = rehearsal.stdout.splitlines()
    assert lines[0] == f"rollback to {made.stdout.strip()} (dry run: nothing is changed)"
    steps = [line for line in lines if line.startswith("step ")]
    assert [s.split(":")[0] for s in steps] == [f"step {n}" for n in range(1, 6)], steps
    assert "verify_backups.sh" in steps[0] and "docker compose" in steps[1] and "restore.sh --yes" in steps[2]
    assert "/api/health/ready" in steps[4]
    assert lines[-1] == "rollback rehearsed"
    assert (database.digest(), database.databases(), storage_files(storage), redis.keys()) == before


def test_scripts_refuse_bad_input_with_a_clear_message(tmp_path):
    """Missing settings and unknown options are named."""
    cases = [
        ("backup.sh", [], {"BACKUP_DATABASE_URL": "", "BACKUP_ROOT": str(tmp_path)}, "BACKUP_DATABASE_URL is not set"),
        ("backup.sh", [], {"BACKUP_DATABASE_URL": "mysql://x", "BACKUP_ROOT": str(tmp_path)}, "must start with postgresql://"),
        ("backup.sh", ["--now"], {}, "unknown argument '--now'"),
        ("verify_backups.sh", [], {"BACKUP_DATABASE_URL": "postgresql://x/y", "BACKUP_ROOT": str(tmp_path / "none")}, "does not exist"),
        ("verify_backups.sh", [], {"BACKUP_DATABASE_URL": "postgresql://x/y", "BACKUP_ROOT": str(tmp_path)}, "no complete backup"),
        ("rollback.sh", [], {"BACKUP_DATABASE_URL": "postgresql://x/y", "BACKUP_ROOT": str(tmp_path)}, "--dry-run"),
        ("restore.sh", ["--force"], {}, "unknown option '--force'"),
    ]
    for script, arguments, env, message in cases:
        result = run(script, *arguments, env=env)
        assert result.returncode != 0, (script, arguments)
        assert message in result.stderr, (script, arguments, result.stderr)


def test_rollback_stops_restores_starts_and_waits_for_a_healthy_api(tmp_path, database, redis):
    """rollback.sh --yes as a disaster-recovery drill with a real `metachat serve` managed by the
    stop and start commands: the server is stopped, the database comes back as it was at the
    backup, the server is started again and the rollback ends only once it is ready."""
    import secrets

    from ops_support import free_port, metachat_binary

    port = free_port()
    pid_file = tmp_path / "serve.pid"
    serve_env = (
        f"DATABASE_URL='{database.url}' REDIS_URL='{redis.url}' HOST=127.0.0.1 PORT={port} LOG_LEVEL=warning "
        f"API_KEY_PEPPER={os.environ['API_KEY_PEPPER']}"
    )
    start = f"env {serve_env} nohup {metachat_binary()} serve >> {tmp_path / 'serve.log'} 2>&1 & echo $! > {pid_file}"
    stop = f"pid=$(cat {pid_file}); kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.1; done"
    env = {
        **environment(database, tmp_path / "backups", make_storage(tmp_path), redis),
        "ROLLBACK_STOP_COMMAND": stop,
        "ROLLBACK_START_COMMAND": start,
        "ROLLBACK_HEALTH_URL": f"http://127.0.0.1:{port}/api/health/ready",
        "ROLLBACK_HEALTH_TIMEOUT": "60",
        "METACHAT_BINARY": str(metachat_binary()),
    }
    started = subprocess.run(["bash", "-c", start], timeout=30)
    assert started.returncode == 0
    try:
        seed(database, "before")
        made = run("backup.sh", env=env)
        assert made.returncode == 0, made.stderr
        at_backup = database.digest()
        seed(database, f"after-{secrets.token_hex(4)}")
        assert database.digest() != at_backup
        old_pid = pid_file.read_text().strip()

        rolled = run("rollback.sh", "--yes", env=env)
        assert rolled.returncode == 0, rolled.stdout + rolled.stderr
        assert rolled.stdout.splitlines()[-1] == "rollback done"
        assert database.digest() == at_backup
        new_pid = pid_file.read_text().strip()
        assert new_pid != old_pid and not os.path.exists(f"/proc/{old_pid}")
        ready = subprocess.run(
            [str(metachat_binary()), "healthcheck", "--url", f"http://127.0.0.1:{port}/api/health/ready"], timeout=30
        )
        assert ready.returncode == 0
    finally:
        subprocess.run(["bash", "-c", f"[ -f {pid_file} ] && {stop}"], timeout=60)


def test_verification_archives_its_log_and_rotates_old_ones(tmp_path, database, redis):
    """With --log-dir each run leaves verify-<stamp>.log holding everything it printed (also for
    a failing run, whose exit status is kept); logs older than 30 days go, younger ones stay."""
    env = environment(database, tmp_path / "backups", make_storage(tmp_path), redis)
    made = run("backup.sh", env=env)
    assert made.returncode == 0, made.stderr
    logs = tmp_path / "logs"
    logs.mkdir()
    now = datetime.now(timezone.utc)
    old = logs / f"verify-{(now - timedelta(days=31)).strftime('%Y%m%dT%H%M%SZ')}.log"
    young = logs / f"verify-{(now - timedelta(days=29)).strftime('%Y%m%dT%H%M%SZ')}.log"
    old.write_text("old")
    young.write_text("young")

    verified = run("verify_backups.sh", "--log-dir", str(logs), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    new = sorted(set(logs.iterdir()) - {young})
    assert not old.exists() and young.exists() and len(new) == 1, sorted(logs.iterdir())
    text = new[0].read_text()
    assert "checksums ok" in text and f"verified {made.stdout.strip()}" in text

    dump = Path(made.stdout.strip()) / "db.dump"
    dump.write_bytes(dump.read_bytes()[:100])
    for log in logs.glob("verify-2*.log"):
        if log != young:
            log.unlink()  # the next run may start within the same second
    failed = run("verify_backups.sh", "--log-dir", str(logs), env=env)
    assert failed.returncode == 1
    [failed_log] = sorted(set(logs.iterdir()) - {young})
    assert "checksum mismatch" in failed_log.read_text()
