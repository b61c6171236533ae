"""Transformation chains from connector configs, read exactly as Kafka Connect reads them:

    transforms=route,mask                      aliases, applied in this order
    transforms.route.type=RegexRouter          class name or alias
    transforms.route.<key>=...                 the SMT's own settings
    transforms.route.predicate=isTest          optional: apply only when the predicate holds
    transforms.route.negate=true               ... or only when it does not
    predicates=isTest
    predicates.isTest.type=...TopicNameMatches
    predicates.isTest.<key>=...

`validate_chain_config` answers with the REST validation shape (see `config.validation`);
`build_chain` validates, then instantiates and configures every stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from kanal_connect.chain_validation import (
    IMPLICIT_TRANSFORM_KEYS,
    PREDICATES_KEY,
    TRANSFORMS_KEY,
    aliases,
    validate_chain_config,
)
from kanal_connect.config.definition import parse_key
from kanal_connect.config.validation import ValidationReport
from kanal_connect.data.record import ConnectRecord
from kanal_connect.errors import InvalidConnectorConfig
from kanal_connect.predicates import PREDICATES, Predicate
from kanal_connect.transforms import TRANSFORMATIONS, Transformation

R = TypeVar("R", bound=ConnectRecord)

__all__ = ["TransformationChain", "TransformationStage", "build_chain", "validate_chain_config"]


@dataclass(frozen=True, slots=True)
class TransformationStage:
    """One SMT, applied when its predicate (if any) holds, or does not when negated."""

    alias: str
    transformation: Transformation
    predicate: Predicate | None = None
    negate: bool = False

    def apply(self, record: R) -> R | None:
        if self.predicate is not None and self.negate == self.predicate.test(record):
            return record
        return self.transformation.apply(record)


@dataclass(frozen=True, slots=True)
class TransformationChain:
    stages: tuple[TransformationStage, ...] = ()

    def apply(self, record: R) -> R | None:
        """The record after every stage, or None once a stage drops it."""
        current: R | None = record
        for stage in self.stages:
            if current is None:
                return None
            current = stage.apply(current)
        return current


def _sub_config(props: Mapping[str, object], prefix: str) -> dict[str, object]:
    return {
        k[len(prefix) :]: v
        for k, v in props.items()
        if k.startswith(prefix) and k != prefix + "type"
    }


def _configured(
    plugin: Transformation | Predicate,
    props: Mapping[str, object],
    prefix: str,
    own: Mapping[str, object],
) -> None:
    """Configure a plugin, naming its keys with their full prefix in any error."""
    try:
        plugin.configure(own)
    except InvalidConnectorConfig as error:
        fields = {prefix + name: messages for name, messages in error.field_errors.items()}
        raise InvalidConnectorConfig(error.message, fields) from None


def build_chain(props: Mapping[str, object]) -> TransformationChain:
    """Validate, then build every stage; raise InvalidConnectorConfig with per-key errors."""
    validate_chain_config(props).raise_for_errors()
    predicates: dict[str, Predicate] = {}

    def predicate_for(alias: str) -> Predicate:
        if alias not in predicates:
            prefix = f"predicates.{alias}."
            predicate = PREDICATES[str(props[prefix + "type"]).strip()]()
            _configured(predicate, props, prefix, _sub_config(props, prefix))
            predicates[alias] = predicate
        return predicates[alias]

    for alias in aliases(ValidationReport(""), PREDICATES_KEY, props):
        predicate_for(alias)
    stages = []
    for alias in aliases(ValidationReport(""), TRANSFORMS_KEY, props):
        prefix = f"transforms.{alias}."
        transformation = TRANSFORMATIONS[str(props[prefix + "type"]).strip()]()
        own = _sub_config(props, prefix)
        reference = str(own.pop("predicate", None) or "").strip()
        negate = bool(parse_key(IMPLICIT_TRANSFORM_KEYS.keys["negate"], own))
        own.pop("negate", None)
        _configured(transformation, props, prefix, own)
        predicate = predicate_for(reference) if reference else None
        stages.append(TransformationStage(alias, transformation, predicate, negate))
    return TransformationChain(tuple(stages))
