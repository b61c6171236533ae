"""Building transformation chains from connector configs, with predicates and negate."""

from __future__ import annotations

import pytest
from kanal_connect.chain import build_chain
from kanal_connect.data import ConnectHeader, SinkRecord
from kanal_connect.errors import InvalidConnectorConfig

PREDICATES_PACKAGE = "org.apache.kafka.connect.transforms.predicates."
DOCS_EXAMPLE = {
    # Kafka's documentation: drop topic 'foo', extract 'other_field' from keys except on 'bar'.
    "transforms": "Filter,Extract",
    "transforms.Filter.type": "org.apache.kafka.connect.transforms.Filter",
    "transforms.Filter.predicate": "IsFoo",
    "transforms.Extract.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
    "transforms.Extract.field": "other_field",
    "transforms.Extract.predicate": "IsBar",
    "transforms.Extract.negate": "true",
    "predicates": "IsFoo,IsBar",
    "predicates.IsFoo.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.IsFoo.pattern": "foo",
    "predicates.IsBar.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.IsBar.pattern": "bar",
}


def record(topic: str) -> SinkRecord:
    return SinkRecord(topic=topic, key={"other_field": 7, "x": 1}, value="v")


def test_documentation_example() -> None:
    chain = build_chain(DOCS_EXAMPLE)
    assert [stage.alias for stage in chain.stages] == ["Filter", "Extract"]
    assert chain.apply(record("foo")) is None
    assert chain.apply(record("bar")) == record("bar")
    other = chain.apply(record("baz"))
    assert other is not None and other.key == 7


def test_docs_transforms_list_with_spaces() -> None:
    chain = build_chain(
        {
            "transforms": "MakeMap, InsertSource",
            "transforms.MakeMap.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.MakeMap.field": "line",
            "transforms.InsertSource.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.InsertSource.static.field": "data_source",
            "transforms.InsertSource.static.value": "test-file-source",
        }
    )
    result = chain.apply(SinkRecord(topic="t", value="foo"))
    assert result is not None and result.value == {"line": "foo", "data_source": "test-file-source"}


def test_header_and_tombstone_predicates() -> None:
    chain = build_chain(
        {
            "transforms": "dropTombstones,tag",
            "transforms.dropTombstones.type": "Filter",
            "transforms.dropTombstones.predicate": "isTombstone",
            "transforms.tag.type": "InsertHeader",
            "transforms.tag.header": "seen",
            "transforms.tag.value.literal": "yes",
            "transforms.tag.predicate": "hasTrace",
            "transforms.tag.negate": "false",
            "predicates": "isTombstone,hasTrace",
            "predicates.isTombstone.type": "RecordIsTombstone",
            "predicates.hasTrace.type": PREDICATES_PACKAGE + "HasHeaderKey",
            "predicates.hasTrace.name": "trace",
        }
    )
    assert chain.apply(SinkRecord(topic="t", value=None)) is None
    plain = SinkRecord(topic="t", value=1)
    assert chain.apply(plain) == plain
    traced = plain.new_record(headers=(ConnectHeader("trace", None, "1"),))
    result = chain.apply(traced)
    assert result is not None and [h.key for h in result.headers] == ["trace", "seen"]


def test_empty_config_is_an_identity_chain() -> None:
    chain = build_chain({})
    assert chain.stages == ()
    assert chain.apply(record("x")) == record("x")


@pytest.mark.parametrize(
    ("config", "key", "message"),
    [
        (
            {"transforms": "a"},
            "transforms.a.type",
            'Missing required configuration "transforms.a.type" which has no default value.',
        ),
        (
            {"transforms": "a", "transforms.a.type": "com.example.Nope"},
            "transforms.a.type",
            "Invalid value com.example.Nope for configuration transforms.a.type: "
            "Class com.example.Nope could not be found.",
        ),
        (
            {"transforms": "a,a", "transforms.a.type": "Filter"},
            "transforms",
            "Invalid value [a, a] for configuration transforms: Duplicate alias provided.",
        ),
        (
            {"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "true"},
            "transforms.a.type",
            "Config 'transforms.a.negate' was provided but there is no config "
            "'transforms.a.predicate' defining a predicate to be negated.",
        ),
        (
            {"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p"},
            "transforms.a.predicate",
            "Invalid value p for configuration transforms.a.predicate: "
            "Predicate 'p' is not defined in 'predicates'",
        ),
        (
            {"transforms": "a", "transforms.a.type": "Cast$Value", "transforms.a.spec": "x:nope"},
            "transforms.a.spec",
            "Invalid type found in casting spec: nope",
        ),
        (
            {"predicates": "p", "predicates.p.type": "TopicNameMatches"},
            "predicates.p.pattern",
            'Missing required configuration "predicates.p.pattern" which has no default value.',
        ),
        (
            {
                "transforms": "a",
                "transforms.a.type": "Filter",
                "transforms.a.negate": "maybe",
                "transforms.a.predicate": "p",
                "predicates": "p",
                "predicates.p.type": "RecordIsTombstone",
            },
            "transforms.a.negate",
            "Invalid value maybe for configuration transforms.a.negate: "
            "Expected value to be either true or false",
        ),
    ],
)
def test_errors_are_reported_per_key(config: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(InvalidConnectorConfig) as caught:
        build_chain(config)
    assert caught.value.field_errors.get(key) == [message]


def test_configure_time_errors_surface_from_build() -> None:
    with pytest.raises(InvalidConnectorConfig, match="requires format option"):
        build_chain(
            {
                "transforms": "t",
                "transforms.t.type": "TimestampConverter$Value",
                "transforms.t.target.type": "string",
            }
        )


def test_predicate_defined_but_not_listed_still_applies() -> None:
    # Kafka finds a predicate by its `predicates.<alias>.` prefix alone.
    chain = build_chain(
        {
            "transforms": "drop",
            "transforms.drop.type": "Filter",
            "transforms.drop.predicate": "isFoo",
            "predicates.isFoo.type": "TopicNameMatches",
            "predicates.isFoo.pattern": "foo",
        }
    )
    assert chain.apply(record("foo")) is None
    assert chain.apply(record("foobar")) == record("foobar")


def test_configure_errors_carry_the_full_key() -> None:
    with pytest.raises(InvalidConnectorConfig) as caught:
        build_chain(
            {
                "transforms": "h",
                "transforms.h.type": "HeaderFrom$Value",
                "transforms.h.fields": "a,b",
                "transforms.h.headers": "x",
                "transforms.h.operation": "copy",
            }
        )
    assert list(caught.value.field_errors) == ["transforms.h.headers"]
