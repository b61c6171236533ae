"""Follower side of leader epochs: where a follower of a new leader epoch cuts its log.

Kafka's KIP-101/279 exchange: the follower asks the leader where the follower's latest epoch
ended on the leader (OffsetForLeaderEpoch). The leader answers with the largest epoch it
knows that is not newer, and that epoch's end. If the follower holds that epoch too, both
logs agree up to the smaller of the two ends of that epoch; if not (the follower's own
epochs jump over it), the follower asks again for its largest epoch below the answer. So a
tail the old leader appended but never replicated is cut off, however many leader changes
happened in between.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kanal.records.header import iter_complete_batches

UNDEFINED = -1
# Each round moves to a strictly older epoch; this only bounds a misbehaving leader.
_MAX_ROUNDS = 64


@dataclass(frozen=True, slots=True)
class LocalLog:
    """What the follower's own log answers, as the exchange needs it."""

    log_end_offset: int
    high_watermark: int
    latest_epoch: int
    end_offset_for_epoch: Callable[[int], Awaitable[tuple[int, int]]]


async def truncation_offset(local: LocalLog,
                            ask_leader: Callable[[int], Awaitable[tuple[int, int]]]) -> int:
    """The offset to truncate the follower's log to before fetching (its log end when
    nothing needs to go). `ask_leader(epoch)` is one OffsetForLeaderEpoch round trip."""
    epoch = local.latest_epoch
    if epoch == UNDEFINED:
        # No epochs recorded: nothing written under any leader, or a log from before
        # epochs; what is known committed is all that can be trusted.
        return min(local.high_watermark, local.log_end_offset)
    for _ in range(_MAX_ROUNDS):
        leader_epoch, leader_end = await ask_leader(epoch)
        if UNDEFINED in (leader_epoch, leader_end):
            # The leader holds no epoch this old (its log start moved past it).
            return min(local.high_watermark, local.log_end_offset)
        own_epoch, own_end = await local.end_offset_for_epoch(leader_epoch)
        if own_epoch in (leader_epoch, UNDEFINED):
            end = local.log_end_offset if own_end == UNDEFINED else own_end
            return min(leader_end, end, local.log_end_offset)
        epoch = own_epoch  # the follower skipped the leader's epoch: ask about an older one
    return min(local.high_watermark, local.log_end_offset)


def epoch_end_on_leader(epoch: int, *, latest_epoch: int, log_end_offset: int,
                        lookup: Callable[[int], tuple[int, int]]) -> tuple[int, int]:
    """The leader's answer to OffsetForLeaderEpoch for `epoch`: the largest epoch <= it that
    the log holds and where that epoch ended; (-1, -1) when there is none. `lookup` is the
    log's epoch cache. An epoch at or above the log's latest ended at the log end: a leader
    records its epoch only with its first append, and nothing was written in between."""
    if epoch >= latest_epoch >= 0:
        return latest_epoch, log_end_offset
    return lookup(epoch)


def replicated_part(batches: bytes, log_end_offset: int) -> bytes:
    """The whole batches of a fetch answer that start at or after `log_end_offset`: drops a
    first batch the fetch offset sits inside (never expected after truncation) and a
    trailing batch cut short by the byte limit."""
    start = end = None
    for position, header in iter_complete_batches(batches):
        if header.base_offset < log_end_offset:
            continue
        if start is None:
            start = position
        end = position + header.size
    if start is None or end is None:
        return b""
    return batches[start:end]
