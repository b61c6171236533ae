"""A connector for the `kanal connect` tests, loaded by the worker with
`--plugin-module cli_tick` (this folder on its PYTHONPATH): one record per poll, offsets
`{"tick": n}`, so the CLI has a running connector with offsets to show."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from kanal_connect.api import ConnectorContext, SourceConnector, SourceTask, SourceTaskContext
from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.data.record import SourceRecord
from kanal_connect.data.schema import STRING


class TickTask(SourceTask):
    def version(self) -> str:
        return "1.0"

    async def start(self, props: Mapping[str, str], context: SourceTaskContext) -> None:
        self.topic = props["topic"]
        stored = await context.offset_storage_reader.offset({"source": "tick"})
        self.next = int(str(stored["tick"])) + 1 if stored else 0

    async def poll(self) -> list[SourceRecord]:
        await asyncio.sleep(0.2)
        record = SourceRecord(
            topic=self.topic, value_schema=STRING, value=f"tick-{self.next}",
            source_partition={"source": "tick"}, source_offset={"tick": self.next},
        )  # fmt: skip
        self.next += 1
        return [record]

    async def stop(self) -> None:
        return None


class CliTickSource(SourceConnector):
    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return ConfigDef().define(
            "topic", ConfigType.STRING, None, Importance.HIGH, "Topic to write to."
        )

    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None:
        self.props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return TickTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    async def stop(self) -> None:
        return None
