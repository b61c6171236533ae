"""`DatagenSource`: connector and task.

Configs follow Confluent's datagen where they overlap: `kafka.topic`, `max.interval` (ms,
a random pause up to it between records), `iterations` (records per task, -1 forever),
`random.seed`; plus `records.per.second` for a steady rate (benchmarks). Offsets are
partition `{"datagen": <connector>, "task": n}`, offset `{"iteration": count}`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping

from kanal_connect.api import ConnectorContext, SourceConnector, SourceTask, SourceTaskContext
from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import non_empty_string
from kanal_connect.connectors.datagen.events import KEY_SCHEMA, VALUE_SCHEMA, event, event_rng
from kanal_connect.data.record import SourceRecord

VERSION = "0.1.0"
MAX_POLL_WAIT_S = 1.0
BATCH = 1000


def config_def() -> ConfigDef:
    low = Importance.LOW
    return (
        ConfigDef()
        .define("kafka.topic", ConfigType.STRING, NO_DEFAULT, Importance.HIGH,
                "Topic to write to.", validator=non_empty_string)
        .define("max.interval", ConfigType.LONG, 500, Importance.MEDIUM,
                "Maximum pause between records in ms (a random pause up to it); 0 for none.")
        .define("records.per.second", ConfigType.DOUBLE, 0.0, Importance.MEDIUM,
                "A steady rate per task instead of max.interval's random pauses; 0 unset.")
        .define("iterations", ConfigType.LONG, -1, Importance.MEDIUM,
                "Records per task before it goes idle; -1 for no limit.")
        .define("random.seed", ConfigType.LONG, None, low,
                "Seed for a reproducible sequence; unset for a random one.")
    )


class DatagenTask(SourceTask):
    def __init__(self) -> None:
        self._topic = ""
        self._max_interval_s = 0.5
        self._rate = 0.0
        self._iterations = -1
        self._seed: int | None = None
        self._task = 0
        self._count = 0
        self._partition: dict[str, object] = {}
        self._pacer = random.Random()
        self._next_at = 0.0

    def version(self) -> str:
        return VERSION

    async def start(self, props: Mapping[str, str], context: SourceTaskContext) -> None:
        values = config_def().parse(props)
        self._topic = str(values["kafka.topic"])
        self._max_interval_s = _number(values["max.interval"]) / 1000
        self._rate = _number(values["records.per.second"])
        self._iterations = int(_number(values["iterations"]))
        seed = values["random.seed"]
        self._seed = seed if isinstance(seed, int) else None
        self._task = int(props.get("task.id", "0"))
        self._partition = {"datagen": props.get("name", ""), "task": self._task}
        stored = await context.offset_storage_reader.offset(self._partition)
        count = (stored or {}).get("iteration", 0)
        self._count = count if isinstance(count, int) else 0
        self._pacer = random.Random(self._seed)
        self._next_at = time.monotonic()

    async def poll(self) -> list[SourceRecord]:
        if 0 <= self._iterations <= self._count:
            await asyncio.sleep(MAX_POLL_WAIT_S)
            return []
        due = self._due()
        if due == 0:
            await asyncio.sleep(min(MAX_POLL_WAIT_S, max(0.0, self._next_at - time.monotonic())))
            return []
        now_ms = int(time.time() * 1000)
        records = []
        for _ in range(due):
            self._count += 1
            key, value = event(event_rng(self._seed, self._task, self._count), now_ms)
            records.append(SourceRecord(
                topic=self._topic, key_schema=KEY_SCHEMA, key=key, value_schema=VALUE_SCHEMA,
                value=value, timestamp=now_ms, source_partition=self._partition,
                source_offset={"iteration": self._count},
            ))
        return records

    def _due(self) -> int:
        """How many records the rate allows now (at most a batch, within `iterations`)."""
        now = time.monotonic()
        if now < self._next_at:
            return 0
        left = BATCH if self._iterations < 0 else min(BATCH, self._iterations - self._count)
        if self._rate > 0:
            due = min(left, int((now - self._next_at) * self._rate) + 1)
            self._next_at += due / self._rate
            return due
        if self._max_interval_s > 0:
            self._next_at = now + self._pacer.uniform(0, self._max_interval_s)
            return 1
        return left

    async def stop(self) -> None:
        pass


def _number(value: object) -> float:
    assert isinstance(value, int | float)
    return value


class DatagenSource(SourceConnector):
    aliases = ("io.confluent.kafka.connect.datagen.DatagenConnector",)

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return config_def()

    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None:
        config_def().parse(props)
        self._props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return DatagenTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self._props, "task.id": str(i)} for i in range(max(1, max_tasks))]

    async def stop(self) -> None:
        self._props = {}
