"""A config, global or per subject: Confluent's `/config` object.

    compatibility (or compatibilityLevel)  a CompatibilityLevel; 42203 for any other value
    normalize                               register and look up schemas normalized, as if
                                            every request said `?normalize=true`
    alias                                   the subject this one stands for (stored, echoed)
    compatibilityGroup                      a metadata property splitting versions into groups
    defaultMetadata, overrideMetadata       {"tags": {str: [str]}, "properties": {str: str},
                                            "sensitive": [str]}
    defaultRuleSet, overrideRuleSet         {"migrationRules" | "domainRules" | "encodingRules":
                                            [rule, ...]}, rules as Confluent's data contracts
                                            spell them

Every field is optional: a PUT changes the fields it names and keeps the others (Confluent's
`ConfigValue.update`), and a subject's unset field falls back to the global one. Alias, group,
metadata and rule sets are stored and answered for the clients that send them; registrations
do not apply them. Values of the wrong JSON type or an unknown rule kind/mode are refused with
422, as Confluent's JSON mapping refuses them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kanal_registry.compatibility import CompatibilityLevel
from kanal_registry.errors import InvalidCompatibilityLevel, UnprocessableEntity

JsonObject = Mapping[str, Any]
_T = TypeVar("_T")

_RULE_KINDS = frozenset({"TRANSFORM", "CONDITION"})
_RULE_MODES = frozenset({"UPGRADE", "DOWNGRADE", "UPDOWN", "WRITE", "READ", "WRITEREAD"})
_RULE_LISTS = ("migrationRules", "domainRules", "encodingRules")


@dataclass(frozen=True, slots=True)
class SubjectConfig:
    compatibility_level: CompatibilityLevel | None = None
    normalize: bool | None = None
    alias: str | None = None
    compatibility_group: str | None = None
    default_metadata: JsonObject | None = None
    override_metadata: JsonObject | None = None
    default_rule_set: JsonObject | None = None
    override_rule_set: JsonObject | None = None

    @classmethod
    def from_json(cls, body: object) -> SubjectConfig:
        """A PUT body or a stored CONFIG value, checked field by field."""
        if not isinstance(body, Mapping):
            raise UnprocessableEntity("The request body must be a JSON object")
        return cls(
            compatibility_level=_level(body),
            normalize=_optional(body, "normalize", bool),
            alias=_optional(body, "alias", str),
            compatibility_group=_optional(body, "compatibilityGroup", str),
            default_metadata=_checked(body, "defaultMetadata", _metadata),
            override_metadata=_checked(body, "overrideMetadata", _metadata),
            default_rule_set=_checked(body, "defaultRuleSet", _rule_set),
            override_rule_set=_checked(body, "overrideRuleSet", _rule_set),
        )

    def to_json(self, *, level_field: str = "compatibilityLevel") -> dict[str, object]:
        """Confluent's field names, unset fields left out (Jackson's NON_EMPTY). GET answers
        name the level `compatibilityLevel`, PUT answers echo the request's `compatibility`."""
        fields: dict[str, object] = {}
        if self.alias is not None:
            fields["alias"] = self.alias
        if self.normalize is not None:
            fields["normalize"] = self.normalize
        if self.compatibility_level is not None:
            fields[level_field] = self.compatibility_level.value
        for name, value in (("compatibilityGroup", self.compatibility_group),
                            ("defaultMetadata", self.default_metadata),
                            ("overrideMetadata", self.override_metadata),
                            ("defaultRuleSet", self.default_rule_set),
                            ("overrideRuleSet", self.override_rule_set)):
            if value is not None:
                fields[name] = value
        return fields

    def over(self, base: SubjectConfig) -> SubjectConfig:
        """This config's fields where set, `base`'s elsewhere."""
        changes = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                   if getattr(self, f.name) is not None}
        return dataclasses.replace(base, **changes)

    @property
    def is_empty(self) -> bool:
        return self == SubjectConfig()


def _level(body: Mapping[str, object]) -> CompatibilityLevel | None:
    value = body.get("compatibility")
    if value is None:
        value = body.get("compatibilityLevel")
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCompatibilityLevel(f"Invalid compatibility level {value!r}")
    return CompatibilityLevel.parse(value)


def _optional(body: Mapping[str, object], name: str, kind: type[_T]) -> _T | None:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise UnprocessableEntity(f"Field {name!r} must be a {_json_type(kind)}")
    return value


def _checked(body: Mapping[str, object], name: str,
             check: Callable[[str, object], None]) -> JsonObject | None:
    value = body.get(name)
    if value is None:
        return None
    check(name, value)
    assert isinstance(value, Mapping)
    return value


def _metadata(name: str, value: object) -> None:
    fields = _object(name, value)
    tags = _object(f"{name}.tags", fields.get("tags") or {})
    for tag, paths in tags.items():
        _strings(f"{name}.tags.{tag}", paths)
    for key, text in _object(f"{name}.properties", fields.get("properties") or {}).items():
        if not isinstance(text, str):
            raise UnprocessableEntity(f"Field '{name}.properties.{key}' must be a string")
    _strings(f"{name}.sensitive", fields.get("sensitive") or [])


def _rule_set(name: str, value: object) -> None:
    fields = _object(name, value)
    for group in _RULE_LISTS:
        rules = fields.get(group) or []
        if not isinstance(rules, list):
            raise UnprocessableEntity(f"Field '{name}.{group}' must be a list")
        for index, rule in enumerate(rules):
            _rule(f"{name}.{group}[{index}]", rule)


def _rule(where: str, value: object) -> None:
    rule = _object(where, value)
    if not isinstance(rule.get("name"), str) or not rule["name"]:
        raise UnprocessableEntity(f"Field '{where}.name' must be a non-empty string")
    for field, allowed in (("kind", _RULE_KINDS), ("mode", _RULE_MODES)):
        given = rule.get(field)
        if given is not None and given not in allowed:
            raise UnprocessableEntity(
                f"Field '{where}.{field}' must be one of {', '.join(sorted(allowed))}")
    for field in ("type", "expr", "onSuccess", "onFailure", "doc"):
        if rule.get(field) is not None and not isinstance(rule[field], str):
            raise UnprocessableEntity(f"Field '{where}.{field}' must be a string")
    _strings(f"{where}.tags", rule.get("tags") or [])
    for key, text in _object(f"{where}.params", rule.get("params") or {}).items():
        if not isinstance(text, str):
            raise UnprocessableEntity(f"Field '{where}.params.{key}' must be a string")
    if rule.get("disabled") is not None and not isinstance(rule["disabled"], bool):
        raise UnprocessableEntity(f"Field '{where}.disabled' must be a boolean")


def _object(where: str, value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise UnprocessableEntity(f"Field {where!r} must be a JSON object")
    return value


def _strings(where: str, value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UnprocessableEntity(f"Field {where!r} must be a list of strings")


def _json_type(kind: type) -> str:
    return {bool: "boolean", str: "string"}.get(kind, kind.__name__)
