"""Read operations, answered from the local state on every instance (primary or not)."""

from __future__ import annotations

from kanal_registry.compatibility import DEFAULT_LEVEL, CompatibilityLevel, check
from kanal_registry.errors import (
    InvalidVersion,
    RegistryError,
    SchemaNotFound,
    SubjectCompatibilityNotConfigured,
    SubjectModeNotConfigured,
    SubjectNotFound,
    VersionNotFound,
)
from kanal_registry.schema_types import ParsedSchema, SchemaType
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.service.schema_parsing import (
    SchemaParser,
    formatted_text,
    request_text,
    stored_text,
)
from kanal_registry.state.configs import SubjectConfig
from kanal_registry.state.modes import DEFAULT_MODE, Mode
from kanal_registry.state.registry_state import RegistryState, SchemaContent
from kanal_registry.store.records import SchemaValue

LATEST = -1
"""The version `latest` (and `-1`, its other spelling) in a path."""
_MAX_VERSION = 2**31 - 1
_DEFAULTS = SubjectConfig(compatibility_level=DEFAULT_LEVEL)


def parse_version(text: str) -> int:
    """A path's version: a number in [1, 2^31-1], or `latest` / `-1` (LATEST); else 42202."""
    if text.lower() == "latest":
        return LATEST
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number == LATEST or 1 <= number <= _MAX_VERSION:
        return number
    raise InvalidVersion(
        f"The specified version '{text}' is not a valid version id. Allowed values are "
        f"between [1, {_MAX_VERSION}] and the string \"latest\""
    )


class RegistryReads:
    def __init__(self, state: RegistryState, parser: SchemaParser) -> None:
        self.state = state
        self.parser = parser
        # Content-addressed (a content never changes meaning), so never stale; it holds one
        # entry per Protobuf content ever asked about, which stored contents bound.
        self._identities: dict[SchemaContent, SchemaContent] = {}

    # ---- subjects and versions ------------------------------------------------------------

    def subjects(self, *, prefix: str = "", deleted: bool = False) -> list[str]:
        return [s for s in self.state.subjects(include_deleted=deleted) if s.startswith(prefix)]

    def versions(self, subject: str, *, deleted: bool = False) -> list[SchemaValue]:
        found = self.state.versions(subject, include_deleted=deleted)
        if not found:
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        return found

    def version(self, subject: str, version: int, *, deleted: bool = False) -> SchemaValue:
        every = self.state.versions(subject, include_deleted=True)
        if not any(deleted or not v.deleted for v in every):
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        if version == LATEST:
            live = [v for v in every if deleted or not v.deleted]
            return live[-1]
        found = self.state.version(subject, version)
        if found is None or (found.deleted and not deleted):
            raise VersionNotFound(f"Version {version} not found.")
        return found

    def referenced_by(self, subject: str, version: int) -> list[int]:
        target = self.version(subject, version)
        return sorted({r.schema_id for r in self.state.referrers(subject, target.version)})

    # ---- ids ------------------------------------------------------------------------------

    def schema(self, schema_id: int) -> SchemaContent:
        content = self.state.content(schema_id)
        if content is None:
            raise SchemaNotFound(f"Schema {schema_id} not found")
        return content

    def users(self, schema_id: int, *, deleted: bool = False) -> list[SchemaValue]:
        self.schema(schema_id)
        return self.state.users(schema_id, include_deleted=deleted)

    # ---- lookups and compatibility --------------------------------------------------------

    def lookup(self, subject: str, request: SchemaRequest, *, normalize: bool = False,
               deleted: bool = False) -> SchemaValue:
        """The version of `subject` holding the requested schema (Confluent's POST /subjects/s)."""
        candidates = self.state.versions(subject, include_deleted=deleted)
        if not candidates:
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        normalize = normalize or self.normalizes(subject)
        wanted = self.content_of(request, normalize=normalize)
        for stored in reversed(candidates):
            if self.identity(SchemaContent.of(stored)) == wanted:
                return stored
            if normalize and self.normalized(stored) == wanted:
                return stored
        raise SchemaNotFound("Schema not found")

    def identity(self, content: SchemaContent) -> SchemaContent:
        """The content a stored schema is identified by: itself, except a Protobuf file stored
        before the registry stored canonical text, which is identified by its canonical text
        (a stored text that no longer parses keeps its own)."""
        if content.schema_type is not SchemaType.PROTOBUF:
            return content
        found = self._identities.get(content)
        if found is None:
            try:
                canonical = self.parser.parse(content).canonical_form()
            except RegistryError:
                canonical = content.schema
            found = SchemaContent(content.schema_type, canonical, content.references)
            self._identities[content] = found
        return found

    def id_of(self, content: SchemaContent) -> int | None:
        """The id of a stored schema identified by `content` (a request's, in stored form)."""
        known = self.state.id_of(content)
        if known is not None or content.schema_type is not SchemaType.PROTOBUF:
            return known
        for schema_id, stored in self.state.contents():
            if stored.schema_type is SchemaType.PROTOBUF and self.identity(stored) == content:
                return schema_id
        return None

    def content_of(self, request: SchemaRequest, *, normalize: bool) -> SchemaContent:
        parsed = self.parse(request, normalize=normalize)
        return SchemaContent(request.schema_type, stored_text(parsed), request.references)

    def parse(self, request: SchemaRequest, *, normalize: bool) -> ParsedSchema:
        text = request_text(request.schema_type, request.schema)
        content = SchemaContent(request.schema_type, text, request.references)
        return self.parser.parse(content, normalize=normalize)

    def formatted(self, content: SchemaContent, fmt: str) -> str:
        """The stored schema in the `format` a reader asked for (`serialized`: a PROTOBUF
        schema as a base64 descriptor); the stored text for anything else."""
        if fmt != "serialized" or content.schema_type is not SchemaType.PROTOBUF:
            return content.schema
        return formatted_text(self.parser.parse(content), fmt)

    def normalized(self, stored: SchemaValue) -> SchemaContent:
        """A stored version's content as a normalized request would give it."""
        parsed = self.parser.parse(SchemaContent.of(stored), normalize=True)
        return SchemaContent(stored.schema_type, stored_text(parsed), stored.references)

    def incompatibilities(self, subject: str, request: SchemaRequest, *,
                          version: int | None = None, normalize: bool = False) -> list[str]:
        """Why `request` may not follow `version` of `subject` (None: the versions its level
        names); [] when compatible. Only live versions count."""
        new = self.parse(request, normalize=normalize)
        level = self.level(subject)
        if version is None:
            existing = self.state.versions(subject, include_deleted=False)
        else:
            existing = [self.version(subject, version)]
        old = [self.parser.parse(SchemaContent.of(v)) for v in existing]
        return check(new, old, level)

    # ---- config and mode ------------------------------------------------------------------

    def level(self, subject: str | None) -> CompatibilityLevel:
        """The level in force for `subject`: its own, else the global one, else BACKWARD."""
        level = self.config(None).compatibility_level
        if subject is not None:
            own = self.state.config(subject)
            level = (own.compatibility_level if own else None) or level
        return level or DEFAULT_LEVEL

    def normalizes(self, subject: str) -> bool:
        """Whether the config in force for `subject` asks for normalized schemas."""
        return bool(self.config(subject, default_to_global=True).normalize)

    def config(self, subject: str | None, *, default_to_global: bool = False) -> SubjectConfig:
        """The global config (BACKWARD when no level is set), or `subject`'s own: 40408 when
        it has none, unless `default_to_global`, which fills its unset fields from global."""
        global_config = (self.state.config(None) or SubjectConfig()).over(_DEFAULTS)
        if subject is None:
            return global_config
        own = self.state.config(subject)
        if own is not None and not default_to_global:
            return own
        if default_to_global:
            return (own or SubjectConfig()).over(global_config)
        raise SubjectCompatibilityNotConfigured(
            f"Subject '{subject}' does not have subject-level compatibility configured"
        )

    def mode(self, subject: str | None, *, default_to_global: bool = False) -> Mode:
        if subject is None:
            return self.state.mode(None) or DEFAULT_MODE
        own = self.state.mode(subject)
        if own is not None:
            return own
        if default_to_global:
            return self.state.mode(None) or DEFAULT_MODE
        raise SubjectModeNotConfigured(f"Subject '{subject}' does not have subject-level mode "
                                       "configured")

    def effective_mode(self, subject: str) -> Mode:
        return self.mode(subject, default_to_global=True)
