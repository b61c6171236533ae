"""The Grafana dashboards: valid JSON with the fields Grafana needs, unique panel ids, every
query a PromQL expression over metric names the code exports (or the planned consumer-group
ones), template variables defined, and the compose Prometheus config accepted by promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .chart_render import CHART, REPO
from .code_contract import PLANNED_METRIC_NAMES, exported_metric_names
from .promql import metric_names

DASHBOARDS = sorted((CHART / "dashboards").glob("*.json"))
_VARIABLE = re.compile(r"\$(?:\{)?([A-Za-z_][A-Za-z0-9_]*)")
_GRAFANA_BUILTINS = {"__rate_interval", "__interval", "__range"}


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def _expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in _panels(dashboard) for target in panel.get("targets", [])]


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_the_dashboards_exist() -> None:
    assert {p.stem for p in DASHBOARDS} == {"cluster-overview", "throughput", "consumer-lag",
                                            "schema-registry", "connect"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_structure(path: Path) -> None:
    dashboard = _load(path)
    assert dashboard["uid"] and len(dashboard["uid"]) <= 40
    assert dashboard["title"].startswith("Kanal / ")
    panels = _panels(dashboard)
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys()
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"
    names = [v["name"] for v in dashboard["templating"]["list"]]
    assert names[0] == "datasource"
    for expression in _expressions(dashboard):
        used = set(_VARIABLE.findall(expression)) - _GRAFANA_BUILTINS
        assert used <= set(names), f"undefined variables {used - set(names)} in {expression}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_queries_use_only_exported_metrics(path: Path) -> None:
    known = exported_metric_names() | PLANNED_METRIC_NAMES
    dashboard = _load(path)
    queries = _expressions(dashboard) + [
        v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    for expression in queries:
        used = metric_names(expression)
        assert used, f"no metric in {expression!r}"
        assert used <= known, f"unknown metrics {used - known} in {expression!r}"


def test_metric_name_extraction() -> None:
    expression = ('histogram_quantile(0.99, sum by (le, instance) (rate('
                  'kanal_broker_request_latency_seconds_bucket{api=~"Produce|Fetch"}'
                  '[$__rate_interval])))')
    assert metric_names(expression) == {"kanal_broker_request_latency_seconds_bucket"}
    assert metric_names('count(sum by (group) (kanal_consumergroup_lag{group=~"$group"}) > 0)') \
        == {"kanal_consumergroup_lag"}
    assert metric_names("max(kanal_controller_partitionz)") == {"kanal_controller_partitionz"}
    assert metric_names('label_values(kanal_consumergroup_lag{group=~"$group"}, topic)') \
        == {"kanal_consumergroup_lag"}


def test_consumer_group_panels_are_there() -> None:
    used = {name for expression in _expressions(_load(CHART / "dashboards/consumer-lag.json"))
            for name in metric_names(expression)}
    assert used >= PLANNED_METRIC_NAMES


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed "
                    "(Debian package prometheus)")
def test_compose_prometheus_config_is_valid() -> None:
    result = subprocess.run(
        ["promtool", "check", "config", "--syntax-only",
         str(REPO / "deploy/prometheus/prometheus.yml")],
        capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


_LABEL_VALUE = st.text(alphabet=st.characters(blacklist_characters='"\\', codec="utf-8"),
                       max_size=20)


@given(
    metric=st.sampled_from(sorted(exported_metric_names())),
    label=st.sampled_from(["topic", "instance", "api", "error", "le"]),
    value=_LABEL_VALUE,
    shape=st.tuples(st.sampled_from(["=", "!=", "=~", "!~"]),
                    st.sampled_from(["$__rate_interval", "5m", "30s"]),
                    st.sampled_from(["sum", "max", "avg", "count"])),
)
def test_extraction_ignores_what_is_not_a_metric(
    metric: str, label: str, value: str, shape: tuple[str, str, str]
) -> None:
    operator, window, aggregate = shape
    expression = (f'{aggregate} by ({label}) (rate({metric}{{{label}{operator}"{value}"}}'
                  f"[{window}])) > 0")
    assert metric_names(expression) == {metric}
