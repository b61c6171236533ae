"""AlterConfigs: incremental changes to topic configs and to broker-level config overrides.

Broker configs live in `config/brokers/<id>` (one broker) and `config/brokers/default` (every
broker) as a JSON object of name -> value. The names are topic config names: a broker-level
value is the default for topics that do not set their own (see `TopicConfig.resolve`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from kanal.errors import (
    InvalidConfig,
    InvalidRequest,
    RequestTimedOut,
    UnknownTopicOrPartition,
)
from kanal.meta.etcd import Delete, Etcd, Op, Put, unchanged_since
from kanal.meta.layout import Layout
from kanal.topic_config import TOPIC_CONFIGS, validate_topic_configs, validate_topic_name

from kanal_controller.catalog import Catalog
from kanal_controller.fenced_writes import FencedWriter

_WRITE_ATTEMPTS = 3


def apply_changes(current: Mapping[str, str], set_: Mapping[str, str],
                  delete: Sequence[str]) -> dict[str, str]:
    """`current` with `set_` applied and `delete` removed, validated as topic configs."""
    both = set(set_) & set(delete)
    if both:
        raise InvalidRequest(f"configs both set and deleted: {sorted(both)}")
    unknown = sorted(n for n in delete if n not in TOPIC_CONFIGS)
    if unknown:
        raise InvalidConfig(f"unknown configs to delete: {unknown}")
    merged = {**current, **validate_topic_configs(set_)}
    for name in delete:
        merged.pop(name, None)
    return merged


def parse_broker_config(raw: bytes) -> dict[str, str]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InvalidConfig(f"stored broker config is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidConfig("stored broker config is not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def broker_config_target(name: str) -> int | None:
    """The broker a BROKER resource names: "" or "default" mean every broker (None)."""
    if name in ("", "default"):
        return None
    if not name.isdigit() or not name.isascii():
        raise InvalidRequest(f"broker resource name {name!r}: expected a broker id or 'default'")
    return int(name)


class Configs:
    def __init__(self, *, etcd: Etcd, catalog: Catalog, layout: Layout, writer: FencedWriter,
                 lock: asyncio.Lock) -> None:
        self._etcd = etcd
        self._catalog = catalog
        self._layout = layout
        self._writer = writer
        self._lock = lock

    async def alter_topic(self, name: str, set_: Mapping[str, str], delete: Sequence[str], *,
                          validate_only: bool) -> None:
        self._writer.fence()
        validate_topic_name(name)
        async with self._lock:
            for _ in range(_WRITE_ATTEMPTS):
                stored = await self._catalog.topic(name)
                if stored is None:
                    raise UnknownTopicOrPartition(f"topic {name!r} does not exist")
                merged = apply_changes(stored.spec.configs, set_, delete)
                if validate_only or merged == stored.spec.configs:
                    return
                key = self._layout.topic(name)
                spec = replace(stored.spec, configs=merged)
                guard = unchanged_since(key, stored.mod_revision)
                if await self._writer.commit([Put(key, spec.to_json())], guards=[guard]):
                    return
        raise RequestTimedOut(f"topic {name!r} kept changing under the config change; retry")

    async def alter_broker(self, name: str, set_: Mapping[str, str], delete: Sequence[str], *,
                           validate_only: bool) -> None:
        self._writer.fence()
        key = self._layout.broker_config(broker_config_target(name))
        async with self._lock:
            for _ in range(_WRITE_ATTEMPTS):
                entry = await self._etcd.get(key)
                current = parse_broker_config(entry.value) if entry else {}
                merged = apply_changes(current, set_, delete)
                if validate_only or merged == current:
                    return
                op: Op = (Put(key, json.dumps(merged, sort_keys=True).encode()) if merged
                          else Delete(key))
                guard = unchanged_since(key, entry.mod_revision if entry else 0)
                if await self._writer.commit([op], guards=[guard]):
                    return
        raise RequestTimedOut(f"broker config {name!r} kept changing; retry")

