"""The settings every schema-registry converter takes, under Confluent's names.

    schema.registry.url              comma-separated registry URLs (the worker's
                                     --schema-registry-url when the connector names none)
    auto.register.schemas            register the schema derived from the Connect schema
                                     (true); false: look its id up, and fail when absent
    use.latest.version               write with the subject's latest version instead (false;
                                     only read when auto.register.schemas is false, as Confluent)
    normalize.schemas                let the registry normalize before registering (false)
    latest.cache.ttl.sec             how long the latest version is cached (-1: until replaced)
    key.subject.name.strategy        Confluent's TopicNameStrategy (default),
    value.subject.name.strategy      RecordNameStrategy or TopicRecordNameStrategy, by class
                                     name or simple name
    schemas.cache.config             how many schemas the converter keeps converted (1000)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kanal.serde.subject_names import (
    SubjectNameStrategy,
    record_name_strategy,
    topic_name_strategy,
    topic_record_name_strategy,
)

from kanal_connect.config.definition import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfigValueError,
    Importance,
)
from kanal_connect.config.validators import non_empty_list
from kanal_connect.converters.base import CONVERTER_TYPE_CONFIG

SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url"
AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas"
USE_LATEST_VERSION_CONFIG = "use.latest.version"
NORMALIZE_SCHEMAS_CONFIG = "normalize.schemas"
LATEST_CACHE_TTL_CONFIG = "latest.cache.ttl.sec"
KEY_SUBJECT_NAME_STRATEGY_CONFIG = "key.subject.name.strategy"
VALUE_SUBJECT_NAME_STRATEGY_CONFIG = "value.subject.name.strategy"
SCHEMAS_CACHE_CONFIG = "schemas.cache.config"

_STRATEGY_PACKAGE = "io.confluent.kafka.serializers.subject."
STRATEGIES: dict[str, SubjectNameStrategy] = {
    "TopicNameStrategy": topic_name_strategy,
    "RecordNameStrategy": record_name_strategy,
    "TopicRecordNameStrategy": topic_record_name_strategy,
}
STRATEGIES |= {_STRATEGY_PACKAGE + name: strategy for name, strategy in list(STRATEGIES.items())}
DEFAULT_STRATEGY = _STRATEGY_PACKAGE + "TopicNameStrategy"


def _known_strategy(_name: str, value: object) -> None:
    if str(value) not in STRATEGIES:
        raise ConfigValueError(
            f"Class {value} could not be found; one of {', '.join(sorted(STRATEGIES))}"
        )


def registry_config_def() -> ConfigDef:
    """The shared keys; a format adds its own to the same ConfigDef."""
    strategy_doc = "How the registry subject is named from the topic and the record's name."
    return (
        ConfigDef()
        .define(SCHEMA_REGISTRY_URL_CONFIG, ConfigType.LIST, NO_DEFAULT, Importance.HIGH,
                "Comma-separated URLs of the schema registry.", validator=non_empty_list)
        .define(AUTO_REGISTER_SCHEMAS_CONFIG, ConfigType.BOOLEAN, True, Importance.MEDIUM,
                "Register the schema of written records when the subject lacks it.")
        .define(USE_LATEST_VERSION_CONFIG, ConfigType.BOOLEAN, False, Importance.LOW,
                "Write with the subject's latest schema (with auto.register.schemas=false).")
        .define(NORMALIZE_SCHEMAS_CONFIG, ConfigType.BOOLEAN, False, Importance.LOW,
                "Normalize schemas before registering or looking them up.")
        .define(LATEST_CACHE_TTL_CONFIG, ConfigType.LONG, -1, Importance.LOW,
                "Seconds the latest version of a subject is cached; -1 for no expiry.")
        .define(KEY_SUBJECT_NAME_STRATEGY_CONFIG, ConfigType.CLASS, DEFAULT_STRATEGY,
                Importance.MEDIUM, strategy_doc, validator=_known_strategy)
        .define(VALUE_SUBJECT_NAME_STRATEGY_CONFIG, ConfigType.CLASS, DEFAULT_STRATEGY,
                Importance.MEDIUM, strategy_doc, validator=_known_strategy)
        .define(SCHEMAS_CACHE_CONFIG, ConfigType.INT, 1000, Importance.LOW,
                "How many schemas the converter keeps converted.")
        .define(CONVERTER_TYPE_CONFIG, ConfigType.STRING, None, Importance.LOW,
                "How this converter will be used.")
    )


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    urls: tuple[str, ...]
    """The registry's base URLs, tried in order."""
    is_key: bool
    """Whether the converter serializes keys (subjects end in -key)."""
    auto_register: bool = True
    """Register unknown schemas; otherwise look them up."""
    use_latest_version: bool = False
    """Write with the subject's latest version (only without auto registration)."""
    normalize: bool = False
    """Ask the registry to normalize the schema text."""
    latest_ttl_s: float | None = None
    """Expiry of the cached latest version; None keeps it until it is replaced."""
    subject_name_strategy: SubjectNameStrategy = topic_name_strategy
    """(topic, is_key, record name) -> subject."""
    cache_capacity: int = 1000
    """Converted schemas kept per converter, on each side."""

    @classmethod
    def from_parsed(cls, parsed: Mapping[str, object], is_key: bool) -> RegistrySettings:
        """From `registry_config_def().parse(...)` (which checked the URL list)."""
        urls = parsed[SCHEMA_REGISTRY_URL_CONFIG]
        strategy_key = KEY_SUBJECT_NAME_STRATEGY_CONFIG if is_key else (
            VALUE_SUBJECT_NAME_STRATEGY_CONFIG)
        ttl = int(str(parsed[LATEST_CACHE_TTL_CONFIG]))
        return cls(
            urls=tuple(str(url) for url in urls) if isinstance(urls, list) else (),
            is_key=is_key,
            auto_register=bool(parsed[AUTO_REGISTER_SCHEMAS_CONFIG]),
            use_latest_version=bool(parsed[USE_LATEST_VERSION_CONFIG]),
            normalize=bool(parsed[NORMALIZE_SCHEMAS_CONFIG]),
            latest_ttl_s=None if ttl < 0 else float(ttl),
            subject_name_strategy=STRATEGIES[str(parsed[strategy_key])],
            cache_capacity=max(1, int(str(parsed[SCHEMAS_CACHE_CONFIG]))),
        )
