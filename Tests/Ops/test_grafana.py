"""Grafana, Loki and Alloy (the compose profile `monitoring`, docs/metrics.md "Dashboards and
logs"). Grafana, Loki and Alloy are not packaged by Debian 12 and no container engine runs here,
so none of them is started; what is checked instead:

- the dashboards: valid JSON, unique uids, panel ids and titles, every data source a provisioned
  uid of the right type; every PromQL expression accepted by the real `promtool` (written as
  recording rules and run through `promtool check rules`), each selector on the `metachat-api`
  job of prometheus.yml, and every metric it names published by a live `metachat serve` (or,
  for the two series that appear with their first event, registered and documented);
- the logs dashboard's LogQL: a stream selector on the labels Alloy attaches (never a request
  or tenant id), with the services compose runs (a structural check: no Loki parses it here);
- the Grafana provisioning files, loki.yml and Alloy's config.alloy: parsed, with the keys and
  blocks those programs need, consistent with the compose services that mount them (structural
  checks); Alloy's expression for the api's lines matches every line a live `metachat serve`
  writes, and its timestamp layout parses their timestamps.

The compose services themselves (health checks, 127.0.0.1 ports, restart, log rotation) are
checked with the rest of the file by test_packaging.py's `docker-compose config` test."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from ops_support import REPO_ROOT, psql, published_metric_names, scrape_metrics
from metachat_process import require_services, running_metachat, seed_admin

MONITORING = REPO_ROOT / "ops" / "monitoring"
GRAFANA = MONITORING / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
DATASOURCES = sorted((GRAFANA / "provisioning" / "datasources").glob("*.yml"))
DASHBOARD_PROVIDERS = sorted((GRAFANA / "provisioning" / "dashboards").glob("*.yml"))
LOKI_CONFIG = MONITORING / "loki" / "loki.yml"
ALLOY_CONFIG = MONITORING / "alloy" / "config.alloy"
COMPOSE = REPO_ROOT / "docker" / "docker-compose.yml"
METRICS_DOC = REPO_ROOT / "docs" / "metrics.md"
TIMEOUT_S = 120

PROMETHEUS_OWN = {"up"}
# Grafana's variables in the dashboards' PromQL and what stands in for them in promtool.
PROMQL_VARIABLES = {"$__rate_interval": "5m", "$instance": ".*"}
# What swift-log's levels are called in LOG_LEVEL and in the lines (README, .env.example).
LOG_LEVELS = {"trace", "debug", "info", "notice", "warning", "error", "critical"}
# Labels a stream may carry: few values each (docs/metrics.md, "Dashboards and logs").
STREAM_LABELS = {"service", "container", "level"}
HIGH_CARDINALITY = {"request_id", "request-id", "requestid", "tenant", "tenant_id", "tenantid", "key_id", "trace_id"}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"}


def compose_services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def compose_mounts(service: str) -> dict[str, tuple[Path | None, bool]]:
    """A compose service's volumes: container path -> (repository path or None for a named
    volume or host path outside the repository, read-only)."""
    mounts = {}
    for volume in compose_services()[service].get("volumes", []):
        parts = volume.split(":")
        source, target, read_only = parts[0], parts[1], len(parts) > 2 and parts[2] == "ro"
        path = (COMPOSE.parent / source).resolve() if source.startswith(".") else None
        mounts[target] = (path, read_only)
    return mounts


def dashboards() -> dict[Path, dict]:
    return {path: json.loads(path.read_text()) for path in DASHBOARDS}


def all_panels(dashboard: dict) -> list[dict]:
    """Every panel, those nested in collapsed rows included."""
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def targets(datasource_type: str) -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) of every query on a data source of this type."""
    found = []
    for path, dashboard in dashboards().items():
        for panel in all_panels(dashboard):
            for target in panel.get("targets", []):
                source = target.get("datasource") or panel.get("datasource")
                if source["type"] == datasource_type:
                    found.append((path.name, panel["title"], target["expr"]))
    return found


def provisioned_datasources() -> dict[str, dict]:
    """uid -> data source, from every provisioning file."""
    sources = {}
    for path in DATASOURCES:
        document = yaml.safe_load(path.read_text())
        assert document["apiVersion"] == 1, path
        for source in document["datasources"]:
            assert source["uid"] not in sources, f"data source uid {source['uid']} provisioned twice"
            sources[source["uid"]] = source
    return sources


def concrete_promql(expression: str) -> str:
    """The expression with Grafana's variables replaced by values Prometheus accepts."""
    for variable, value in PROMQL_VARIABLES.items():
        expression = expression.replace(variable, value)
    assert "$" not in expression, f"a Grafana variable the test does not know in {expression!r}"
    return expression


def promql_metric_names(expression: str) -> set[str]:
    """The metric names an expression selects: every identifier left once strings, label
    matchers, ranges, grouping clauses, numbers, function names and keywords are removed."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function or aggregation
        if match.group(0) in PROMQL_KEYWORDS:
            continue
        names.add(match.group(0))
    return names


def selectors(expression: str) -> list[tuple[str, str]]:
    """(metric name, label matchers) of every `name{…}` selector."""
    return re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", expression)


def series_base(name: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def unexplained_metrics(named: set[str], published: set[str]) -> set[str]:
    """Names neither in the scrape nor Prometheus' own."""
    return named - published - PROMETHEUS_OWN


def promtool_check(tmp_path: Path, expressions: list[str]) -> subprocess.CompletedProcess:
    """`promtool check rules` on a rules file holding each expression as a recording rule."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (scripts/setup.sh installs prometheus)"
    rules = {
        "groups": [
            {
                "name": "dashboard-queries",
                "rules": [{"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(expressions)],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=TIMEOUT_S)


# MARK: dashboards and provisioning


def test_dashboards_parse_with_unique_ids_titles_and_provisioned_datasources():
    """Every dashboard is JSON with a uid of its own; within it, panel ids and titles are
    unique, every panel and query names a provisioned data source by uid with the matching type,
    every query has an expression; both the overview and the logs dashboard are there."""
    sources = provisioned_datasources()
    assert {source["type"] for source in sources.values()} == {"prometheus", "loki"}
    loaded = dashboards()
    assert {d["uid"] for d in loaded.values()} == {"metachat-overview", "metachat-logs"}
    for path, dashboard in loaded.items():
        panels = all_panels(dashboard)
        ids = [panel["id"] for panel in panels]
        titles = [panel["title"] for panel in panels]
        assert len(ids) == len(set(ids)), (path.name, sorted(i for i in ids if ids.count(i) > 1))
        assert len(titles) == len(set(titles)), (path.name, sorted({t for t in titles if titles.count(t) > 1}))
        assert all(title.strip() for title in titles), path.name
        for panel in panels:
            if panel["type"] == "row":
                continue
            assert panel.get("targets"), (path.name, panel["title"], "no queries")
            for item in [panel, *panel["targets"]]:
                source = item.get("datasource")
                assert source, (path.name, panel["title"], "no data source")
                assert source["uid"] in sources, (path.name, panel["title"], source)
                assert sources[source["uid"]]["type"] == source["type"], (path.name, panel["title"], source)
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids)), (path.name, panel["title"])
            assert all(target["expr"].strip() for target in panel["targets"]), (path.name, panel["title"])
        for variable in dashboard["templating"]["list"]:
            if "datasource" in variable:
                assert variable["datasource"]["uid"] in sources, (path.name, variable["name"])


def test_the_overview_covers_what_the_server_measures():
    """The overview has a panel on each family docs/metrics.md lists (every metric of its
    table is used by some panel)."""
    documented = set(re.findall(r"^\| `([a-z_:]+)`(?:, `([a-z_:]+)`)?", METRICS_DOC.read_text(), re.MULTILINE))
    documented_names = {name for pair in documented for name in pair if name}
    assert len(documented_names) >= 25, documented_names
    used = set()
    for _, _, expression in targets("prometheus"):
        used |= {series_base(name) for name in promql_metric_names(concrete_promql(expression))}
    assert documented_names - used == set(), f"metrics no panel shows: {sorted(documented_names - used)}"


def test_every_promql_expression_passes_promtool(tmp_path):
    """Each panel's PromQL (Grafana's variables replaced) is accepted by `promtool check
    rules`, and every selector is on the scrape job prometheus.yml defines for the API."""
    queries = targets("prometheus")
    assert len(queries) >= 30, len(queries)
    jobs = {job["job_name"] for job in yaml.safe_load((MONITORING / "prometheus.yml").read_text())["scrape_configs"]}
    assert "metachat-api" in jobs
    expressions = []
    for name, title, expression in queries:
        concrete = concrete_promql(expression)
        expressions.append(concrete)
        named = promql_metric_names(concrete)
        assert named, (name, title, expression)
        selected = selectors(expression)
        assert {metric for metric, _ in selected} == named, (name, title, "a metric without a job matcher")
        for metric, matchers in selected:
            assert 'job="metachat-api"' in matchers, (name, title, metric)
    result = promtool_check(tmp_path, expressions)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(expressions)} rules found" in result.stdout, result.stdout


def test_promtool_and_the_name_check_catch_a_bad_panel(tmp_path):
    """The checks above fail on a broken expression and on a metric no server publishes (the
    names of a real scrape, here a fixed sample of one)."""
    broken = promtool_check(tmp_path, ['sum(rate(rpc_server_calls_total{job="metachat-api"}[5m])'])
    assert broken.returncode != 0 and "FAILED" in broken.stdout + broken.stderr
    published = {"rpc_server_calls_total", "rpc_server_call_duration_seconds_bucket"}
    expression = (
        'histogram_quantile(0.99, sum by (le) (rate(rpc_server_call_duration_seconds_bucket{job="metachat-api"}[5m])))'
        ' / sum(rate(metachat_no_such_metric_total{job="metachat-api"}[5m]))'
    )
    named = promql_metric_names(expression)
    assert named == {"rpc_server_call_duration_seconds_bucket", "metachat_no_such_metric_total"}, named
    assert unexplained_metrics(named, published) == {"metachat_no_such_metric_total"}


def test_provisioning_matches_the_compose_service():
    """The data sources point at the loki service and at PROMETHEUS_URL, which compose gives
    Grafana; the dashboard provider reads the directory compose mounts the dashboards at; every
    repository file the monitoring services mount exists; the home dashboard is one of them."""
    grafana = compose_services()["grafana"]
    mounts = compose_mounts("grafana")
    assert mounts["/etc/grafana/provisioning"] == (GRAFANA / "provisioning", True)
    sources = provisioned_datasources()
    loki_port = yaml.safe_load(LOKI_CONFIG.read_text())["server"]["http_listen_port"]
    assert sources["metachat-loki"]["url"] == f"http://loki:{loki_port}"
    assert sources["metachat-prometheus"]["url"] == "${PROMETHEUS_URL}"
    assert grafana["environment"]["PROMETHEUS_URL"] == "${PROMETHEUS_URL:-http://172.28.0.1:9090}"
    assert sum(1 for source in sources.values() if source.get("isDefault")) == 1
    for source in sources.values():
        assert source["access"] == "proxy", source["uid"]
    [provider] = [p for path in DASHBOARD_PROVIDERS for p in yaml.safe_load(path.read_text())["providers"]]
    assert provider["type"] == "file"
    assert mounts[provider["options"]["path"]] == (GRAFANA / "dashboards", True)
    home = Path(grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    assert home.parent == Path(provider["options"]["path"]) and (GRAFANA / "dashboards" / home.name).is_file()
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert grafana["environment"]["GF_UNIFIED_ALERTING_ENABLED"] == "true"
    for service in ("grafana", "loki", "alloy"):
        for target, (path, _) in compose_mounts(service).items():
            if path is not None:
                assert path.exists(), (service, target, path)


# MARK: Loki


def test_loki_config_is_a_single_binary_with_filesystem_storage_and_30_days_retention():
    """loki.yml parses and has what a single-process Loki on the filesystem with retention
    needs (Loki 3 refuses retention without a delete-request store); everything it writes is
    under the path compose gives a volume; it listens where the compose health check and port
    look (a structural check)."""
    config = yaml.safe_load(LOKI_CONFIG.read_text())
    assert config["auth_enabled"] is False
    common = config["common"]
    assert common["replication_factor"] == 1
    assert common["ring"]["kvstore"]["store"] == "inmemory"
    prefix = common["path_prefix"]
    filesystem = common["storage"]["filesystem"]
    schema = config["schema_config"]["configs"][-1]
    assert (schema["store"], schema["object_store"], schema["schema"], schema["index"]["period"]) == (
        "tsdb", "filesystem", "v13", "24h",
    )  # fmt: skip
    datetime.strptime(schema["from"], "%Y-%m-%d")
    limits = config["limits_config"]
    assert limits["retention_period"] == "720h"  # the guide's 30 days for API logs
    assert limits["max_query_lookback"] == limits["retention_period"]
    compactor = config["compactor"]
    assert compactor["retention_enabled"] is True
    assert compactor["delete_request_store"] == "filesystem"
    for path in (filesystem["chunks_directory"], filesystem["rules_directory"], compactor["working_directory"]):
        assert path.startswith(prefix + "/"), path
    loki = compose_services()["loki"]
    mounts = compose_mounts("loki")
    assert prefix in mounts and mounts[prefix][0] is None  # a named volume
    [config_flag] = [arg for arg in loki["command"] if arg.startswith("-config.file=")]
    assert mounts[config_flag.split("=", 1)[1]] == (LOKI_CONFIG, True)
    port = config["server"]["http_listen_port"]
    assert loki["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert loki["healthcheck"]["test"] == ["CMD", "/usr/bin/loki", "-health"]


# MARK: Alloy


@dataclass
class AlloyBlock:
    """A block of Alloy's configuration syntax: `name "label" { attributes and blocks }`."""

    name: str
    label: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    blocks: list["AlloyBlock"] = field(default_factory=list)

    def block(self, name: str) -> "AlloyBlock":
        [found] = [b for b in self.blocks if b.name == name]
        return found


_ALLOY_TOKEN = re.compile(
    r'(?P<space>[ \t\r]+)|(?P<newline>\n)|(?P<comment>//[^\n]*|/\*.*?\*/)'
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")|(?P<raw>`[^`]*`)|(?P<number>\d+(?:\.\d+)?)'
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|(?P<punct>[{}\[\](),=])",
    re.DOTALL,
)


def alloy_tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, line) of every token; fails on anything the syntax does not have."""
    tokens, position, line = [], 0, 1
    while position < len(text):
        match = _ALLOY_TOKEN.match(text, position)
        assert match, f"config.alloy line {line}: cannot read {text[position:position + 30]!r}"
        kind, value = match.lastgroup, match.group(0)
        if kind not in ("space", "newline", "comment"):
            tokens.append((kind, value, line))
        line += value.count("\n")
        position = match.end()
    return tokens


def parse_alloy(text: str) -> list[AlloyBlock]:
    """The top-level blocks. An attribute's value is kept as its source tokens joined by
    spaces; brackets must balance and a value ends at the line where they close."""
    tokens = alloy_tokens(text)
    position = 0

    def body(end: str | None) -> tuple[dict[str, str], list[AlloyBlock]]:
        nonlocal position
        attributes, blocks = {}, []
        while True:
            assert position < len(tokens) or end is None, "config.alloy: a block is not closed"
            if position == len(tokens):
                return attributes, blocks
            kind, value, line = tokens[position]
            if kind == "punct" and value == end:
                position += 1
                return attributes, blocks
            assert kind == "ident", f"config.alloy line {line}: expected a name, found {value!r}"
            following = tokens[position + 1]
            if following[1] == "=":
                position += 2
                start, depth = position, 0
                while True:
                    kind, token, _ = tokens[position]
                    if kind == "punct":
                        depth += token in "{[("
                        depth -= token in "}])"
                    assert depth >= 0, f"config.alloy line {line}: unbalanced value of {value}"
                    position += 1
                    ends_line = position == len(tokens) or tokens[position][2] != tokens[position - 1][2]
                    if depth == 0 and ends_line and token != ",":
                        break
                assert value not in attributes, f"config.alloy line {line}: {value} twice"
                attributes[value] = " ".join(token[1] for token in tokens[start:position])
            else:
                label = None
                position += 1
                if tokens[position][0] in ("string", "raw"):
                    label = tokens[position][1][1:-1]
                    position += 1
                assert tokens[position][1] == "{", f"config.alloy line {line}: expected {{ after {value}"
                position += 1
                inner_attributes, inner_blocks = body("}")
                blocks.append(AlloyBlock(value, label, inner_attributes, inner_blocks))

    attributes, blocks = body(None)
    assert attributes == {}, f"config.alloy: attributes outside a block: {attributes}"
    return blocks


def string_value(source: str) -> str:
    """An attribute's value that is one string literal (quoted or raw)."""
    if source.startswith("`"):
        return source[1:-1]
    assert source.startswith('"') and source.endswith('"'), source
    return json.loads(source)


def test_alloy_config_parses_and_its_pipeline_ends_in_the_loki_service():
    """config.alloy is well formed; every component reference names a declared component;
    discovery reads the Docker socket compose mounts and the compose network; the streams go
    docker → process → write, and the write endpoint is the loki service's push API; labels are
    only service, container and level (no request or tenant ids)."""
    blocks = parse_alloy(ALLOY_CONFIG.read_text())
    components = {(b.name, b.label): b for b in blocks}
    assert len(components) == len(blocks), "a component declared twice"
    assert all(label for _, label in components), "a component without a label"
    for block in blocks:
        for source in [*block.attributes.values(), *(v for inner in block.blocks for v in inner.attributes.values())]:
            for reference in re.findall(r"(?<![\"`\w.])((?:discovery|loki)\.[a-z_]+\.[a-z_]+)\.[a-z_]+", source):
                name, label = reference.rsplit(".", 1)
                assert (name, label) in components, f"{block.name} {block.label} refers to undeclared {reference}"
    docker = components[("discovery.docker", "compose")]
    source = components[("loki.source.docker", "compose")]
    relabel = components[("discovery.relabel", "compose")]
    process = components[("loki.process", "levels")]
    write = components[("loki.write", "local")]
    alloy_mounts = compose_mounts("alloy")
    for block in (docker, source):
        socket = string_value(block.attributes["host"]).removeprefix("unix://")
        assert socket in alloy_mounts and alloy_mounts[socket] == (None, True), socket
    network = yaml.safe_load(COMPOSE.read_text())["networks"]
    [network_name] = [n["name"] for n in network.values()]
    assert docker.block("filter").attributes == {"name": '"network"', "values": f'[ "{network_name}" ]'}
    assert source.attributes["targets"] == "discovery.docker.compose.targets"
    assert source.attributes["relabel_rules"] == "discovery.relabel.compose.rules"
    assert source.attributes["forward_to"] == "[ loki.process.levels.receiver ]"
    assert process.attributes["forward_to"] == "[ loki.write.local.receiver ]"
    loki_port = yaml.safe_load(LOKI_CONFIG.read_text())["server"]["http_listen_port"]
    assert string_value(write.block("endpoint").attributes["url"]) == f"http://loki:{loki_port}/loki/api/v1/push"
    labels = {string_value(rule.attributes["target_label"]) for rule in relabel.blocks if rule.name == "rule"}
    match = process.block("stage.match")
    labels |= set(re.findall(r"([a-z_]+) =", match.block("stage.labels").attributes["values"]))
    assert labels == STREAM_LABELS, labels
    assert not labels & HIGH_CARDINALITY
    assert string_value(match.attributes["selector"]) == '{service="api"}'
    assert "api" in compose_services()
    config_path = [arg for arg in compose_services()["alloy"]["command"] if arg.endswith(".alloy")]
    assert config_path and alloy_mounts[config_path[0]] == (ALLOY_CONFIG, True)


def go_layout_to_strptime(layout: str) -> str:
    """A Go time layout (the reference time 2006-01-02T15:04:05-0700) as a strptime format."""
    for go, python in (("2006", "%Y"), ("-0700", "%z"), ("01", "%m"), ("02", "%d"), ("15", "%H"), ("04", "%M"), ("05", "%S")):
        layout = layout.replace(go, python)
    assert not re.search(r"\d", layout.replace("%", "")), f"a Go layout element the test does not know: {layout}"
    return layout


def test_the_api_log_expression_matches_every_line_a_live_server_writes(tmp_path):
    """`metachat serve` at LOG_LEVEL=debug (start, a few calls, stop): every line it writes
    matches Alloy's expression for the api, the level captured is one of LOG_LEVEL's, and the
    timestamp parses with the stage's Go layout."""
    require_services()
    components = {(b.name, b.label): b for b in parse_alloy(ALLOY_CONFIG.read_text())}
    process = components[("loki.process", "levels")].block("stage.match")
    expression = string_value(process.block("stage.regex").attributes["expression"])
    pattern = re.compile(expression)
    stamp = process.block("stage.timestamp")
    assert string_value(stamp.attributes["source"]) in pattern.groupindex
    time_format = go_layout_to_strptime(string_value(stamp.attributes["format"]))
    with running_metachat(tmp_path, LOG_LEVEL="debug") as server:
        for path in ("/api/tenants", "/api/health", "/no/such/route"):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            try:
                connection.request("GET", path)
                connection.getresponse().read()
            finally:
                connection.close()
        log_path = server.log_path
    lines = [line for line in log_path.read_text().splitlines() if line]
    assert len(lines) >= 10, lines
    levels = set()
    for line in lines:
        match = pattern.match(line)
        assert match, f"a line Alloy would not parse: {line[:300]!r}"
        assert match.group("level") in LOG_LEVELS, line[:300]
        levels.add(match.group("level"))
        datetime.strptime(match.group(string_value(stamp.attributes["source"])), time_format)
    assert {"debug", "info"} <= levels, levels
    assert set(re.search(r"\(\?P<level>([^)]*)\)", expression).group(1).split("|")) == LOG_LEVELS


# MARK: the logs dashboard


def test_logql_selects_streams_by_the_labels_alloy_attaches():
    """Every Loki query starts with a stream selector on service, container or level only,
    with at least one matcher no empty value satisfies (Loki's rule); request ids are found by
    a line filter; the services offered are compose's."""
    queries = targets("loki")
    assert len(queries) >= 4, queries
    services = set(compose_services())
    for name, title, expression in queries:
        selector = re.search(r"\{([^}]*)\}", expression)
        assert selector, (name, title, expression)
        matchers = re.findall(r'([a-z_]+)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"', selector.group(1))
        assert matchers, (name, title, expression)
        assert {label for label, _, _ in matchers} <= STREAM_LABELS, (name, title, expression)
        assert any(op == "=" and value for _, op, value in matchers) or any(
            label == "service" and op == "=~" for label, op, _ in matchers
        ), (name, title, expression)
        assert not re.search(r"\{[^}]*(request|tenant)", expression), (name, title)
        assert expression.count('"') % 2 == 0 and expression.count("(") == expression.count(")"), (name, title)
        for value in re.findall(r'service="([^"]+)"', expression):
            assert value in services, (name, title, value)
    [logs] = [d for d in dashboards().values() if d["uid"] == "metachat-logs"]
    variables = {v["name"]: v for v in logs["templating"]["list"]}
    assert set(variables["service"]["query"].split(",")) <= services
    assert variables["service"]["allValue"] == ".+"
    assert set(variables["level"]["query"].split(",")) == LOG_LEVELS
    assert variables["request_id"]["type"] == "textbox"
    assert any('|= "$request_id"' in expression for _, _, expression in queries)


# MARK: the metric names against a live server


def call(port: int, method: str, path: str, headers: dict[str, str], body: dict | None = None) -> tuple[int, dict]:
    """A REST call with a JSON body: (status, JSON answer or {})."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers={**headers, "content-type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return response.status, json.loads(raw) if raw.strip().startswith(b"{") else {}


class OverloadedOpenAI:
    """A local server that answers every request as OpenAI does when it is overloaded: 503 with
    its error body (for chat completions and embeddings alike)."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - the stdlib's name
                self.rfile.read(int(self.headers.get("content-length", "0")))
                body = json.dumps({"error": {"message": "The server is overloaded.", "type": "server_error", "code": None}})
                self.send_response(503)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def poll(what: str, probe, timeout_s: float = 30.0):
    """`probe()` until it answers something truthy, or fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = probe()
        if answer:
            return answer
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling pace, bounded by the deadline


def test_every_metric_a_panel_names_is_published(tmp_path, database):
    """A live `metachat serve` on a database of the test's own, after the events that create
    the last lazily made series (a model call that fails: a local OpenAI answers 503 overloaded;
    a retention run that deletes the tenant's API-log rows, aged 40 days), publishes every
    metric the dashboards' PromQL names (histograms by their _bucket series), Prometheus' own
    `up` aside."""
    require_services()
    token = uuid.uuid4().hex
    provider = OverloadedOpenAI()
    environment = {
        "DATABASE_URL": database.url, "METRICS_TOKEN": token, "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": provider.base_url, "RATE_LIMIT_MAX_REQUESTS": "1000000",
    }  # fmt: skip
    admin = {"x-admin-key": seed_admin("grafana@example.com", "grafana", DATABASE_URL=database.url)["apiKey"]}
    with running_metachat(tmp_path, **environment) as server, contextlib.closing(provider):
        status, tenant = call(server.port, "POST", "/api/tenants", admin, {"name": "Dashboards"})
        assert status == 200, tenant
        status, key = call(server.port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", admin, {"label": "d"})
        assert status == 200, key
        tenant_key = {"x-api-key": key["apiKey"]}
        status, answer = call(server.port, "POST", "/api/chat", tenant_key, {"message": "hello"})
        assert status != 200, answer
        poll("the calls to reach the API log", lambda: int(psql(database.superuser_url, "SELECT count(*) FROM api_logs")))
        psql(database.superuser_url, "UPDATE api_logs SET occurred_at = now() - interval '40 days'")
        status, run = call(server.port, "POST", "/api/admin/retention/run", admin, {})
        assert status == 200, run

        def finished():
            status, state = call(server.port, "GET", f"/api/admin/retention/runs/{run['id']}", admin)
            assert status == 200, state
            return state if state["state"] != "RETENTION_RUN_STATE_RUNNING" else None

        assert poll("the retention run", finished)["state"] == "RETENTION_RUN_STATE_SUCCEEDED"
        text = scrape_metrics(server.port, token)
    published = published_metric_names(text)
    assert re.search(r'^metachat_llm_errors_total\{[^}]*provider="openai"', text, re.MULTILINE), text
    assert re.search(r'^metachat_retention_deleted_rows_total\{table="api_logs"\} [1-9]', text, re.MULTILINE), text
    named = set()
    for _, _, expression in targets("prometheus"):
        named |= promql_metric_names(concrete_promql(expression))
    assert unexplained_metrics(named, published) == set(), sorted(unexplained_metrics(named, published))
