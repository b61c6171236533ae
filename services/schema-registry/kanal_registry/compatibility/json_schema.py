"""JSON Schema compatibility: does every document the writer schema accepts pass the reader?

BACKWARD asks it with the new schema as reader, FORWARD with the old one. Reasons carry the
difference names of Confluent's JSON Schema checker (`TYPE_NARROWED`, `MAX_LENGTH_DECREASED`,
`REQUIRED_ATTRIBUTE_ADDED`, `PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`, ...).

The decision follows the data and is sound rather than complete: when a subset relation cannot
be shown structurally (overlapping oneOf branches, keywords the rules do not model) the change
is called incompatible, never the other way round. So it differs from Confluent in two
directions: it accepts what cannot break a reader though Confluent flags it (a property whose
schema accepts anything, added to an open content model), and it rejects what can break one
though Confluent lets it pass (a oneOf branch overlapping the existing ones). The test oracles
check every "compatible" verdict against generated documents.

This module handles `$ref`, booleans and combinators; `json_schema_keywords` and
`json_schema_objects` the per-keyword rules, `json_schema_algebra` the schema-level helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kanal_registry.compatibility.json_schema_algebra import (
    SUM_KEYWORDS,
    alternatives,
    conjunction,
    provably_disjoint,
    sum_keyword,
)
from kanal_registry.compatibility.json_schema_keywords import compare_keywords
from kanal_registry.compatibility.reasons import Roles, reason
from kanal_registry.schemas.json_schema import JsonSchema, is_missing, resolve_pointer

# Nesting beyond this is no real schema; stop before Python's recursion limit does.
_MAX_DEPTH = 60
# Combinators are compared branch against branch, which grows exponentially with their
# nesting: a registration request must not be able to occupy the registry. Past this many
# subschema comparisons the change is reported incompatible (too complex to prove safe).
_MAX_COMPARISONS = 20_000


def json_schema_incompatibilities(
    *, reader: JsonSchema, writer: JsonSchema, roles: Roles
) -> list[str]:
    """Why a document valid under `writer` may fail `reader`; [] when none can."""
    comparison = JsonComparison(
        roles=roles,
        reader_docs=_documents(reader),
        writer_docs=_documents(writer),
    )
    comparison.compare(
        _Node(reader.document, reader.document), _Node(writer.document, writer.document), "#"
    )
    if comparison.budget[0] < 0:
        comparison.report("TOO_COMPLEX", "#", _TOO_COMPLEX)
    return list(dict.fromkeys(comparison.reasons))


_TOO_COMPLEX = (
    f"the schemas need more than {_MAX_COMPARISONS} subschema comparisons; "
    "the change cannot be shown compatible"
)


def _documents(schema: JsonSchema) -> _Documents:
    dialect = schema.document.get("$schema") if isinstance(schema.document, dict) else None
    modern = isinstance(dialect, str) and ("2019-09" in dialect or "2020-12" in dialect)
    return _Documents(schema.document, schema.referenced, ref_siblings_apply=modern)


@dataclass(frozen=True, slots=True)
class _Node:
    """A subschema with the document its local `$ref`s resolve against."""

    schema: object
    root: object


@dataclass(frozen=True, slots=True)
class _Documents:
    root: object
    referenced: Mapping[str, object]
    ref_siblings_apply: bool

    def deref(self, node: _Node) -> _Node:
        seen: set[str] = set()
        while isinstance(node.schema, dict) and isinstance(node.schema.get("$ref"), str):
            ref = str(node.schema["$ref"])
            if ref in seen:
                return _Node({}, node.root)
            seen.add(ref)
            target, _, pointer = ref.partition("#")
            root = self.referenced.get(target, node.root) if target else node.root
            resolved = resolve_pointer(root, pointer) if pointer.startswith("/") else root
            if is_missing(resolved):
                return _Node({}, node.root)
            siblings = {k: v for k, v in node.schema.items() if k != "$ref"}
            # Before draft 2019-09 a validator ignores the keywords beside a `$ref`. Without
            # siblings the target itself is used, so a recursive schema meets the same object
            # again and the comparison notices the cycle.
            merged = (
                conjunction(resolved, siblings)
                if siblings and self.ref_siblings_apply
                else resolved
            )
            node = _Node(merged, root)
        return node


@dataclass
class JsonComparison:
    roles: Roles
    reader_docs: _Documents
    writer_docs: _Documents
    reasons: list[str] = field(default_factory=list)
    _in_progress: set[tuple[int, int]] = field(default_factory=set)
    budget: list[int] = field(default_factory=lambda: [_MAX_COMPARISONS])
    """Comparisons left, shared with trial comparisons (a one-element list so they share it)."""

    def report(self, error_type: str, path: str, description: str) -> None:
        text = description.format(reader=self.roles.reader, writer=self.roles.writer)
        self.reasons.append(reason(error_type, text, path=path))

    def accepts(
        self, reader: object, writer: object, reader_root: object, writer_root: object
    ) -> bool:
        """Whether `reader` accepts all `writer` accepts, without recording reasons."""
        trial = JsonComparison(self.roles, self.reader_docs, self.writer_docs)
        trial._in_progress = self._in_progress
        trial.budget = self.budget
        trial.compare(_Node(reader, reader_root), _Node(writer, writer_root), "#")
        return not trial.reasons

    def compare(self, reader_node: _Node, writer_node: _Node, path: str) -> None:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            self.report("TOO_COMPLEX", path, _TOO_COMPLEX)
            return
        reader_node = self.reader_docs.deref(reader_node)
        writer_node = self.writer_docs.deref(writer_node)
        key = (id(reader_node.schema), id(writer_node.schema))
        if key in self._in_progress:  # a recursive schema: assume the cycle holds
            return
        if len(self._in_progress) > _MAX_DEPTH:
            self.report("TOO_DEEP", path, "the schemas nest too deeply to compare")
            return
        self._in_progress.add(key)
        try:
            self._compare(reader_node, writer_node, path)
        finally:
            self._in_progress.discard(key)

    def _compare(self, reader_node: _Node, writer_node: _Node, path: str) -> None:
        if reader_node.schema == writer_node.schema and self._same_references(
            reader_node, writer_node
        ):
            return
        reader, writer = _as_dict(reader_node.schema), _as_dict(writer_node.schema)
        if writer is None or any(b is False for b in _list(writer.get("allOf"))):
            # The writer accepts nothing, so no reader can fail on its documents.
            return
        if reader is None:
            self.report("TYPE_NARROWED", path, "the {reader} schema is false and accepts nothing")
            return
        if "allOf" in reader and isinstance(reader["allOf"], list):
            for index, branch in enumerate(reader["allOf"]):
                self.compare(_Node(branch, reader_node.root), writer_node, f"{path}/allOf/{index}")
            reader = {k: v for k, v in reader.items() if k != "allOf"}
        if any(k in d for d in (reader, writer) for k in SUM_KEYWORDS):
            self._compare_sums(
                _Node(reader, reader_node.root), _Node(writer, writer_node.root), path
            )
            return
        if "allOf" in writer and isinstance(writer["allOf"], list):
            rest = {k: v for k, v in writer.items() if k != "allOf"}
            # The writer accepts no more than any one branch with the shared keywords.
            candidates = [conjunction(rest, b) for b in writer["allOf"] if isinstance(b, dict)]
            for candidate in candidates:
                if self.accepts(reader, candidate, reader_node.root, writer_node.root):
                    return
            writer = rest
        compare_keywords(
            self, _Node(reader, reader_node.root), _Node(writer, writer_node.root), path
        )

    def _same_references(self, reader_node: _Node, writer_node: _Node) -> bool:
        """Whether equal schemas mean the same: their `$ref`s resolve in equal documents."""
        return (
            reader_node.root == writer_node.root
            and self.reader_docs.referenced == self.writer_docs.referenced
        )

    def _compare_sums(self, reader_node: _Node, writer_node: _Node, path: str) -> None:
        reader, writer = reader_node.schema, writer_node.schema
        assert isinstance(reader, dict) and isinstance(writer, dict)
        if "oneOf" in reader and "anyOf" in writer:
            self.report(
                "COMBINED_TYPE_CHANGED",
                path,
                "the {reader} schema's oneOf rejects documents matching several branches "
                "of the {writer} schema's anyOf",
            )
        reader_options = alternatives(reader)
        writer_options = alternatives(writer)
        for index, option in enumerate(writer_options):
            accepting = [
                i
                for i, r in enumerate(reader_options)
                if self.accepts(r, option, reader_node.root, writer_node.root)
            ]
            if accepting:
                if sum_keyword(reader) == "oneOf":
                    self._check_exclusive(accepting[0], option, reader_options, writer, path)
                continue
            if len(reader_options) == 1:
                self.compare(
                    _Node(reader_options[0], reader_node.root),
                    _Node(option, writer_node.root),
                    path,
                )
            else:
                self.report(
                    "SUM_TYPE_NARROWED",
                    f"{path}/{sum_keyword(writer)}/{index}",
                    "no branch of the {reader} schema accepts this branch of the {writer} schema",
                )

    def _check_exclusive(
        self,
        chosen: int,
        option: object,
        reader_options: list[object],
        writer: dict[str, object],
        path: str,
    ) -> None:
        """A reader oneOf rejects a document two branches accept: the others must not overlap.

        Overlap is ruled out only when provable: disjoint instance types or enum values, or a
        branch equal to another branch of the writer's own oneOf (which already excluded it).
        """
        writer_exclusive = alternatives(writer) if "oneOf" in writer else []
        for index, other in enumerate(reader_options):
            if index == chosen or (other in writer_exclusive and other != option):
                continue
            if not provably_disjoint(other, option):
                self.report(
                    "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                    f"{path}/oneOf",
                    "a document the {writer} schema allows may match more than one branch "
                    "of the {reader} schema's oneOf",
                )
                return


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _as_dict(schema: object) -> dict[str, object] | None:
    """A schema as a keyword dict: `true` is `{}`, `false` is None."""
    if schema is False:
        return None
    if isinstance(schema, dict):
        return schema
    return {}
