"""Write operations, planned on the primary: each checks the request against the current state
and returns the `_schemas` records that carry it out, plus the answer to give once they are
applied. Planning never changes the state; the records do, when the reader applies them.

The primary plans one write at a time (see `RegistryService`), and waits until its own reader
has applied a write's records before planning the next, so each plan sees every earlier write:
that is what makes id and version allocation safe without any other lock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from kanal_registry.compatibility import check
from kanal_registry.errors import (
    IncompatibleSchema,
    OperationNotPermitted,
    ReferenceExists,
    SchemaVersionNotSoftDeleted,
    SchemaVersionSoftDeleted,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
)
from kanal_registry.service.reads import LATEST, RegistryReads
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.service.schema_parsing import stored_text
from kanal_registry.state.configs import SubjectConfig
from kanal_registry.state.modes import Mode
from kanal_registry.state.registry_state import SchemaContent
from kanal_registry.store.records import (
    ConfigValue,
    DeleteSubjectValue,
    ModeValue,
    Record,
    SchemaId,
    SchemaValue,
    config_key,
    delete_subject_key,
    mode_key,
    schema_key,
)

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class Plan(Generic[_R]):
    records: list[Record]
    result: _R


@dataclass(frozen=True, slots=True)
class Registered:
    schema_id: int
    version: int
    new: bool
    """False when the subject already had this schema (the registration was idempotent)."""


class WritePlanner:
    def __init__(self, reads: RegistryReads) -> None:
        self._reads = reads
        self._state = reads.state

    def register(self, subject: str, request: SchemaRequest, *, normalize: bool
                 ) -> Plan[Registered]:
        mode = self._writable_mode(subject)
        if request.schema_id is not None and mode is not Mode.IMPORT:
            raise OperationNotPermitted(
                f"Subject {subject} is not in import mode: a schema id cannot be given")
        normalize = normalize or self._reads.normalizes(subject)
        parsed = self._reads.parse(request, normalize=normalize)
        content = SchemaContent(request.schema_type, stored_text(parsed), request.references)
        live = self._state.versions(subject, include_deleted=False)
        for stored in live:
            same_id = request.schema_id in (None, stored.schema_id)
            same = self._reads.identity(SchemaContent.of(stored)) == content or (
                normalize and self._reads.normalized(stored) == content)
            if same and same_id:
                return Plan([], Registered(stored.schema_id, stored.version, new=False))
        if mode is not Mode.IMPORT:
            old = [self._reads.parser.parse(SchemaContent.of(v)) for v in live]
            reasons = check(parsed, old, self._reads.level(subject))
            if reasons:
                raise IncompatibleSchema(
                    "Schema being registered is incompatible with an earlier schema for "
                    f"subject \"{subject}\", details: [{', '.join(reasons)}]",
                    reasons=tuple(reasons),
                )
        schema_id = self._schema_id(content, request.schema_id)
        # An id keeps the text it was first stored with (a Protobuf id from before canonical
        # text keeps its old text): the state ignores a record giving an id another content.
        content = self._state.content(schema_id) or content
        version = self._version(subject, request.version)
        value = SchemaValue(subject, version, schema_id, content.schema_type, content.schema,
                            content.references)
        record = Record(schema_key(subject, version), value.encode())
        return Plan([record], Registered(schema_id, version, new=True))

    def _schema_id(self, content: SchemaContent, wanted: int | None) -> SchemaId:
        if wanted is not None:
            known = self._state.content(wanted)
            if known is not None and self._reads.identity(known) != content:
                raise OperationNotPermitted(
                    f"Overwrite new schema with id {wanted} is not permitted.")
            return SchemaId(wanted)
        return SchemaId(self._reads.id_of(content) or self._state.max_id + 1)

    def _version(self, subject: str, wanted: int | None) -> int:
        every = self._state.versions(subject, include_deleted=True)
        if wanted is None:
            # Soft-deleted versions keep their numbers: a new version never reuses one.
            return every[-1].version + 1 if every else 1
        if self._state.version(subject, wanted) is not None:
            raise OperationNotPermitted(
                f"Overwrite new schema version {wanted} of subject {subject} is not permitted.")
        return wanted

    def delete_subject(self, subject: str, *, permanent: bool) -> Plan[list[int]]:
        self._writable_mode(subject)
        every = self._state.versions(subject, include_deleted=True)
        if not every:
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        live = [v for v in every if not v.deleted]
        for stored in every:
            self._refuse_if_referenced(stored)
        if permanent:
            if live:
                raise SubjectNotSoftDeleted(f"Subject '{subject}' was not deleted first before "
                                            "being permanently deleted")
            records = [Record(schema_key(subject, v.version), None) for v in every]
            return Plan(records, [v.version for v in every])
        if not live:
            raise SubjectSoftDeleted(
                f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently")
        # Confluent's DELETE_SUBJECT record, and each version rewritten as deleted: after
        # compaction the latter alone still says which versions are gone.
        records = [Record(schema_key(subject, v.version), replace(v, deleted=True).encode())
                   for v in live]
        deletion = DeleteSubjectValue(subject, live[-1].version)
        records.append(Record(delete_subject_key(subject), deletion.encode()))
        return Plan(records, [v.version for v in live])

    def delete_version(self, subject: str, version: int, *, permanent: bool) -> Plan[int]:
        self._writable_mode(subject)
        # A numbered version is looked up among soft-deleted ones too, to tell 40406 from 40402.
        stored = self._reads.version(subject, version, deleted=permanent or version != LATEST)
        self._refuse_if_referenced(stored)
        key = schema_key(subject, stored.version)
        if permanent:
            if not stored.deleted:
                raise SchemaVersionNotSoftDeleted(
                    f"Subject '{subject}' Version {stored.version} was not deleted first "
                    "before being permanently deleted")
            return Plan([Record(key, None)], stored.version)
        if stored.deleted:
            raise SchemaVersionSoftDeleted(
                f"Subject '{subject}' Version {stored.version} was soft deleted.Set "
                "permanent=true to delete permanently")
        return Plan([Record(key, replace(stored, deleted=True).encode())], stored.version)

    def set_config(self, subject: str | None, update: SubjectConfig) -> Plan[SubjectConfig]:
        """Change the fields `update` sets, keep the others; the answer echoes `update`."""
        merged = update.over(self._state.config(subject) or SubjectConfig())
        value = ConfigValue(merged.to_json(), subject)
        return Plan([Record(config_key(subject), value.encode())], update)

    def delete_config(self, subject: str | None) -> Plan[SubjectConfig]:
        """Drop the config; the answer is the one that was in force."""
        if subject is not None and self._state.config(subject) is None \
                and not self._state.versions(subject, include_deleted=True):
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        old = self._reads.config(subject, default_to_global=True)
        return Plan([Record(config_key(subject), None)], old)

    def set_mode(self, subject: str | None, mode: str, *, force: bool) -> Plan[Mode]:
        parsed = Mode.parse(mode)
        if parsed is Mode.IMPORT and not force:
            occupied = (self._state.has_any_schema() if subject is None
                        else bool(self._state.versions(subject, include_deleted=True)))
            if occupied:
                raise OperationNotPermitted(
                    "Cannot import since found existing subjects; use force=true to override")
        value = ModeValue(parsed.value, subject)
        return Plan([Record(mode_key(subject), value.encode())], parsed)

    def delete_mode(self, subject: str | None) -> Plan[Mode]:
        old = self._reads.mode(subject, default_to_global=True)
        return Plan([Record(mode_key(subject), None)], old)

    def _writable_mode(self, subject: str) -> Mode:
        mode = self._reads.effective_mode(subject)
        if not mode.writable:
            raise OperationNotPermitted(f"Subject {subject} is in read-only mode")
        return mode

    def _refuse_if_referenced(self, stored: SchemaValue) -> None:
        if self._state.referrers(stored.subject, stored.version):
            raise ReferenceExists(
                "One or more references exist to the schema {magic=1,keytype=SCHEMA,"
                f"subject={stored.subject},version={stored.version}}}."
            )
