"""Kafka's `ConfigDef`: typed, documented config keys parsed from string properties.

Connector configs arrive as string maps (REST bodies, properties files). Each key parses its
string the way Kafka's `ConfigDef.parseType` does (trimmed strings, comma-separated lists,
case-insensitive booleans), then runs its validator. Error texts are Kafka's own, because
REST clients and UIs show them verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from kanal_connect.errors import InvalidConnectorConfig


class ConfigType(Enum):
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Width(Enum):
    NONE = "NONE"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT_VALUE"


NO_DEFAULT = _NoDefault()


class ConfigValueError(ValueError):
    """Raised by a validator with the reason a value is invalid.

    By default the reason becomes the tail of Kafka's `ConfigException(name, value, reason)`
    text; `verbatim` keeps it whole (Kafka's one-argument `ConfigException(message)`), and
    `key` names another config in the text, as some of Kafka's validators do."""

    def __init__(self, reason: str, *, verbatim: bool = False, key: str | None = None) -> None:
        super().__init__(reason)
        self.verbatim = verbatim
        self.key = key


Validator = Callable[[str, object], None]

_LIST_SPLIT = re.compile(r"\s*,\s*")
_INT_BITS = {ConfigType.SHORT: 16, ConfigType.INT: 32, ConfigType.LONG: 64}
_INT_WORDS = {ConfigType.SHORT: "16-bit", ConfigType.INT: "32-bit", ConfigType.LONG: "64-bit"}


@dataclass(frozen=True, slots=True)
class ConfigKey:
    """One documented key; `default` is NO_DEFAULT for a required key."""

    name: str
    type: ConfigType
    default: object
    importance: Importance
    documentation: str
    validator: Validator | None = None
    group: str | None = None
    order_in_group: int = -1
    width: Width = Width.NONE
    display_name: str | None = None
    dependents: tuple[str, ...] = ()
    recommended_values: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


@dataclass
class ConfigDef:
    """An ordered set of keys, as a transformation's `config_def()` returns it."""

    keys: dict[str, ConfigKey] = field(default_factory=dict)

    def define(
        self,
        name: str,
        config_type: ConfigType,
        default: object,
        importance: Importance,
        documentation: str,
        *,
        validator: Validator | None = None,
        recommended_values: Sequence[str] = (),
    ) -> ConfigDef:
        if name in self.keys:
            raise ValueError(f"Configuration {name} is defined twice.")
        self.keys[name] = ConfigKey(
            name,
            config_type,
            default,
            importance,
            documentation,
            validator,
            display_name=name,
            recommended_values=tuple(recommended_values),
        )
        return self

    def __iter__(self) -> Iterator[ConfigKey]:
        return iter(self.keys.values())

    def parse(self, props: Mapping[str, object]) -> dict[str, object]:
        """Every key's parsed value; raise InvalidConnectorConfig listing every bad key."""
        parsed: dict[str, object] = {}
        errors: dict[str, list[str]] = {}
        for key in self:
            try:
                parsed[key.name] = parse_key(key, props)
            except InvalidConnectorConfig as error:
                errors.setdefault(key.name, []).append(error.message)
        if errors:
            raise InvalidConnectorConfig(field_errors=errors)
        return parsed


def parse_key(
    key: ConfigKey, props: Mapping[str, object], *, validator_name: str | None = None
) -> object:
    """Parse and validate one key from `props` (missing -> default).

    `validator_name` is the name a validator's message shows: Kafka calls the validators of
    an embedded (prefixed) key with the key's own, unprefixed name."""
    if key.name in props:
        value = parse_type(key.name, props[key.name], key.type)
    elif key.required:
        text = f'Missing required configuration "{key.name}" which has no default value.'
        raise InvalidConnectorConfig(text, {key.name: [text]})
    else:
        value = key.default
    if key.validator is not None:
        try:
            key.validator(key.name, value)
        except ConfigValueError as error:
            if error.verbatim:
                raise InvalidConnectorConfig(str(error), {key.name: [str(error)]}) from None
            text = (
                f"Invalid value {java_to_string(value)} for configuration "
                f"{error.key or validator_name or key.name}: {error}"
            )
            raise InvalidConnectorConfig(text, {key.name: [text]}) from None
    return value


def parse_type(name: str, value: object, config_type: ConfigType) -> object:
    """Kafka's `ConfigDef.parseType` for the string (or already typed) forms we accept."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else None
    if config_type is ConfigType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise InvalidConnectorConfig.for_value(
            name, value, "Expected value to be either true or false"
        )
    if config_type in (ConfigType.STRING, ConfigType.PASSWORD, ConfigType.CLASS):
        if text is None:
            raise InvalidConnectorConfig.for_value(
                name, value, "Expected value to be a string, but it was a " + type(value).__name__
            )
        return text
    if config_type is ConfigType.LIST:
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        if text is None:
            raise InvalidConnectorConfig.for_value(name, value, "Expected a comma separated list.")
        return _LIST_SPLIT.split(text) if text else []
    if config_type is ConfigType.DOUBLE:
        try:
            if isinstance(value, bool):
                return _bad_number(name, value, "DOUBLE")
            return float(value) if isinstance(value, int | float) else float(str(value))
        except ValueError:
            return _bad_number(name, value, "DOUBLE")
    bits = _INT_BITS[config_type]
    try:
        number = int(text) if text is not None else int(value) if isinstance(value, int) else None
    except ValueError:
        number = None
    if number is None or not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        return _bad_number(name, value, config_type.name)
    return number


def _bad_number(name: str, value: object, type_name: str) -> object:
    raise InvalidConnectorConfig.for_value(name, value, f"Not a number of type {type_name}")


def java_to_string(value: object) -> str:
    """Java's `toString` of a parsed config value, as ConfigException texts show it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_to_string(item) for item in value) + "]"
    return str(value)


def render(value: object, config_type: ConfigType) -> str | None:
    """Kafka's `ConfigDef.convertToString`: how values and defaults appear in REST answers."""
    if value is None or value is NO_DEFAULT:
        return None
    if config_type is ConfigType.LIST and isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    if config_type is ConfigType.PASSWORD:
        return "[hidden]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
