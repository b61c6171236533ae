"""`FileStreamSource`: each new line of `file` becomes a STRING record on `topic`.

Offsets are Kafka's: partition `{"filename": file}`, offset `{"position": byte}` just after
the last line returned, so a restart continues with the next line. File reads go through a
thread (the worker's loop also serves REST)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from kanal_connect.api import ConnectorContext, SourceConnector, SourceTask, SourceTaskContext
from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import non_empty_string
from kanal_connect.data.record import SourceRecord
from kanal_connect.data.schema import STRING

VERSION = "0.1.0"
IDLE_WAIT_S = 1.0


def config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define("file", ConfigType.STRING, NO_DEFAULT, Importance.HIGH, "Source filename.",
                validator=non_empty_string)
        .define("topic", ConfigType.STRING, NO_DEFAULT, Importance.HIGH,
                "The topic to publish to.", validator=non_empty_string)
        .define("batch.size", ConfigType.INT, 2000, Importance.LOW,
                "The maximum number of records the task returns per poll.")
    )


class FileStreamSourceTask(SourceTask):
    def __init__(self) -> None:
        self._path = Path()
        self._topic = ""
        self._batch_size = 2000
        self._position = 0
        self._partition: dict[str, object] = {}

    def version(self) -> str:
        return VERSION

    async def start(self, props: Mapping[str, str], context: SourceTaskContext) -> None:
        values = config_def().parse(props)
        self._path = Path(str(values["file"]))
        self._topic = str(values["topic"])
        batch_size = values["batch.size"]
        assert isinstance(batch_size, int)
        self._batch_size = max(1, batch_size)
        self._partition = {"filename": str(self._path)}
        stored = await context.offset_storage_reader.offset(self._partition)
        position = (stored or {}).get("position", 0)
        self._position = position if isinstance(position, int) else 0

    async def poll(self) -> list[SourceRecord]:
        lines = await asyncio.to_thread(self._read_lines)
        if not lines:
            await asyncio.sleep(IDLE_WAIT_S)
            return []
        records = []
        for line, end in lines:
            records.append(SourceRecord(
                topic=self._topic, value_schema=STRING, value=line,
                source_partition=self._partition, source_offset={"position": end},
            ))
        self._position = lines[-1][1]
        return records

    def _read_lines(self) -> list[tuple[str, int]]:
        """Complete lines after the position, with the byte offset after each; a last line
        without its newline waits for the writer to finish it."""
        try:
            with self._path.open("rb") as handle:
                handle.seek(self._position)
                lines: list[tuple[str, int]] = []
                position = self._position
                for raw in handle:
                    if not raw.endswith(b"\n"):
                        break
                    position += len(raw)
                    lines.append((raw.rstrip(b"\r\n").decode(errors="replace"), position))
                    if len(lines) >= self._batch_size:
                        break
                return lines
        except FileNotFoundError:
            return []

    async def stop(self) -> None:
        pass


class FileStreamSource(SourceConnector):
    aliases = ("org.apache.kafka.connect.file.FileStreamSourceConnector",)

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
        return FileStreamSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props)]  # one file, one reader

    async def stop(self) -> None:
        self._props = {}
