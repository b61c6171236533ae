"""The `_schemas` record layout, byte for byte as Confluent's registry writes it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal_registry.schema_types import SchemaReference, SchemaType
from kanal_registry.state.registry_state import RegistryState
from kanal_registry.store.records import (
    NOOP_KEY,
    ConfigValue,
    DeleteSubjectValue,
    KeyType,
    ModeValue,
    RecordFormatError,
    RegistryKey,
    SchemaId,
    SchemaValue,
    config_key,
    delete_subject_key,
    mode_key,
    schema_key,
)


def test_keys_are_confluents_json_in_confluents_field_order() -> None:
    assert schema_key("orders-value", 3).encode() == (
        b'{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}')
    assert config_key(None).encode() == b'{"keytype":"CONFIG","magic":0}'
    assert config_key("s").encode() == b'{"keytype":"CONFIG","subject":"s","magic":0}'
    assert mode_key(None).encode() == b'{"keytype":"MODE","magic":0}'
    assert delete_subject_key("s").encode() == (
        b'{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}')
    assert NOOP_KEY.encode() == b'{"keytype":"NOOP","magic":0}'


def test_schema_values_leave_out_the_avro_type_and_empty_references() -> None:
    avro = SchemaValue("s", 1, SchemaId(7), SchemaType.AVRO, '"string"')
    assert avro.encode() == b'{"subject":"s","version":1,"id":7,"schema":"\\"string\\"",' \
                            b'"deleted":false}'
    proto = SchemaValue("s", 2, SchemaId(8), SchemaType.PROTOBUF, "syntax = \"proto3\";",
                        (SchemaReference("a.proto", "a", 1),), deleted=True)
    assert json.loads(proto.encode()) == {
        "subject": "s", "version": 2, "id": 8, "schemaType": "PROTOBUF",
        "references": [{"name": "a.proto", "subject": "a", "version": 1}],
        "schema": "syntax = \"proto3\";", "deleted": True,
    }
    assert SchemaValue.decode(proto.encode()) == proto
    assert SchemaValue.decode(avro.encode()) == avro


def test_other_values_round_trip() -> None:
    config = ConfigValue({"compatibilityLevel": "FULL", "normalize": True}, "s")
    assert ConfigValue.decode(config.encode()) == config
    assert ModeValue.decode(ModeValue("IMPORT").encode()) == ModeValue("IMPORT")
    assert DeleteSubjectValue.decode(b'{"subject":"s","version":4}') == DeleteSubjectValue("s", 4)


def test_a_key_written_by_confluent_with_unknown_fields_still_reads() -> None:
    key = RegistryKey.decode(b'{"keytype":"SCHEMA","subject":"x","version":2,"magic":1,"z":1}')
    assert key == RegistryKey(KeyType.SCHEMA, "x", 2)


@pytest.mark.parametrize("raw", [
    b"", b"[]", b"{}", b'{"keytype":"WHAT"}', b'{"keytype":"SCHEMA","subject":"x"}',
    b'{"keytype":"SCHEMA","subject":1,"version":1}', b"\xff",
])
def test_unreadable_keys_raise_record_format_error(raw: bytes) -> None:
    with pytest.raises(RecordFormatError):
        RegistryKey.decode(raw)


@given(key=st.binary(max_size=200), value=st.none() | st.binary(max_size=200))
def test_the_state_skips_any_garbage_record_without_changing(key: bytes,
                                                             value: bytes | None) -> None:
    state = RegistryState()
    state.apply(key, value)
    assert state.subjects(include_deleted=True) == []
    assert state.max_id == 0
    assert state.config(None) is None and state.mode(None) is None


def test_a_schema_value_under_another_versions_key_is_skipped() -> None:
    state = RegistryState()
    value = SchemaValue("s", 2, SchemaId(1), SchemaType.AVRO, '"string"').encode()
    state.apply(schema_key("s", 1).encode(), value)
    assert state.subjects(include_deleted=True) == []
    state.apply(schema_key("s", 2).encode(), value)
    assert [v.version for v in state.versions("s", include_deleted=False)] == [2]
    state.apply(schema_key("s", 2).encode(), None)
    assert state.content(1) is None and state.max_id == 1
