"""Kafka's reassignment JSON as `kanal partitions reassign` reads it: round trips, Kafka's
own files (with log_dirs) accepted, anything malformed refused with a usage error."""

from __future__ import annotations

import contextlib
import json

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.cli.reassign import parse_plan, plan_json

topics = st.text(alphabet="abcdefghijklmnopqrstuvwxyz._-0123456789", min_size=1, max_size=20)
plans = st.dictionaries(st.tuples(topics, st.integers(0, 1000)),
                        st.lists(st.integers(0, 100), min_size=1, max_size=5, unique=True),
                        min_size=1, max_size=20)


@given(plans)
def test_plans_round_trip(plan: dict[tuple[str, int], list[int]]) -> None:
    assert parse_plan(plan_json(plan)) == plan


def test_kafka_s_own_format_is_read() -> None:
    text = json.dumps({"version": 1, "partitions": [
        {"topic": "orders", "partition": 0, "replicas": [4, 2, 3],
         "log_dirs": ["any", "any", "any"]}]})
    assert parse_plan(text) == {("orders", 0): [4, 2, 3]}


@pytest.mark.parametrize("text", [
    "", "[]", "{}", '{"partitions": []}', '{"partitions": [{"topic": "t"}]}',
    '{"partitions": [{"topic": "t", "partition": "0", "replicas": [1]}]}',
    '{"partitions": [{"topic": "t", "partition": 0, "replicas": ["1"]}]}',
    '{"partitions": [{"topic": "t", "partition": 0, "replicas": [1]},'
    ' {"topic": "t", "partition": 0, "replicas": [2]}]}',
])
def test_malformed_plans_are_refused(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_plan(text)


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    with contextlib.suppress(click.BadParameter):
        parse_plan(text)
