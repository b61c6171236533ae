"""ConsumedOriginals (what a sink task may still send to the dead letter queue) answers like
a map of every kept record, keyed (topic, partition, offset), from which `forget` drops
whole polls below the finished offsets: checked against that model on random operations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from kanal.client.records import ConsumerRecord
from kanal.types import TopicPartition
from kanal_connect.runtime.consumed_originals import ConsumedOriginals

PARTITIONS = [TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)]
OPERATION = st.one_of(
    st.tuples(st.just("keep"), st.sampled_from(PARTITIONS), st.integers(0, 4)),
    st.tuples(st.just("forget"), st.sampled_from(PARTITIONS), st.integers(0, 40)),
)


def record(tp: TopicPartition, offset: int) -> ConsumerRecord:
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, b"v", (), -1, 1)


@given(st.lists(OPERATION, max_size=30))
def test_answers_like_a_map_of_kept_polls(operations: list[tuple[str, TopicPartition, int]]
                                          ) -> None:
    kept = ConsumedOriginals()
    model: dict[TopicPartition, list[list[ConsumerRecord]]] = {tp: [] for tp in PARTITIONS}
    next_offset = dict.fromkeys(PARTITIONS, 0)
    for action, tp, number in operations:
        if action == "keep":
            polled = [record(tp, next_offset[tp] + i) for i in range(number)]
            next_offset[tp] += number + 1  # a gap, as compaction or a skipped record leaves
            kept.keep(tp, polled)
            if polled:
                model[tp].append(polled)
        else:
            kept.forget({tp: number})
            while model[tp] and model[tp][0][-1].offset < number:
                model[tp].pop(0)
        for each in PARTITIONS:
            held = {r.offset: r for poll in model[each] for r in poll}
            for offset in range(next_offset[each] + 1):
                assert kept.get((each.topic, each.partition, offset)) == held.get(offset)
