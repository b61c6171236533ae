"""FileStreamSource and FileStreamSink: a file through records and back, resuming from
the stored position."""

from __future__ import annotations

from pathlib import Path

import pytest
from contexts import ConnectorContextStub, SinkContext, SourceContext
from kanal.types import TopicPartition
from kanal_connect.connectors.filestream.sink import FileStreamSinkTask
from kanal_connect.connectors.filestream.source import FileStreamSource, FileStreamSourceTask
from kanal_connect.data.record import SinkRecord, SourceRecord
from kanal_connect.errors import InvalidConnectorConfig


async def read_all(path: Path, context: SourceContext, batch: str = "2") -> list[SourceRecord]:
    task = FileStreamSourceTask()
    await task.start({"file": str(path), "topic": "lines", "batch.size": batch}, context)
    records: list[SourceRecord] = []
    try:
        while batch_records := await task.poll():
            records += batch_records
            await context.store(task, batch_records)
    finally:
        await task.stop()
    return records


async def test_round_trip_and_resume(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("alpha\nbeta\r\ngamma\npartial")
    context = SourceContext()
    first = await read_all(source, context)
    assert [r.value for r in first] == ["alpha", "beta", "gamma"]
    assert first[-1].source_partition == {"filename": str(source)}
    assert first[-1].source_offset == {"position": len(b"alpha\nbeta\r\ngamma\n")}

    with source.open("a") as handle:
        handle.write(" line\ndelta\n")
    again = await read_all(source, context)
    assert [r.value for r in again] == ["partial line", "delta"]

    sink_file = tmp_path / "out.txt"
    sink = FileStreamSinkTask()
    await sink.start({"file": str(sink_file), "topics": "lines"}, SinkContext())
    tp = TopicPartition("lines", 0)
    await sink.put([
        SinkRecord(topic="lines", kafka_partition=0, kafka_offset=i, value=r.value)
        for i, r in enumerate(first + again)
    ])
    await sink.pre_commit({tp: 5})
    await sink.stop()
    assert sink_file.read_text() == "alpha\nbeta\ngamma\npartial line\ndelta\n"


async def test_source_connector_requires_file_and_topic() -> None:
    connector = FileStreamSource()
    with pytest.raises(InvalidConnectorConfig, match='"file"'):
        await connector.start({"topic": "t"}, ConnectorContextStub())
    assert "org.apache.kafka.connect.file.FileStreamSourceConnector" in connector.aliases
