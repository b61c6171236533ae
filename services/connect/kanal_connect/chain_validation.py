"""Validation of the `transforms` / `predicates` part of a connector config, answering in
the shape of Kafka Connect's `PUT /connector-plugins/{plugin}/config/validate` (see
`config.validation`). Keys, groups, display names and error texts are Kafka's: the alias lists
are in groups "Transforms" and "Predicates", each alias's keys in "Transforms: <alias>" /
"Predicates: <alias>", starting with its `type`; every transformation also has the implicit
`predicate` and `negate` keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from kanal_connect.config.definition import (
    NO_DEFAULT,
    ConfigDef,
    ConfigKey,
    ConfigType,
    Importance,
    Width,
    parse_key,
)
from kanal_connect.config.validation import ConfigResult, ValidationReport, raw_value
from kanal_connect.config.validators import unique
from kanal_connect.errors import InvalidConnectorConfig
from kanal_connect.predicates import PREDICATE_CLASSES, PREDICATES
from kanal_connect.transforms import TRANSFORMATION_CLASSES, TRANSFORMATIONS

T = TypeVar("T")


def _alias_key(name: str, display: str, doc: str, order: int, kind: str) -> ConfigKey:
    return ConfigKey(
        name,
        ConfigType.LIST,
        [],
        Importance.LOW,
        doc,
        unique(kind),
        display,
        order,
        Width.LONG,
        display,
    )


# Kafka numbers these in ConnectorConfig's common sequence: seven keys (name,
# connector.class, tasks.max, ...) come first, so `transforms` is 8 and `predicates` 9.
TRANSFORMS_KEY = _alias_key(
    "transforms",
    "Transforms",
    "Aliases for the transformations to be applied to records.",
    8,
    "transformation",
)
PREDICATES_KEY = _alias_key(
    "predicates",
    "Predicates",
    "Aliases for the predicates used by transformations.",
    9,
    "predicate",
)
IMPLICIT_TRANSFORM_KEYS = (
    ConfigDef()
    .define(
        "predicate",
        ConfigType.STRING,
        None,
        Importance.MEDIUM,
        "The alias of a predicate used to determine whether to apply this transformation.",
    )
    .define(
        "negate",
        ConfigType.BOOLEAN,
        False,
        Importance.MEDIUM,
        "Whether the configured predicate should be negated.",
    )
)


def _check(
    report: ValidationReport,
    key: ConfigKey,
    props: Mapping[str, object],
    validator_name: str | None = None,
) -> object:
    result = ConfigResult(key, raw_value(props, key))
    report.results.append(result)
    report.add_group(key.group or "")
    try:
        return parse_key(key, props, validator_name=validator_name)
    except InvalidConnectorConfig as error:
        result.errors.append(error.message)
        return None


def aliases(report: ValidationReport, key: ConfigKey, props: Mapping[str, object]) -> list[str]:
    parsed = _check(report, key, props)
    seen: list[str] = []
    for alias in parsed if isinstance(parsed, list) else []:
        if alias not in seen:
            seen.append(str(alias))
    return seen


def _plugin_section(
    report: ValidationReport,
    props: Mapping[str, object],
    *,
    prefix: str,
    kind: str,
    alias: str,
    registry: Mapping[str, Callable[[], T]],
    classes: Sequence[str],
    implicit: ConfigDef | None,
    config_def_of: Callable[[T], ConfigDef],
) -> None:
    group = f"{prefix.capitalize()}: {alias}"
    type_key = ConfigKey(
        f"{prefix}.{alias}.type",
        ConfigType.CLASS,
        NO_DEFAULT,
        Importance.HIGH,
        f"Class for the '{alias}' {kind.lower()}.",
        None,
        group,
        0,
        Width.LONG,
        f"{kind} type for {alias}",
        recommended_values=tuple(classes),
    )
    class_name = _check(report, type_key, props)
    if class_name is None:
        return
    type_errors = report.results[-1].errors
    factory = registry.get(str(class_name))
    if factory is None:
        type_errors.append(
            f"Invalid value {class_name} for configuration {type_key.name}: "
            f"Class {class_name} could not be found."
        )
        return
    negate, predicate = f"{prefix}.{alias}.negate", f"{prefix}.{alias}.predicate"
    if implicit is not None and negate in props and predicate not in props:
        type_errors.append(
            f"Config '{prefix}.{alias}.negate' was provided but there is no config "
            f"'{prefix}.{alias}.predicate' defining a predicate to be negated."
        )
    own = [k for k in config_def_of(factory()) if implicit is None or k.name not in implicit.keys]
    for order, key in enumerate(sorted([*(implicit or ()), *own], key=_embedding_order), start=1):
        embedded = dataclasses.replace(
            key,
            name=f"{prefix}.{alias}.{key.name}",
            group=group,
            order_in_group=order,
            display_name=key.display_name or key.name,
        )
        _check(report, embedded, props, validator_name=key.name)


_IMPORTANCE_ORDER = {Importance.HIGH: 0, Importance.MEDIUM: 1, Importance.LOW: 2}


def _embedding_order(key: ConfigKey) -> tuple[bool, int, str]:
    """Kafka's `ConfigDef.sortedConfigs` for ungrouped keys, the order `embed` adds them in:
    required keys first, then by importance, then by name."""
    return (not key.required, _IMPORTANCE_ORDER[key.importance], key.name)


def validate_chain_config(
    props: Mapping[str, object], connector_class: str = ""
) -> ValidationReport:
    """Check the `transforms` and `predicates` part of a connector config."""
    report = ValidationReport(connector_class)
    transform_aliases = aliases(report, TRANSFORMS_KEY, props)
    predicate_aliases = aliases(report, PREDICATES_KEY, props)
    for alias in transform_aliases:
        _plugin_section(
            report,
            props,
            prefix="transforms",
            kind="Transformation",
            alias=alias,
            registry=TRANSFORMATIONS,
            classes=TRANSFORMATION_CLASSES,
            implicit=IMPLICIT_TRANSFORM_KEYS,
            config_def_of=lambda t: t.config_def(),
        )
        reference = str(props.get(f"transforms.{alias}.predicate") or "").strip()
        found = report.result(f"transforms.{alias}.predicate")
        if not reference or found is None or reference in predicate_aliases:
            continue
        # Kafka looks a predicate up by its prefix alone, so one defined but not listed in
        # `predicates` still works; it is validated here like a listed one.
        if f"predicates.{reference}.type" in props:
            predicate_aliases.append(reference)
        else:
            found.errors.append(
                f"Invalid value {reference} for configuration transforms.{alias}.predicate: "
                f"Predicate '{reference}' is not defined in 'predicates'"
            )
    for alias in predicate_aliases:
        _plugin_section(
            report,
            props,
            prefix="predicates",
            kind="Predicate",
            alias=alias,
            registry=PREDICATES,
            classes=PREDICATE_CLASSES,
            implicit=None,
            config_def_of=lambda p: p.config_def(),
        )
    return report
