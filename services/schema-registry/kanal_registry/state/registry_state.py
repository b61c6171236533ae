"""The registry's state: what the `_schemas` records say, applied in log order.

Every instance holds one, rebuilt from offset 0 at start and advanced by its reader; nothing
else mutates it, so every instance that has read up to offset N holds the same state.
Application never fails: a record it cannot read is logged and skipped, as Confluent does, so
one bad record cannot wedge every instance.

Invariants kept by `apply`:
- `_contents[id]` exists while some version (live or soft-deleted) of some subject uses `id`;
  a schema id's text never changes once seen (a conflicting record is logged and ignored).
- `max_id` never decreases: ids are allocated above it, so a hard-deleted id is not reused
  while its records are still in the log.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace

from kanal_registry.errors import RegistryError
from kanal_registry.schema_types import SchemaReference, SchemaType
from kanal_registry.state.configs import SubjectConfig
from kanal_registry.state.modes import Mode
from kanal_registry.store.records import (
    ConfigValue,
    DeleteSubjectValue,
    KeyType,
    ModeValue,
    RecordFormatError,
    RegistryKey,
    SchemaId,
    SchemaValue,
)

log = logging.getLogger(__name__)

SubjectVersion = tuple[str, int]


@dataclass(frozen=True, slots=True)
class SchemaContent:
    """What a schema id names: equal contents share one id."""

    schema_type: SchemaType
    schema: str
    references: tuple[SchemaReference, ...]

    @classmethod
    def of(cls, value: SchemaValue) -> SchemaContent:
        return cls(value.schema_type, value.schema, value.references)


class RegistryState:
    def __init__(self) -> None:
        self._subjects: dict[str, dict[int, SchemaValue]] = {}
        self._contents: dict[SchemaId, SchemaContent] = {}
        self._ids: dict[SchemaContent, SchemaId] = {}
        self._users: defaultdict[SchemaId, set[SubjectVersion]] = defaultdict(set)
        self._referrers: defaultdict[SubjectVersion, set[SubjectVersion]] = defaultdict(set)
        self._configs: dict[str | None, SubjectConfig] = {}
        self._modes: dict[str | None, Mode] = {}
        self.max_id = 0
        self.generation = 0
        """Grows with every record applied: a cache of answers is valid for one generation."""

    # ---- applying records -----------------------------------------------------------------

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        self.generation += 1
        try:
            parsed = RegistryKey.decode(key)
            self._apply(parsed, value)
        except (RecordFormatError, RegistryError, TypeError, ValueError) as exc:
            log.warning("skipping an unreadable _schemas record %r: %s", key[:200], exc)

    def _apply(self, key: RegistryKey, value: bytes | None) -> None:
        if key.keytype is KeyType.SCHEMA:
            assert key.subject is not None and key.version is not None
            if value is None:
                self._remove_version(key.subject, key.version)
                return
            stored = SchemaValue.decode(value)
            if (stored.subject, stored.version) != (key.subject, key.version):
                raise RecordFormatError(f"the value names {stored.subject} v{stored.version}")
            self._put_version(stored)
        elif key.keytype is KeyType.CONFIG:
            if value is None:
                self._configs.pop(key.subject, None)
            else:
                settings = ConfigValue.decode(value).settings
                self._configs[key.subject] = SubjectConfig.from_json(settings)
        elif key.keytype is KeyType.MODE:
            if value is None:
                self._modes.pop(key.subject, None)
            else:
                self._modes[key.subject] = Mode.parse(ModeValue.decode(value).mode)
        elif key.keytype is KeyType.DELETE_SUBJECT and value is not None:
            deletion = DeleteSubjectValue.decode(value)
            versions = self._subjects.get(deletion.subject, {})
            for number, stored in list(versions.items()):
                if number <= deletion.version and not stored.deleted:
                    versions[number] = replace(stored, deleted=True)

    def _put_version(self, stored: SchemaValue) -> None:
        content = SchemaContent.of(stored)
        known = self._contents.get(stored.schema_id)
        if known is not None and known != content:
            log.warning("ignoring %s v%d: id %d already names another schema",
                        stored.subject, stored.version, stored.schema_id)
            return
        self._remove_version(stored.subject, stored.version)
        self._subjects.setdefault(stored.subject, {})[stored.version] = stored
        self._contents[stored.schema_id] = content
        self._ids.setdefault(content, stored.schema_id)
        self._users[stored.schema_id].add((stored.subject, stored.version))
        for reference in stored.references:
            self._referrers[(reference.subject, reference.version)].add(
                (stored.subject, stored.version))
        self.max_id = max(self.max_id, stored.schema_id)

    def _remove_version(self, subject: str, version: int) -> None:
        versions = self._subjects.get(subject)
        old = versions.pop(version, None) if versions is not None else None
        if old is None:
            return
        if not versions:
            del self._subjects[subject]
        for reference in old.references:
            self._referrers[(reference.subject, reference.version)].discard((subject, version))
        users = self._users[old.schema_id]
        users.discard((subject, version))
        if not users:
            del self._users[old.schema_id]
            content = self._contents.pop(old.schema_id)
            if self._ids.get(content) == old.schema_id:
                del self._ids[content]

    # ---- reading --------------------------------------------------------------------------

    def subjects(self, *, include_deleted: bool) -> list[str]:
        return sorted(s for s in self._subjects
                      if include_deleted or self.versions(s, include_deleted=False))

    def versions(self, subject: str, *, include_deleted: bool) -> list[SchemaValue]:
        """The subject's versions, oldest first."""
        versions = self._subjects.get(subject, {})
        return [versions[v] for v in sorted(versions)
                if include_deleted or not versions[v].deleted]

    def version(self, subject: str, version: int) -> SchemaValue | None:
        return self._subjects.get(subject, {}).get(version)

    def content(self, schema_id: int) -> SchemaContent | None:
        return self._contents.get(SchemaId(schema_id))

    def id_of(self, content: SchemaContent) -> SchemaId | None:
        return self._ids.get(content)

    def contents(self) -> list[tuple[SchemaId, SchemaContent]]:
        """Every schema id in use with its content, lowest id first."""
        return sorted(self._contents.items())

    def users(self, schema_id: int, *, include_deleted: bool) -> list[SchemaValue]:
        """Every subject-version registered with this id, by subject then version."""
        found = [self._subjects[s][v] for s, v in self._users.get(SchemaId(schema_id), ())]
        return sorted((f for f in found if include_deleted or not f.deleted),
                      key=lambda f: (f.subject, f.version))

    def referrers(self, subject: str, version: int) -> list[SchemaValue]:
        """The live versions whose references name `subject` `version`."""
        found = [self._subjects[s][v] for s, v in self._referrers.get((subject, version), ())]
        return sorted((f for f in found if not f.deleted), key=lambda f: f.schema_id)

    def config(self, subject: str | None) -> SubjectConfig | None:
        return self._configs.get(subject)

    def mode(self, subject: str | None) -> Mode | None:
        return self._modes.get(subject)

    def has_any_schema(self) -> bool:
        return bool(self._subjects)
