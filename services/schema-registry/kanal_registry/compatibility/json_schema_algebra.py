"""Schema-level algebra the JSON Schema checker needs: conjunction, alternatives, disjointness.

Keywords side by side in one schema all apply (a conjunction). Merging two keyword dicts is
that conjunction only while they share no keyword; when they do, the pair is kept as an `allOf`
so neither constraint is lost (a lost reader constraint would let an incompatible change pass).
"""

from __future__ import annotations

from kanal_registry.compatibility.json_schema_keywords import instance_types

SUM_KEYWORDS = ("anyOf", "oneOf")


def conjunction(first: object, second: dict[str, object]) -> object:
    """A schema accepting exactly what both accept."""
    if first is False:
        return False
    if not isinstance(first, dict) or not first:
        return second
    if first.keys() & second.keys():
        return {"allOf": [first, second]}
    return {**first, **second}


def sum_keyword(schema: dict[str, object]) -> str:
    """The first of anyOf / oneOf present (a second one stays with the shared keywords)."""
    return next((k for k in SUM_KEYWORDS if k in schema), "")


def alternatives(schema: dict[str, object]) -> list[object]:
    """The schema as alternatives: one per anyOf/oneOf branch, each with the shared keywords."""
    keyword = sum_keyword(schema)
    branches = schema.get(keyword) if keyword else None
    if not isinstance(branches, list):
        return [schema]
    rest = {k: v for k, v in schema.items() if k != keyword}
    return [_with_rest(branch, rest) for branch in branches]


def _with_rest(branch: object, rest: dict[str, object]) -> object:
    if branch is False:
        return False
    if isinstance(branch, dict):
        return conjunction(rest, branch) if rest else branch
    return rest


def provably_disjoint(first: object, second: object) -> bool:
    """True only when no document can satisfy both (types or enum values that cannot meet)."""
    if first is False or second is False:
        return True
    if not isinstance(first, dict) or not isinstance(second, dict):
        return False
    if not instance_types(first) & instance_types(second):
        return True
    first_values, second_values = _enum_values(first), _enum_values(second)
    if first_values is not None and second_values is not None:
        return not any(value in second_values for value in first_values)
    return False


def _enum_values(schema: dict[str, object]) -> list[object] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return values if isinstance(values, list) else None
