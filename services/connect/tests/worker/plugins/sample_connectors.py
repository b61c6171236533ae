"""Connectors for the worker's tests, loaded with `--plugin-module sample_connectors`
(this folder on PYTHONPATH): a counting source and a sink that appends to a file."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from kanal.types import TopicPartition
from kanal_connect.api import (
    ConnectorContext,
    SinkConnector,
    SinkTask,
    SinkTaskContext,
    SourceConnector,
    SourceTask,
    SourceTaskContext,
)
from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.data.record import SinkRecord, SourceRecord
from kanal_connect.data.schema import STRING
from kanal_connect.errors import RetriableError


class CounterSourceTask(SourceTask):
    """Emits "<task>-<n>" for n = 0, 1, ... up to `count`, resuming after the stored n."""

    def version(self) -> str:
        return "1.0"

    async def start(self, props: Mapping[str, str], context: SourceTaskContext) -> None:
        self.topic = props["topic"]
        self.task = props["task.number"]
        self.count = int(props.get("count", "100"))
        self.partition = {"task": self.task}
        stored = await context.offset_storage_reader.offset(self.partition)
        self.next = int(str(stored["position"])) + 1 if stored else 0
        if props.get("fail.on.start") == "true":
            raise RuntimeError("asked to fail on start")

    async def poll(self) -> list[SourceRecord]:
        if self.next >= self.count:
            await asyncio.sleep(0.2)
            return []
        end = min(self.count, self.next + 10)
        records = [
            SourceRecord(topic=self.topic, key_schema=STRING, key=self.task,
                         value_schema=STRING, value=f"{self.task}-{n}",
                         source_partition=self.partition, source_offset={"position": n})
            for n in range(self.next, end)
        ]
        self.next = end
        return records

    async def stop(self) -> None:
        return None


class CounterSource(SourceConnector):
    aliases = ("org.kanal.test.CounterSourceConnector",)

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING, None, Importance.HIGH, "Topic to write to.")
            .define("count", ConfigType.INT, 100, Importance.MEDIUM, "Records per task.")
        )

    def validate_extra(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        if not props.get("topic"):
            return {"topic": ["topic must name the topic to write to"]}
        return {}

    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None:
        self.props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return CounterSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "task.number": str(n)} for n in range(max_tasks)]

    async def stop(self) -> None:
        return None


class FileSinkTask(SinkTask):
    """Appends each value to `file`; a value equal to `fail.on` fails the task, one equal
    to `retry.on` raises RetriableError once; `seek.to` rewinds every partition it opens.
    A value equal to `report.on` is held until the next flush and then handed to the errant
    record reporter, as a sink that buffers across puts refuses a record late."""

    def version(self) -> str:
        return "1.0"

    async def start(self, props: Mapping[str, str], context: SinkTaskContext) -> None:
        self.context = context
        self.seek_to = props.get("seek.to")
        self.path = Path(props["file"])
        self.fail_on = props.get("fail.on")
        self.retry_on = props.get("retry.on")
        self.report_on = props.get("report.on")
        self.held: list[SinkRecord] = []
        self.retried = False

    async def open(self, partitions: Sequence[TopicPartition]) -> None:
        # A sink that keeps its own offsets resumes from them like this.
        if self.seek_to is not None:
            self.context.offset(dict.fromkeys(partitions, int(self.seek_to)))

    async def put(self, records: Sequence[SinkRecord]) -> None:
        lines = []
        for record in records:
            if self.fail_on is not None and record.value == self.fail_on:
                raise RuntimeError(f"refusing {record.value}")
            if record.value == self.retry_on and not self.retried:
                self.retried = True
                raise RetriableError("try again")
            if self.report_on is not None and record.value == self.report_on:
                self.held.append(record)
                continue
            lines.append(f"{record.value}\n")
        with self.path.open("a") as out:
            out.writelines(lines)

    async def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        held, self.held = self.held, []
        reporter = self.context.errant_record_reporter
        for record in held:
            if reporter is None:
                raise RuntimeError(f"refusing {record.value}")
            await reporter.report(record, RuntimeError(f"refusing {record.value} late"))

    async def stop(self) -> None:
        return None


class FileSink(SinkConnector):
    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return ConfigDef().define("file", ConfigType.STRING, None, Importance.HIGH,
                                  "File to append values to.")

    def validate_extra(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        return {} if props.get("file") else {"file": ["file is required"]}

    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None:
        self.props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return FileSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props) for _ in range(max_tasks)]

    async def stop(self) -> None:
        return None
