"""Packaging: docker/docker-compose.yml validated by Debian's docker-compose (`config`, offline:
no container engine runs here), the variable sets of compose, .env.example, the README and the
binary's configuration held equal, docker/api.Dockerfile's runtime stage held against the
libraries the built `metachat` links, the dashboard placeholder served by real nginx, and
ops/bootstrap-stack.sh and ops/run-migrations.sh run with a recording stand-in for `docker
compose` (and `--local` against real PostgreSQL)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest
import yaml

from ops_support import REPO_ROOT, free_port, metachat_binary, psql

COMPOSE = REPO_ROOT / "docker" / "docker-compose.yml"
HA_COMPOSE = REPO_ROOT / "ops" / "docker-compose.ha.yml"
DOCKERFILE = REPO_ROOT / "docker" / "api.Dockerfile"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
README = REPO_ROOT / "README.md"
CONFIGURATION = REPO_ROOT / "Sources" / "MetaChat" / "Configuration" / "AppConfiguration.swift"
SECRETS = {
    "DB_PASSWORD": "pg-super", "METACHAT_DB_PASSWORD": "pg-app", "API_KEY_PEPPER": "p" * 64, "RABBITMQ_PASS": "rabbit",
    "GRAFANA_ADMIN_PASSWORD": "grafana-admin",
}  # fmt: skip
# Where the container's value differs from the binary's default, on purpose (compose file comments).
CONTAINER_SPECIFIC = {"HOST", "PORT", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES", "API_KEY_PEPPER", "STORAGE_PATH"}
TIMEOUT_S = 120


HA_SECRETS = {**SECRETS, "REPLICATION_PASSWORD": "repl-secret", "PGPOOL_PCP_PASSWORD": "pcp-secret"}


def compose_config(*arguments: str, env: dict[str, str] | None = None, ha: bool = False) -> subprocess.CompletedProcess:
    """`docker-compose config` on docker/docker-compose.yml (and ops/docker-compose.ha.yml over it
    when `ha`) with .env.example, the suite's environment minus every variable the files read."""
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is not installed (scripts/setup.sh installs Debian's docker-compose)"
    clean = {k: v for k, v in os.environ.items() if k not in HA_SECRETS and k not in binary_variables()}
    files = ["-f", str(COMPOSE), *(["-f", str(HA_COMPOSE)] if ha else [])]
    return subprocess.run(
        [binary, "--env-file", str(ENV_EXAMPLE), *files, *arguments, "config"],
        capture_output=True, text=True, timeout=TIMEOUT_S, env={**clean, **(env or {})},
    )  # fmt: skip


def binary_variables() -> set[str]:
    """Every variable the Swift sources read from the environment."""
    names = set()
    for path in (REPO_ROOT / "Sources").rglob("*.swift"):
        text = path.read_text()
        names |= set(re.findall(r'environment\["([A-Z][A-Z0-9_]*)"\]', text))
        names |= set(re.findall(r'"([A-Z][A-Z0-9_]*)", in: environment', text))
        names |= set(re.findall(r'processInfo\.environment\["([A-Z][A-Z0-9_]*)"\]', text))
    return names


def table_rows(text: str, prefix: str) -> dict[str, str]:
    """A markdown table's variables (first column, backticked, several per row allowed) and the
    default each has (second column, the n-th backticked value for the n-th variable)."""
    rows = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith(prefix):
            continue
        line = line[len(prefix) :].strip()
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        defaults = re.findall(r"`([^`]*)`", cells[1])
        for i, name in enumerate(names):
            rows[name] = defaults[i] if i < len(defaults) else ""
    return rows


def env_example() -> dict[str, dict[str, str]]:
    """.env.example's sections ("metachat", "compose", "ops") and their NAME=value lines."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.startswith("# --- read by"):
            current = {"`metachat`": "metachat", "docker/docker-compose.yml": "compose", "ops/": "ops"}[line.split()[4]]
            sections[current] = {}
        elif current and re.match(r"^[A-Z][A-Z0-9_]*=", line):
            name, _, value = line.partition("=")
            assert name not in sections[current], f"{name} twice in .env.example"
            sections[current][name] = value
    return sections


def compose_interpolated() -> dict[str, str | None]:
    """Every ${NAME...} in the compose files and its :- default (None when it has none)."""
    found: dict[str, str | None] = {}
    text = COMPOSE.read_text() + HA_COMPOSE.read_text()
    for name, default in re.findall(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*)|:\?[^}]*)?\}", text):
        found[name] = default if default or f"${{{name}:-}}" in text else found.get(name)
    return found


def published_ports(service: dict) -> set[str]:
    ports = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports.add(f"{port['host_ip']}:{port['published']}:{port['target']}")
        else:
            ports.add(str(port).removesuffix("/tcp"))
    return ports


def test_compose_file_validates_and_follows_the_guide():
    """`docker-compose config` accepts the file (with the ops and monitoring profiles); every
    service but the one-shots has a health check; ports are bound to 127.0.0.1 as the guide's
    table says (Grafana on 3002); the API starts once PostgreSQL and Redis are healthy, the
    dashboard once the API is; Alloy and Grafana once Loki is."""
    result = compose_config("--profile", "ops", "--profile", "monitoring", env=SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {
        "postgres", "redis", "rabbitmq", "api", "dashboard", "migrate", "seed-admin", "loki", "alloy", "grafana",
    }  # fmt: skip
    raw = yaml.safe_load(COMPOSE.read_text())["services"]
    assert raw["migrate"]["profiles"] == ["ops"] and raw["seed-admin"]["profiles"] == ["ops"]
    for name in ("loki", "alloy", "grafana"):
        assert raw[name]["profiles"] == ["monitoring"], name
    for name in ("postgres", "redis", "rabbitmq", "api", "dashboard"):
        assert "profiles" not in raw[name], name
    assert services["migrate"]["command"] == ["migrate"]
    expected_ports = {
        "api": {"127.0.0.1:3000:3000"},
        "dashboard": {"127.0.0.1:3001:4173"},
        "postgres": {"127.0.0.1:5432:5432"},
        "redis": {"127.0.0.1:6379:6379"},
        "rabbitmq": {"127.0.0.1:5672:5672", "127.0.0.1:15672:15672"},
        "grafana": {"127.0.0.1:3002:3000"},
        "loki": {"127.0.0.1:3100:3100"},
        "alloy": {"127.0.0.1:12345:12345"},
    }
    for name, service in services.items():
        ports = published_ports(service)
        assert ports == expected_ports.get(name, set()), (name, ports)
        assert service.get("logging") == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "5"}}, name
        if name not in ("migrate", "seed-admin"):
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
            assert service.get("restart") == "unless-stopped", name
    assert services["api"]["healthcheck"]["test"] == ["CMD", "metachat", "healthcheck"]
    assert services["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["dashboard"]["depends_on"] == {"api": {"condition": "service_healthy"}}
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["alloy"]["depends_on"] == {"loki": {"condition": "service_healthy"}}
    assert services["grafana"]["depends_on"] == {"loki": {"condition": "service_healthy"}}
    assert services["api"]["environment"]["DATABASE_URL"] == "postgresql://metachat:pg-app@postgres:5432/metachat"
    assert services["api"]["environment"]["TRUSTED_PROXIES"].startswith("172.28.0.1/32,")


def test_ha_compose_override_validates_and_follows_the_same_rules():
    """ops/docker-compose.ha.yml over docker/docker-compose.yml passes `docker-compose config`
    (with the ops profile) and keeps the main file's rules: every port on 127.0.0.1, log
    rotation on every service, a health check and `restart: unless-stopped` on every long-running
    one, start order gated on health (primary → standby → PgPool → api, migrate, seed-admin); the
    api and the one-shots reach PostgreSQL through PgPool only; the files the services run (ops/ha
    mounted at /opt/metachat-ha, the pgpool image) exist and name each other correctly."""
    result = compose_config("--profile", "ops", env=HA_SECRETS, ha=True)
    assert result.returncode == 0, result.stderr
    # The monitoring profile's services are the main file's, checked by its own test.
    services = {
        name: service
        for name, service in yaml.safe_load(result.stdout)["services"].items()
        if "monitoring" not in service.get("profiles", [])
    }
    added = {"pg-standby", "pgpool", "postgres-exporter", "postgres-exporter-standby"}
    assert set(services) == {"postgres", "redis", "rabbitmq", "api", "dashboard", "migrate", "seed-admin"} | added
    expected_ports = {
        "api": {"127.0.0.1:3000:3000"}, "dashboard": {"127.0.0.1:3001:4173"}, "postgres": {"127.0.0.1:5432:5432"},
        "redis": {"127.0.0.1:6379:6379"}, "rabbitmq": {"127.0.0.1:5672:5672", "127.0.0.1:15672:15672"},
        "pgpool": {"127.0.0.1:5433:5432"}, "pg-standby": {"127.0.0.1:5434:5432"},
        "postgres-exporter": {"127.0.0.1:9187:9187"}, "postgres-exporter-standby": {"127.0.0.1:9188:9187"},
    }  # fmt: skip
    healthy = {"condition": "service_healthy"}
    for name, service in services.items():
        assert published_ports(service) == expected_ports.get(name, set()), (name, published_ports(service))
        assert service.get("logging") == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "5"}}, name
        if name not in ("migrate", "seed-admin"):
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
            assert service.get("restart") == "unless-stopped", name
        if name in added:
            assert set(service["networks"]) == {"meta-chat-network"}, name
    assert services["pg-standby"]["depends_on"] == {"postgres": healthy}
    assert services["pgpool"]["depends_on"] == {"postgres": healthy, "pg-standby": healthy}
    assert services["postgres-exporter"]["depends_on"] == {"postgres": healthy}
    assert services["postgres-exporter-standby"]["depends_on"] == {"pg-standby": healthy}
    assert services["api"]["depends_on"] == {"postgres": healthy, "redis": healthy, "pgpool": healthy}
    assert services["migrate"]["depends_on"] == {"postgres": healthy, "pgpool": healthy}
    assert services["seed-admin"]["depends_on"] == {"postgres": healthy, "redis": healthy, "pgpool": healthy}
    for name in ("api", "migrate", "seed-admin"):
        assert services[name]["environment"]["DATABASE_URL"] == "postgresql://metachat:pg-app@pgpool:5432/metachat", name
    pgpool = services["pgpool"]["environment"]
    assert pgpool["PGPOOL_BACKENDS"] == "postgres:5432,pg-standby:5432"
    assert pgpool["PGPOOL_USERS"] == "metachat:pg-app postgres:pg-super"
    assert services["postgres"]["environment"]["REPLICATION_PASSWORD"] == "repl-secret"
    assert services["postgres"]["environment"]["REPLICATION_CIDR"] == "172.28.0.0/16"
    for name, host in (("postgres-exporter", "postgres"), ("postgres-exporter-standby", "pg-standby")):
        source = services[name]["environment"]["DATA_SOURCE_NAME"]
        assert source == f"postgresql://replicator:repl-secret@{host}:5432/postgres?sslmode=disable", source

    # What the containers run is in the repository, where the mounts and the image put it.
    ha_dir = REPO_ROOT / "ops" / "ha"
    for name in ("postgres", "pg-standby", "postgres-exporter", "postgres-exporter-standby"):
        assert f"{ha_dir}:/opt/metachat-ha:ro" in services[name]["volumes"], name
    assert services["pg-standby"]["entrypoint"] == ["/opt/metachat-ha/standby-entrypoint.sh"]
    for name in ("postgres-exporter", "postgres-exporter-standby"):
        assert services[name]["command"] == ["--extend.query-path=/opt/metachat-ha/postgres-exporter-queries.yml"]
    assert (ha_dir / "postgres-exporter-queries.yml").is_file() and os.access(ha_dir / "standby-entrypoint.sh", os.X_OK)
    init = (REPO_ROOT / "docker" / "postgres-init" / "20-replication.sh")
    assert os.access(init, os.X_OK) and "exec /opt/metachat-ha/init-primary.sh" in init.read_text()
    pgpool_image = (REPO_ROOT / "docker" / "pgpool.Dockerfile").read_text()
    assert services["pgpool"]["build"]["dockerfile"] == "docker/pgpool.Dockerfile"
    assert "COPY ops/ha/ /opt/metachat-ha/" in pgpool_image and 'ENTRYPOINT ["/opt/metachat-ha/start-pgpool.sh"]' in pgpool_image
    assert {"pgpool2", "postgresql-client"} <= apt_packages(pgpool_image)
    # The api's environment is still exactly what the binary reads.
    assert set(services["api"]["environment"]) == binary_variables()


def test_ha_compose_refuses_to_start_without_its_secrets():
    """Without REPLICATION_PASSWORD or PGPOOL_PCP_PASSWORD, `config` fails naming it."""
    for missing in ("REPLICATION_PASSWORD", "PGPOOL_PCP_PASSWORD"):
        env = {k: v for k, v in HA_SECRETS.items() if k != missing}
        result = compose_config(env=env, ha=True)
        assert result.returncode != 0
        assert f"set {missing} in .env" in result.stderr, result.stderr


def test_compose_refuses_to_start_without_the_secrets():
    """With .env.example's empty secrets, `config` fails naming one of them."""
    result = compose_config()
    assert result.returncode != 0
    assert re.search(
        r"set (DB_PASSWORD|METACHAT_DB_PASSWORD|API_KEY_PEPPER|RABBITMQ_PASS|GRAFANA_ADMIN_PASSWORD) in \.env", result.stderr
    ), result.stderr


def test_every_variable_list_names_the_same_variables_with_the_same_defaults():
    """The variables the Swift code reads = AppConfiguration's doc table = the README's table =
    .env.example's `metachat` section = the api service's environment; the compose file's own
    variables are .env.example's `compose` section; defaults agree where the container does not
    deliberately differ."""
    code = binary_variables()
    documented = table_rows(CONFIGURATION.read_text(), "///")
    readme = table_rows(README.read_text(), "")
    sections = env_example()
    result = compose_config(env=SECRETS)
    assert result.returncode == 0, result.stderr
    api_environment = yaml.safe_load(result.stdout)["services"]["api"]["environment"]
    assert len(code) >= 19, sorted(code)
    assert set(documented) == code, ("doc table vs code", sorted(set(documented) ^ code))
    assert set(readme) == code, ("README vs code", sorted(set(readme) ^ code))
    assert set(sections["metachat"]) == code, (".env.example vs code", sorted(set(sections["metachat"]) ^ code))
    assert set(api_environment) == code, ("compose api vs code", sorted(set(api_environment) ^ code))
    interpolated = compose_interpolated()
    assert set(interpolated) - code == set(sections["compose"]), sorted(set(interpolated) - code ^ set(sections["compose"]))
    for name in sorted(code):
        default = documented[name]
        literal = default if re.fullmatch(r"[0-9a-z:/.,*_-]+|[0-9.]+", default) else ""
        example = sections["metachat"][name]
        assert example in ("", literal), f".env.example {name}={example!r}, the binary's default is {default!r}"
        if name not in CONTAINER_SPECIFIC:
            assert str(api_environment[name]) == example, f"compose {name}={api_environment[name]!r}, .env.example {example!r}"


def needed_libraries(binary: Path) -> list[str]:
    """The binary's direct ELF dependencies (DT_NEEDED)."""
    readelf = shutil.which("readelf")
    assert readelf, "readelf is not installed (scripts/setup.sh installs binutils)"
    output = subprocess.run([readelf, "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output)


def dockerfile_stage(name: str) -> str:
    text = DOCKERFILE.read_text()
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    for stage in stages:
        if stage.split("\n", 1)[0].strip().endswith(f" AS {name}"):
            return stage
    raise AssertionError(f"no stage {name} in {DOCKERFILE}")


def apt_packages(stage: str) -> set[str]:
    block = re.search(r"apt-get install -y --no-install-recommends(.*?)(?:&&|$)", stage, re.DOTALL)
    assert block, stage
    return set(block.group(1).replace("\\", " ").split())


def test_the_runtime_image_has_every_shared_library_the_binary_links():
    """Each library `metachat` links directly comes from a Debian package the runtime stage
    installs (or libc6, which every Debian image has); Swift's own runtime libraries are linked
    statically by the build stage (--static-swift-stdlib)."""
    runtime = apt_packages(dockerfile_stage("runtime"))
    build_stage = dockerfile_stage("build")
    assert "--static-swift-stdlib" in build_stage and "--product metachat" in build_stage
    ldconfig = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    packages = {}
    for library in needed_libraries(metachat_binary()):
        if library.startswith(("libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime")):
            continue
        match = re.search(rf"^\s+{re.escape(library)} \(libc6,x86-64[^)]*\) => (\S+)$", ldconfig, re.MULTILINE)
        assert match, f"{library} not found by ldconfig"
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(match.group(1))], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", match.group(1)], capture_output=True, text=True)
        assert owner.returncode == 0, f"no Debian package owns {library}"
        packages[library] = owner.stdout.split(":")[0]
    missing = {lib: pkg for lib, pkg in packages.items() if pkg not in runtime | {"libc6"}}
    assert missing == {}, f"the runtime stage lacks {missing}"
    assert {"libpq5", "libnghttp2-14", "libhiredis0.14", "libjemalloc2"} <= set(packages.values())


def test_the_image_runs_as_a_user_with_metachat_healthcheck():
    runtime = dockerfile_stage("runtime")
    assert re.search(r"^USER metachat:metachat$", runtime, re.MULTILINE)
    assert 'HEALTHCHECK' in runtime and 'CMD ["metachat", "healthcheck"]' in runtime
    assert "COPY --from=build /out/metachat /usr/local/bin/metachat" in runtime
    build_packages = apt_packages(dockerfile_stage("build"))
    assert {"libnghttp2-dev", "libpq-dev", "libhiredis-dev", "libjemalloc-dev", "libssl-dev", "zlib1g-dev"} <= build_packages


def test_the_dashboard_placeholder_answers_health(tmp_path):
    """docker/dashboard/nginx.conf, run by real nginx on a free port, serves /health as JSON
    and the placeholder page for any other path."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    assert nginx
    port = free_port()
    html = tmp_path / "html"
    html.mkdir()
    shutil.copy(REPO_ROOT / "docker" / "dashboard" / "index.html", html / "index.html")
    site = (REPO_ROOT / "docker" / "dashboard" / "nginx.conf").read_text()
    site = site.replace("listen 4173;", f"listen 127.0.0.1:{port};").replace("/usr/share/nginx/html", str(html))
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"{k}_temp_path {tmp_path / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {tmp_path / 'nginx.pid'};\nevents {{}}\n"
        f"http {{\naccess_log off;\n{temp}\n{site}\n}}\n"
    )
    command = [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")]
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        health = None
        for _ in range(200):  # bounded: 200 attempts, each waiting up to 50 ms on the process
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                    health = (response.status, response.headers["content-type"], response.read())
                break
            except OSError:
                try:
                    process.wait(timeout=0.05)
                    pytest.fail(f"nginx exited: {process.stderr.read()}")
                except subprocess.TimeoutExpired:
                    pass
        assert health == (200, "application/json", b'{"status":"ok","service":"dashboard-placeholder"}'), health
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/tenants/42", timeout=5) as response:
            assert b"MetaChat dashboard" in response.read()
    finally:
        process.terminate()
        process.wait(timeout=10)


# MARK: bootstrap-stack.sh and run-migrations.sh with a recording compose


def recording_compose(tmp_path: Path, fail_on: str | None = None) -> tuple[str, Path]:
    """A stand-in for `docker compose` that appends its arguments (and SEED_ADMIN_EMAIL) to a
    log, failing when they contain `fail_on`."""
    log = tmp_path / "compose.log"
    script = tmp_path / "compose"
    check = f'if [[ "$*" == *"{fail_on}"* ]]; then echo "compose: {fail_on} failed" >&2; exit 3; fi' if fail_on else ""
    script.write_text(
        "#!/usr/bin/env bash\nset -euo pipefail\n"
        f'printf "%s | email=%s\\n" "$*" "${{SEED_ADMIN_EMAIL:-}}" >> {log}\n{check}\n'
    )
    script.chmod(0o755)
    return str(script), log


def env_file(tmp_path: Path, mode: int = 0o600, **overrides: str) -> Path:
    path = tmp_path / ".env"
    values = {**SECRETS, **overrides}
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(mode)
    return path


def run_ops(script: str, *arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPO_ROOT / "ops" / script), *arguments], capture_output=True, text=True, timeout=TIMEOUT_S,
        env={**os.environ, **env}, cwd=REPO_ROOT,
    )  # fmt: skip


def test_bootstrap_runs_every_step_in_order(tmp_path):
    compose, log = recording_compose(tmp_path)
    data = tmp_path / "deploy"
    env = {"COMPOSE": compose, "ENV_FILE": str(env_file(tmp_path)), "OPS_DATA_ROOT": str(data)}
    result = run_ops("bootstrap-stack.sh", "--seed-admin-email", "ops@example.com", env=env)
    assert result.returncode == 0, result.stderr
    for name in ("postgres-data", "redis-data", "rabbitmq-data", "storage"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o750, name
    if os.geteuid() == 0:
        assert ((data / "storage").stat().st_uid, (data / "storage").stat().st_gid) == (10001, 10001)
    base = f"--env-file {env['ENV_FILE']} -f {COMPOSE}"
    assert log.read_text().splitlines() == [
        f"{base} build api dashboard | email=",
        f"{base} up -d --wait postgres redis rabbitmq | email=",
        f"{base} --profile ops run --rm migrate | email=",
        f"{base} --profile ops run --rm seed-admin | email=ops@example.com",
        f"{base} up -d --wait api dashboard | email=",
    ]


def test_bootstrap_starts_monitoring_last_when_asked(tmp_path):
    """With --monitoring, Loki, Alloy and Grafana (profile `monitoring`) start after the API and
    the dashboard are healthy; without it they are never started (the test above)."""
    compose, log = recording_compose(tmp_path)
    env = {"COMPOSE": compose, "ENV_FILE": str(env_file(tmp_path)), "OPS_DATA_ROOT": str(tmp_path / "deploy")}
    result = run_ops("bootstrap-stack.sh", "--no-build", "--monitoring", env=env)
    assert result.returncode == 0, result.stderr
    assert "Grafana on 127.0.0.1:3002" in result.stderr
    assert [line.split(" | ")[0].split(str(COMPOSE) + " ")[1] for line in log.read_text().splitlines()] == [
        "up -d --wait postgres redis rabbitmq",
        "--profile ops run --rm migrate",
        "up -d --wait api dashboard",
        "--profile monitoring up -d --wait loki alloy grafana",
    ]


def test_bootstrap_stops_at_the_first_failing_step(tmp_path):
    compose, log = recording_compose(tmp_path, fail_on="migrate")
    env = {"COMPOSE": compose, "ENV_FILE": str(env_file(tmp_path)), "OPS_DATA_ROOT": str(tmp_path / "deploy")}
    result = run_ops("bootstrap-stack.sh", "--no-build", env=env)
    assert result.returncode == 1
    assert "ERROR: failed: " in result.stderr and "run --rm migrate" in result.stderr
    assert [line.split(" | ")[0].split(str(COMPOSE) + " ")[1] for line in log.read_text().splitlines()] == [
        "up -d --wait postgres redis rabbitmq",
        "--profile ops run --rm migrate",
    ]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist: cp .env.example .env"),
        ("readable", "is readable by others: chmod 600"),
        ("no-secrets", "set DB_PASSWORD API_KEY_PEPPER"),
        ("short-pepper", "API_KEY_PEPPER in"),
    ],
)
def test_bootstrap_refuses_a_bad_env_file_before_touching_anything(tmp_path, setup, message):
    compose, log = recording_compose(tmp_path)
    if setup == "missing":
        path = tmp_path / "absent.env"
    elif setup == "readable":
        path = env_file(tmp_path, mode=0o644)
    elif setup == "no-secrets":
        path = env_file(tmp_path, DB_PASSWORD="", API_KEY_PEPPER="")
    else:
        path = env_file(tmp_path, API_KEY_PEPPER="short")
    result = run_ops("bootstrap-stack.sh", env={"COMPOSE": compose, "ENV_FILE": str(path), "OPS_DATA_ROOT": str(tmp_path / "deploy")})
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert not log.exists() and not (tmp_path / "deploy").exists()


def test_run_migrations_through_compose_and_locally(tmp_path, make_database):
    """Without arguments it runs the one-shot `migrate` service; with --local it runs
    `metachat migrate` against DATABASE_URL: a fresh database ends with every migration
    applied, and a second run changes nothing."""
    compose, log = recording_compose(tmp_path)
    result = run_ops("run-migrations.sh", env={"COMPOSE": compose, "ENV_FILE": str(env_file(tmp_path))})
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [f"--env-file {tmp_path / '.env'} -f {COMPOSE} --profile ops run --rm migrate | email="]

    database = make_database(False)
    env = {"DATABASE_URL": database.url, "METACHAT_BINARY": str(metachat_binary())}
    for _ in range(2):
        local = run_ops("run-migrations.sh", "--local", env=env)
        assert local.returncode == 0, local.stderr
        applied = psql(database.superuser_url, "SELECT count(*) FROM schema_migrations")
        assert int(applied) == len(list((REPO_ROOT / "migrations").glob("*.sql")))
    missing = run_ops("run-migrations.sh", "--local", env={"DATABASE_URL": ""})
    assert missing.returncode == 1 and "DATABASE_URL is not set" in missing.stderr


def test_shell_scripts_pass_shellcheck():
    """Every shell script under ops/ and docker/ parses and passes shellcheck (Debian's)."""
    checker = shutil.which("shellcheck")
    assert checker, "shellcheck is not installed (scripts/setup.sh installs it)"
    scripts = sorted(str(p) for root in ("ops", "docker") for p in (REPO_ROOT / root).rglob("*.sh"))
    assert len(scripts) >= 9, scripts
    result = subprocess.run([checker, "-x", *scripts], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_postgres_init_script_makes_an_application_role_that_row_level_security_binds(tmp_path):
    """docker/postgres-init/10-metachat.sh, run as the postgres image runs it (psql as the
    superuser POSTGRES_USER on a fresh cluster's socket), creates the role `metachat` that logs
    in with METACHAT_DB_PASSWORD over TCP and is neither superuser nor BYPASSRLS, the database
    it owns, and pgvector in it. The cluster is a throwaway one made here with initdb."""
    bin_dir = Path(os.environ.get("METACHAT_PG_BIN") or "")
    assert (bin_dir / "initdb").is_file(), "METACHAT_PG_BIN is not set: run this through `scripts/test.sh ops`"
    as_service = ["runuser", "-u", "metachat-pg", "--"] if os.geteuid() == 0 else []
    # Under the repository's .data, which services.sh has made traversable for its service user.
    data = Path(tempfile.mkdtemp(prefix="ops-init-", dir=REPO_ROOT / ".data"))
    try:
        pgdata, sock = data / "pg", data / "sock"
        sock.mkdir(mode=0o755)
        if as_service:
            shutil.chown(data, "metachat-pg")
            shutil.chown(sock, "metachat-pg")
        data.chmod(0o755)
        subprocess.run(
            [*as_service, str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", "--no-locale", "--encoding=UTF8"],
            check=True, capture_output=True, timeout=TIMEOUT_S, cwd="/",
        )  # fmt: skip
        port = free_port()
        options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*as_service, str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-o", options, "-l", str(data / "log"), "-w", "start"],
            check=True, capture_output=True, timeout=TIMEOUT_S, cwd="/",
        )  # fmt: skip
        try:
            env = {
                **os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PGHOST": str(sock), "PGPORT": str(port),
                "POSTGRES_USER": "postgres", "METACHAT_DB_PASSWORD": "app-secret-1",
            }  # fmt: skip
            script = REPO_ROOT / "docker" / "postgres-init" / "10-metachat.sh"
            ran = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
            assert ran.returncode == 0, ran.stderr
            superuser = f"postgresql:///metachat?host={sock}&port={port}&user=postgres"
            assert psql(superuser, "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'metachat'") == "f|f|t"
            assert psql(superuser, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'metachat'") == "metachat"
            assert psql(superuser, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == "1"
            app = f"postgresql://metachat:app-secret-1@127.0.0.1:{port}/metachat"
            assert psql(app, "SELECT current_user || ' ' || ('[1,2]'::vector <-> '[1,3]'::vector)") == "metachat 1"
            refused = subprocess.run(
                ["psql", "-X", f"postgresql://metachat:wrong@127.0.0.1:{port}/metachat", "-c", "SELECT 1"],
                capture_output=True, text=True, timeout=30, env=env,
            )  # fmt: skip
            assert refused.returncode != 0 and "password authentication failed" in refused.stderr
            missing = subprocess.run(
                ["bash", str(script)], env={k: v for k, v in env.items() if k != "METACHAT_DB_PASSWORD"},
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            assert missing.returncode != 0 and "set METACHAT_DB_PASSWORD" in missing.stderr
        finally:
            subprocess.run(
                [*as_service, str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                capture_output=True, timeout=TIMEOUT_S, cwd="/",
            )  # fmt: skip
    finally:
        shutil.rmtree(data, ignore_errors=True)
