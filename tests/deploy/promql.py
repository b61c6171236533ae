"""Metric names used by a PromQL expression, without a PromQL parser: drop string literals,
label matchers, range/offset durations, `by (...)`/`without (...)` label lists and known
function and keyword names; what remains of the identifiers are metric names. Good enough
for the dashboards' expressions, which the live test also runs against a real Prometheus."""

from __future__ import annotations

import re

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_NUMBER_SUFFIX = re.compile(r"\b\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y)?\b")

FUNCTIONS = frozenset({
    "abs", "absent", "avg_over_time", "ceil", "changes", "clamp_max", "clamp_min",
    "count_over_time",
    "delta", "deriv", "floor", "histogram_quantile", "idelta", "increase", "irate", "label_replace",
    "label_values", "max_over_time", "min_over_time", "rate", "resets", "round", "scalar", "sort",
    "sort_desc", "sum_over_time", "time", "timestamp", "vector", "last_over_time",
})
AGGREGATIONS = frozenset({
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group",
})
KEYWORDS = frozenset({"and", "or", "unless", "offset", "bool", "inf", "nan"})


_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$", re.DOTALL)


def metric_names(expression: str) -> set[str]:
    """Grafana's `label_values(<series selector>, <label>)` variable queries included."""
    label_values = _LABEL_VALUES.match(expression)
    if label_values:
        expression = label_values.group(1)
    text = _STRING.sub(" ", expression)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _NUMBER_SUFFIX.sub(" ", text)
    words = set(_IDENTIFIER.findall(text))
    return {w for w in words if w.lower() not in FUNCTIONS | AGGREGATIONS | KEYWORDS
            and not w.startswith("$")}
