"""ops/monitoring: the Prometheus config and alert rules checked by Debian's promtool (config,
rules, a unit test for every alert), the Alertmanager config rendered from the environment and
checked by amtool (config, routes, templates), and every metric a rule names held against what a
live `metachat serve` publishes.

Metric names in rules are classified in exactly one place, below: published by `metachat
serve` (must be in a live scrape: every name metachat-api.yml and platform.yml use), Prometheus'
own (`up`), or from exporters beside it (EXTERNAL)."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from ops_support import REPO_ROOT, published_metric_names, scrape_metrics
from metachat_process import require_services, running_metachat

MONITORING = REPO_ROOT / "ops" / "monitoring"
RULE_FILES = sorted((MONITORING / "rules").glob("*.yml"))
TEST_FILES = sorted((MONITORING / "tests").glob("*.test.yml"))
TIMEOUT_S = 120

PROMETHEUS_OWN = {"up"}
EXTERNAL = {
    # prometheus-postgres-exporter with ops/ha/postgres-exporter-queries.yml (Tests/Ops/test_ha.py
    # scrapes them from the real exporter)
    "pg_replication_lag",
    "pg_replication_is_replica",
    "pg_replication_streaming",
    # prometheus-node-exporter
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    # prometheus-blackbox-exporter
    "probe_success",
}
ALERT_ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/testtoken",
    "PAGERDUTY_ROUTING_KEY": "0123456789abcdef0123456789abcdef",
    "ALERT_EMAIL_TO": "oncall@example.com",
    "ALERT_EMAIL_FROM": "alerts@example.com",
    "SMTP_SMARTHOST": "smtp.example.com:587",
    "SMTP_USERNAME": "alerts@example.com",
    "SMTP_PASSWORD": "smtp-secret",
}


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is not installed (scripts/setup.sh installs prometheus and prometheus-alertmanager)"
    return found


def run(*command: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=TIMEOUT_S, cwd=cwd, env=env)


def alert_rules() -> dict[str, tuple[Path, str]]:
    """Every alert: name -> (rule file, expression)."""
    alerts = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                assert "alert" in rule, f"{path}: recording rules are not expected here: {rule}"
                assert rule["alert"] not in alerts, f"alert {rule['alert']} defined twice"
                alerts[rule["alert"]] = (path, rule["expr"])
    return alerts


def metric_names(expression: str) -> set[str]:
    """The metric names of an expression's selectors; every selector carries a label matcher
    in braces (a job label), which this relies on and checks."""
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expression))
    assert names, f"no selector with braces in {expression!r}"
    return names


def test_prometheus_config_passes_promtool(tmp_path):
    """`promtool check config` accepts prometheus.yml with its rules (the token file and rule
    paths as the install steps in its header put them, here in a temp dir)."""
    shutil.copytree(MONITORING, tmp_path / "monitoring")
    config = tmp_path / "monitoring" / "prometheus.yml"
    token = tmp_path / "metachat-metrics-token"
    token.write_text("x" * 32)
    config.write_text(config.read_text().replace("/etc/prometheus/metachat-metrics-token", str(token)))
    result = run(tool("promtool"), "check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    for path in RULE_FILES:
        assert f"SUCCESS: {len(yaml.safe_load(path.read_text())['groups'][0]['rules'])} rules found" in result.stdout


def test_every_alert_has_a_passing_unit_test():
    """Each alert in rules/ is the subject of at least one promtool test case, and
    `promtool test rules` passes them all."""
    tested = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text())["tests"]:
            tested |= {check["alertname"] for check in case.get("alert_rule_test", [])}
    alerts = set(alert_rules())
    assert alerts - tested == set(), f"alerts without a unit test: {sorted(alerts - tested)}"
    assert tested - alerts == set(), f"tests for alerts that do not exist: {sorted(tested - alerts)}"
    result = run(tool("promtool"), "test", "rules", *[str(p.relative_to(MONITORING)) for p in TEST_FILES], cwd=MONITORING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES), result.stdout


def test_the_guide_alerts_are_all_there():
    """API down, error rate, p99 latency, pool exhaustion, outbox age, webhook failure rate,
    PostgreSQL replication lag and disk, each an alert."""
    alerts = alert_rules()
    for name in (
        "MetaChatAPIDown", "MetaChatHighErrorRate", "MetaChatHighLatencyP99", "MetaChatPostgresPoolExhausted",
        "MetaChatOutboxStalled", "MetaChatWebhookFailureRate", "PostgresReplicationLag", "DiskSpaceLow",
    ):  # fmt: skip
        assert name in alerts, name


def render_alertmanager(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(
        str(MONITORING / "render-alertmanager.sh"), str(tmp_path / "alertmanager.yml"), env={"PATH": os.environ["PATH"], **env}
    )


def test_alertmanager_config_renders_and_passes_amtool(tmp_path):
    """Rendered from the environment, the config passes `amtool check-config` with the
    templates; critical alerts go to PagerDuty and Slack, warnings to Slack and email, anything
    else to Slack; the secrets land in the rendered file."""
    rendered = render_alertmanager(tmp_path, ALERT_ENV)
    assert rendered.returncode == 0, rendered.stderr
    config = tmp_path / "alertmanager.yml"
    text = config.read_text()
    for value in ALERT_ENV.values():
        assert value in text
    assert "${" not in "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert oct(config.stat().st_mode & 0o777) == "0o640"
    config.write_text(text.replace("/etc/prometheus/alertmanager_templates", str(MONITORING / "templates")))
    checked = run(tool("amtool"), "check-config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 receivers" in checked.stdout and "1 templates" in checked.stdout
    for labels, receivers in [
        (["severity=critical", "alertname=MetaChatAPIDown"], "pagerduty,slack"),
        (["severity=warning", "alertname=DiskSpaceLow"], "slack,email"),
        (["severity=info"], "slack"),
    ]:
        routed = run(tool("amtool"), "config", "routes", "test", f"--config.file={config}", *labels)
        assert routed.returncode == 0, routed.stderr
        assert routed.stdout.strip() == receivers, (labels, routed.stdout)


def test_alertmanager_render_names_every_missing_variable(tmp_path):
    missing = {k: v for k, v in ALERT_ENV.items() if k not in ("SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY")}
    rendered = render_alertmanager(tmp_path, missing)
    assert rendered.returncode == 1
    assert "set PAGERDUTY_ROUTING_KEY SLACK_WEBHOOK_URL" in rendered.stderr
    assert not (tmp_path / "alertmanager.yml").exists()


def test_notification_templates_render():
    """Every template the receivers use renders with amtool's example alerts."""
    names = re.findall(r'template "([a-z.]+)"', (MONITORING / "alertmanager.yml").read_text())
    assert len(set(names)) == 5, names
    for name in set(names):
        result = run(
            tool("amtool"), "template", "render", f"--template.glob={MONITORING / 'templates' / '*.tmpl'}",
            f'--template.text={{{{ template "{name}" . }}}}',
        )  # fmt: skip
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.strip(), name
    slack = run(
        tool("amtool"), "template", "render", f"--template.glob={MONITORING / 'templates' / '*.tmpl'}",
        '--template.text={{ template "metachat.slack.text" . }}',
    )  # fmt: skip
    assert "• instance: `foo.bar:1234`" in slack.stdout, slack.stdout


def test_every_metric_a_rule_names_is_published_or_listed(tmp_path, metachat_api):
    """A live `metachat serve` (scraped with METRICS_TOKEN after a few calls) publishes every
    metric the rules in metachat-api.yml and platform.yml name; the others are Prometheus' own or
    EXTERNAL exporters' (never published by the server)."""
    require_services()
    import grpc

    token = uuid.uuid4().hex
    with running_metachat(tmp_path, METRICS_TOKEN=token) as server:
        channel = grpc.insecure_channel(server.address)
        try:
            stub = metachat_api.tenants_pb2_grpc.TenantServiceStub(channel)
            with pytest.raises(grpc.RpcError):
                stub.ListTenants(metachat_api.tenants_pb2.ListTenantsRequest(), timeout=10)
        finally:
            channel.close()
        rest = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            rest.request("GET", "/api/tenants")
            assert rest.getresponse().status == 401
        finally:
            rest.close()
        text = scrape_metrics(server.port, token)
    published = published_metric_names(text)
    assert "rpc_server_calls_total" in published, text[:2000]
    by_file: dict[str, set[str]] = {}
    for _, (path, expression) in alert_rules().items():
        by_file.setdefault(path.name, set()).update(metric_names(expression))
    named = set().union(*by_file.values())
    unclassified = named - published - PROMETHEUS_OWN - EXTERNAL
    assert unclassified == set(), f"rules name metrics that no server publishes and no list explains: {sorted(unclassified)}"
    for name in ("metachat-api.yml", "platform.yml"):
        assert by_file[name] - PROMETHEUS_OWN <= published, (name, sorted(by_file[name] - published))
    assert EXTERNAL & published == set()
    assert by_file["infrastructure.yml"] <= EXTERNAL
    # Both faces land in the same series, told apart by their face label.
    assert re.search(r'^rpc_server_calls_total\{[^}]*face="grpc"', text, re.MULTILINE), text[:2000]
    assert re.search(r'^rpc_server_calls_total\{[^}]*face="rest"', text, re.MULTILINE), text[:2000]
    # The backlog was read from PostgreSQL at this scrape.
    assert re.search(r"^metachat_backlog_read_success 1(\.0)?$", text, re.MULTILINE), text
    # The pool gauges carry the pool's real size.
    assert re.search(r"^metachat_postgres_pool_connections_max [1-9][0-9]*$", text, re.MULTILINE), text


def test_prometheus_scrapes_a_live_server_with_the_shipped_config(tmp_path):
    """The real `prometheus` with prometheus.yml as shipped (only the API's address, the token
    file, the scrape interval and the paths changed for the test) scrapes a live `metachat serve`
    with its bearer token: the target is up, the server's metrics arrive, and every rule group
    loads and evaluates without error."""
    require_services()
    import json
    import time
    import urllib.request

    from ops_support import free_port

    token = uuid.uuid4().hex
    shutil.copytree(MONITORING, tmp_path / "monitoring")
    token_file = tmp_path / "token"
    token_file.write_text(token)
    with running_metachat(tmp_path / "serve", METRICS_TOKEN=token) as server:
        config = yaml.safe_load((tmp_path / "monitoring" / "prometheus.yml").read_text())
        config["global"]["scrape_interval"] = "1s"
        config["global"]["evaluation_interval"] = "1s"
        config["rule_files"] = [str(tmp_path / "monitoring" / "rules" / "*.yml")]
        [api_job] = [job for job in config["scrape_configs"] if job["job_name"] == "metachat-api"]
        assert api_job["authorization"]["credentials_file"] == "/etc/prometheus/metachat-metrics-token"
        assert api_job["static_configs"] == [{"targets": ["127.0.0.1:3000"]}]
        api_job["authorization"]["credentials_file"] = str(token_file)
        api_job["static_configs"] = [{"targets": [server.address]}]
        config["scrape_configs"] = [api_job]
        config.pop("alerting")
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        process = subprocess.Popen(
            [
                tool("prometheus"), f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"),
        )  # fmt: skip

        def api(path: str) -> dict:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                return json.loads(response.read())

        try:
            deadline = time.monotonic() + 60
            up, calls, groups = None, None, None
            while time.monotonic() < deadline:
                assert process.poll() is None, (tmp_path / "prometheus.log").read_text()[-3000:]
                try:
                    up = api("/api/v1/query?query=up%7Bjob%3D%22metachat-api%22%7D")["data"]["result"]
                    calls = api("/api/v1/query?query=metachat_postgres_pool_connections_max")["data"]["result"]
                    groups = api("/api/v1/rules")["data"]["groups"]
                except OSError:
                    pass
                evaluated = groups and all(g.get("lastEvaluation", "").startswith("20") for g in groups)
                if up and up[0]["value"][1] == "1" and calls and evaluated:
                    break
                try:
                    process.wait(timeout=0.25)  # paces the polling; notices an early exit
                except subprocess.TimeoutExpired:
                    pass
            assert up and up[0]["value"][1] == "1", (up, (tmp_path / "prometheus.log").read_text()[-3000:])
            assert calls and int(calls[0]["value"][1]) >= 1, calls
            assert {g["name"] for g in groups} == {"metachat-api", "infrastructure", "platform"}
            for group in groups:
                for rule in group["rules"]:
                    assert rule["health"] == "ok", (group["name"], rule["name"], rule.get("lastError"))
        finally:
            process.terminate()
            process.wait(timeout=20)
