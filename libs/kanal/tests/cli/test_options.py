from __future__ import annotations

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.cli.options import (
    parse_acks,
    parse_comma_list,
    parse_config_pairs,
    unescape_separator,
)

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz.", min_size=1, max_size=20)
values = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zs"]), max_size=20)


@given(st.dictionaries(names, values, max_size=5))
def test_config_pairs_round_trip(configs: dict[str, str]) -> None:
    pairs = [f"{name}={value}" for name, value in configs.items()]
    assert parse_config_pairs(pairs) == {k: v.strip() for k, v in configs.items()}


def test_config_value_may_hold_equals_and_bad_pairs_are_rejected() -> None:
    assert parse_config_pairs(["a=b=c"]) == {"a": "b=c"}
    for bad in ["novalue", "=x"]:
        with pytest.raises(click.BadParameter):
            parse_config_pairs([bad])


def test_small_parsers() -> None:
    assert parse_comma_list(" r1, r2,,r3 ") == ["r1", "r2", "r3"]
    assert parse_comma_list(None) == []
    assert parse_acks("all") == parse_acks("-1") == "all"
    assert parse_acks("0") == 0
    assert unescape_separator("\\t") == "\t"
    assert unescape_separator(":") == ":"
