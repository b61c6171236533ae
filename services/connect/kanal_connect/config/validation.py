"""The body of Kafka Connect's `PUT /connector-plugins/{plugin}/config/validate`:

{"name": ..., "error_count": n, "groups": [...],
 "configs": [{"definition": {"name", "type", "required", "default_value", "importance",
                             "documentation", "group", "order", "width", "display_name",
                             "dependents"},
              "value": {"name", "value", "recommended_values", "errors", "visible"}}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kanal_connect.config.definition import ConfigKey, render
from kanal_connect.errors import InvalidConnectorConfig


@dataclass
class ConfigResult:
    """One key's definition and its validated value (Kafka's ConfigKeyInfo + ConfigValueInfo)."""

    key: ConfigKey
    raw: object = None
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        key = self.key
        return {
            "definition": {
                "name": key.name,
                "type": key.type.value,
                "required": key.required,
                "default_value": render(key.default, key.type),
                "importance": key.importance.value,
                "documentation": key.documentation,
                "group": key.group,
                "order": key.order_in_group,
                "width": key.width.value,
                "display_name": key.display_name,
                "dependents": list(key.dependents),
            },
            "value": {
                "name": key.name,
                "value": render(self.raw, key.type),
                "recommended_values": list(key.recommended_values),
                "errors": list(self.errors),
                "visible": True,
            },
        }


@dataclass
class ValidationReport:
    """Every key checked for a connector config, in definition order."""

    name: str
    groups: list[str] = field(default_factory=list)
    results: list[ConfigResult] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(len(result.errors) for result in self.results)

    def field_errors(self) -> dict[str, list[str]]:
        return {r.key.name: list(r.errors) for r in self.results if r.errors}

    def raise_for_errors(self) -> None:
        errors = self.field_errors()
        if errors:
            raise InvalidConnectorConfig(field_errors=errors)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "error_count": self.error_count,
            "groups": list(self.groups),
            "configs": [result.to_json() for result in self.results],
        }

    def add_group(self, group: str) -> None:
        if group not in self.groups:
            self.groups.append(group)

    def result(self, name: str) -> ConfigResult | None:
        for candidate in self.results:
            if candidate.key.name == name:
                return candidate
        return None


def raw_value(props: Mapping[str, object], key: ConfigKey) -> object:
    return props.get(key.name, key.default if not key.required else None)
