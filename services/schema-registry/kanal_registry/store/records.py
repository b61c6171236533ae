"""The records of the `_schemas` topic, in Confluent's key/value JSON layout.

Keys are JSON objects whose first field names their kind, fields in Confluent's order and
absent fields left out (Jackson's NON_EMPTY), so a topic written by either registry reads the
same:

    {"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}
    {"keytype":"CONFIG","subject":"orders-value","magic":0}     (no subject: the global one)
    {"keytype":"MODE","magic":0}                                  (no subject: the global one)
    {"keytype":"DELETE_SUBJECT","subject":"orders-value","magic":0}
    {"keytype":"NOOP","magic":0}

Values:

    SCHEMA          {"subject","version","id","schemaType" (absent for AVRO),
                     "references" (absent when empty),"schema","deleted"}
    CONFIG          {"compatibilityLevel"?,"normalize"?,"alias"?,...,"subject"?}
    MODE            {"mode","subject"?}
    DELETE_SUBJECT  {"subject","version"}: every version up to `version` is soft-deleted
    any key         null (a tombstone): the SCHEMA version is gone for good (hard delete), the
                    CONFIG or MODE falls back to its default

The topic is compacted: the latest value per key is all a reader needs, which is why a soft
delete rewrites the SCHEMA value with `deleted: true` rather than appending an event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType, TypeVar

from kanal_registry.schema_types import SchemaReference, SchemaType

_T = TypeVar("_T")

SchemaId = NewType("SchemaId", int)
"""A schema's global id: the same schema text has the same id in every subject."""


class KeyType(StrEnum):
    SCHEMA = "SCHEMA"
    CONFIG = "CONFIG"
    MODE = "MODE"
    DELETE_SUBJECT = "DELETE_SUBJECT"
    NOOP = "NOOP"


class RecordFormatError(ValueError):
    """A `_schemas` record this registry cannot read (the reader logs it and skips it)."""


@dataclass(frozen=True, slots=True)
class RegistryKey:
    keytype: KeyType
    subject: str | None = None
    version: int | None = None

    @property
    def magic(self) -> int:
        return 1 if self.keytype is KeyType.SCHEMA else 0

    def encode(self) -> bytes:
        fields: dict[str, object] = {"keytype": self.keytype.value}
        if self.subject is not None:
            fields["subject"] = self.subject
        if self.version is not None:
            fields["version"] = self.version
        fields["magic"] = self.magic
        return _dump(fields)

    @classmethod
    def decode(cls, raw: bytes) -> RegistryKey:
        fields = _load_object(raw)
        try:
            keytype = KeyType(str(fields["keytype"]))
        except (KeyError, ValueError):
            raise RecordFormatError(f"unknown keytype in {raw[:200]!r}") from None
        subject = fields.get("subject")
        version = fields.get("version")
        if subject is not None and not isinstance(subject, str):
            raise RecordFormatError(f"subject is not a string in {raw[:200]!r}")
        if keytype is KeyType.SCHEMA and (not isinstance(version, int) or subject is None):
            raise RecordFormatError(f"SCHEMA key without subject and version: {raw[:200]!r}")
        schema_version = version if isinstance(version, int) else None
        return cls(keytype, subject, schema_version if keytype is KeyType.SCHEMA else None)


def schema_key(subject: str, version: int) -> RegistryKey:
    return RegistryKey(KeyType.SCHEMA, subject, version)


def config_key(subject: str | None) -> RegistryKey:
    return RegistryKey(KeyType.CONFIG, subject)


def mode_key(subject: str | None) -> RegistryKey:
    return RegistryKey(KeyType.MODE, subject)


def delete_subject_key(subject: str) -> RegistryKey:
    return RegistryKey(KeyType.DELETE_SUBJECT, subject)


NOOP_KEY = RegistryKey(KeyType.NOOP)


@dataclass(frozen=True, slots=True)
class Record:
    """One record to write: a key and its encoded value, None for a tombstone."""

    key: RegistryKey
    value: bytes | None


@dataclass(frozen=True, slots=True)
class SchemaValue:
    """One subject-version: the value of a SCHEMA key."""

    subject: str
    version: int
    schema_id: SchemaId
    schema_type: SchemaType
    schema: str
    references: tuple[SchemaReference, ...] = ()
    deleted: bool = False

    def encode(self) -> bytes:
        fields: dict[str, object] = {
            "subject": self.subject, "version": self.version, "id": self.schema_id,
        }
        if self.schema_type is not SchemaType.AVRO:
            fields["schemaType"] = self.schema_type.value
        if self.references:
            fields["references"] = [reference_json(r) for r in self.references]
        fields["schema"] = self.schema
        fields["deleted"] = self.deleted
        return _dump(fields)

    @classmethod
    def decode(cls, raw: bytes) -> SchemaValue:
        fields = _load_object(raw)
        try:
            return cls(
                subject=_typed(fields, "subject", str),
                version=_typed(fields, "version", int),
                schema_id=SchemaId(_typed(fields, "id", int)),
                schema_type=SchemaType(str(fields.get("schemaType") or "AVRO")),
                schema=_typed(fields, "schema", str),
                references=tuple(reference_from_json(r) for r in _list(fields, "references")),
                deleted=bool(fields.get("deleted", False)),
            )
        except (ValueError, TypeError) as exc:
            raise RecordFormatError(f"bad SCHEMA value: {exc}") from None


@dataclass(frozen=True, slots=True)
class ConfigValue:
    """A CONFIG value: Confluent's config fields (`compatibilityLevel`, `normalize`, `alias`,
    ...; see state/configs.py, which checks them) and the subject, absent for the global one."""

    settings: Mapping[str, object]
    subject: str | None = None

    def encode(self) -> bytes:
        fields = dict(self.settings)
        if self.subject is not None:
            fields["subject"] = self.subject
        return _dump(fields)

    @classmethod
    def decode(cls, raw: bytes) -> ConfigValue:
        fields = _load_object(raw)
        subject = _optional_str(fields, "subject")
        fields.pop("subject", None)
        return cls(fields, subject)


@dataclass(frozen=True, slots=True)
class ModeValue:
    mode: str
    subject: str | None = None

    def encode(self) -> bytes:
        fields: dict[str, object] = {"mode": self.mode}
        if self.subject is not None:
            fields["subject"] = self.subject
        return _dump(fields)

    @classmethod
    def decode(cls, raw: bytes) -> ModeValue:
        fields = _load_object(raw)
        return cls(_typed(fields, "mode", str), _optional_str(fields, "subject"))


@dataclass(frozen=True, slots=True)
class DeleteSubjectValue:
    subject: str
    version: int

    def encode(self) -> bytes:
        return _dump({"subject": self.subject, "version": self.version})

    @classmethod
    def decode(cls, raw: bytes) -> DeleteSubjectValue:
        fields = _load_object(raw)
        return cls(_typed(fields, "subject", str), _typed(fields, "version", int))


def reference_json(reference: SchemaReference) -> dict[str, object]:
    return {"name": reference.name, "subject": reference.subject, "version": reference.version}


def reference_from_json(fields: object) -> SchemaReference:
    if not isinstance(fields, Mapping):
        raise TypeError(f"a reference must be an object, not {type(fields).__name__}")
    return SchemaReference(
        _typed(fields, "name", str), _typed(fields, "subject", str), _typed(fields, "version", int)
    )


def _typed(fields: Mapping[str, object], name: str, kind: type[_T]) -> _T:
    value = fields.get(name)
    # bool is an int to Python, never to JSON Schema or to Confluent's Jackson mapping.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"field {name!r} must be a {kind.__name__}")
    return value


def _optional_str(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) else None


def _list(fields: Mapping[str, object], name: str) -> list[object]:
    value = fields.get(name) or []
    if not isinstance(value, list):
        raise TypeError(f"field {name!r} must be a list")
    return value


def _dump(fields: Mapping[str, object]) -> bytes:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def _load_object(raw: bytes) -> dict[str, object]:
    try:
        fields = json.loads(raw)
    except (ValueError, RecursionError):
        raise RecordFormatError(f"not JSON: {raw[:200]!r}") from None
    if not isinstance(fields, dict):
        raise RecordFormatError(f"not a JSON object: {raw[:200]!r}")
    return fields
