"""DatagenSource: the seed guide's user events, reproducible with a seed, bounded."""

from __future__ import annotations

from contexts import SourceContext
from kanal_connect.connectors.datagen.connector import DatagenSource, DatagenTask
from kanal_connect.connectors.datagen.events import ACTIONS
from kanal_connect.data.record import SourceRecord
from kanal_connect.data.structs import Struct

PROPS = {"name": "gen", "kafka.topic": "user-events", "max.interval": "0",
         "iterations": "25", "random.seed": "42"}


async def generate(context: SourceContext, polls: int = 3) -> list[SourceRecord]:
    task = DatagenTask()
    await task.start(PROPS, context)
    records: list[SourceRecord] = []
    try:
        for _ in range(polls):
            batch = await task.poll()
            records += batch
            await context.store(task, batch)
            if len(records) >= 25:
                break
    finally:
        await task.stop()
    return records


def shape(record: SourceRecord) -> dict[str, object]:
    assert isinstance(record.value, Struct)
    return dict(record.value.items())


async def test_events_have_the_seed_guides_shape() -> None:
    records = await generate(SourceContext())
    assert len(records) == 25
    for record in records:
        value = shape(record)
        assert set(value) == {"user_id", "action", "timestamp"}
        assert value["action"] in ACTIONS
        assert record.key == f"user{value['user_id']}"
        assert record.topic == "user-events"


async def test_a_seed_makes_the_sequence_reproducible_across_restarts() -> None:
    whole = await generate(SourceContext())
    context = SourceContext()
    task = DatagenTask()
    await task.start({**PROPS, "iterations": "10"}, context)
    first = await task.poll()
    await context.store(task, first)
    await task.stop()
    rest = await generate(context)
    strip = [(r.key, shape(r)["action"]) for r in whole]
    assert [(r.key, shape(r)["action"]) for r in first + rest] == strip


async def test_rate_limit_spreads_records_over_polls() -> None:
    task = DatagenTask()
    await task.start({**PROPS, "records.per.second": "20", "iterations": "-1"},
                     SourceContext())
    try:
        first = await task.poll()
        assert 1 <= len(first) < 25  # one second at 20/s is far fewer than a batch
    finally:
        await task.stop()


def test_one_task_config_per_task_with_its_id() -> None:
    connector = DatagenSource()
    connector._props = dict(PROPS)
    assert [c["task.id"] for c in connector.task_configs(3)] == ["0", "1", "2"]
