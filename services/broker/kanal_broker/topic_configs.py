"""A partition's effective topic config: the topic's overrides over the broker-level defaults
in etcd over Kafka's defaults."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from kanal.errors import KanalError
from kanal.meta.documents import TopicSpec
from kanal.topic_config import TOPIC_CONFIGS, TopicConfig

log = logging.getLogger(__name__)


def effective_config(spec: TopicSpec, broker_defaults: Mapping[str, str]) -> TopicConfig:
    """The topic's overrides over the broker-level defaults over Kafka's. A value this
    version cannot read is skipped (and logged) rather than making the partition unavailable."""
    return TopicConfig.resolve(_readable(spec.configs, f"topic {spec.name}"),
                               _readable(broker_defaults, "broker config"))


def _readable(configs: Mapping[str, str], where: str) -> dict[str, str]:
    usable: dict[str, str] = {}
    for name, raw in configs.items():
        definition = TOPIC_CONFIGS.get(name)
        try:
            if definition is None:
                raise KanalError(f"unknown config {name}")
            definition.parse(raw)
        except KanalError as exc:
            log.error("%s: ignoring config %s=%r: %s", where, name, raw, exc)
            continue
        usable[name] = raw
    return usable
