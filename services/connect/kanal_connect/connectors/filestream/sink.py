"""`FileStreamSink`: each record's value, as text, appended as a line to `file` (standard
output when unset). Writes go through a thread and are flushed on `flush`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from typing import IO

from kanal.types import TopicPartition

from kanal_connect.api import ConnectorContext, SinkConnector, SinkTask, SinkTaskContext
from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import non_empty_list
from kanal_connect.data.record import SinkRecord

VERSION = "0.1.0"


def config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define("file", ConfigType.STRING, None, Importance.HIGH,
                "Destination filename; standard output when unset.")
        .define("topics", ConfigType.LIST, NO_DEFAULT, Importance.HIGH, "Topics to consume.",
                validator=non_empty_list)
    )


class FileStreamSinkTask(SinkTask):
    def __init__(self) -> None:
        self._out: IO[str] | None = None
        self._owned = False

    def version(self) -> str:
        return VERSION

    async def start(self, props: Mapping[str, str], context: SinkTaskContext) -> None:
        filename = config_def().parse(props)["file"]
        if filename is None:
            self._out = sys.stdout
        else:
            self._out = await asyncio.to_thread(open, str(filename), "a", encoding="utf-8")
            self._owned = True

    async def put(self, records: Sequence[SinkRecord]) -> None:
        text = "".join(f"{_text(r.value)}\n" for r in records)
        if text and self._out is not None:
            await asyncio.to_thread(self._out.write, text)

    async def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        if self._out is not None:
            await asyncio.to_thread(self._out.flush)

    async def stop(self) -> None:
        if self._out is not None and self._owned:
            await asyncio.to_thread(self._out.close)
        self._out = None


def _text(value: object) -> str:
    """Java's `String.valueOf`, as Kafka's sink writes values."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


class FileStreamSink(SinkConnector):
    aliases = ("org.apache.kafka.connect.file.FileStreamSinkConnector",)

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return config_def()

    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None:
        config_def().parse(props)
        self._props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return FileStreamSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max(1, max_tasks))]

    async def stop(self) -> None:
        self._props = {}
