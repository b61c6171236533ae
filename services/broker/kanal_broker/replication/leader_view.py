"""What a partition leader knows of its followers, for one leader epoch. Pure and loop-only.

Invariants (Kafka's):
- a follower's log end offset is what it last asked to fetch from (it holds everything
  below); it is unknown (-1) until its first fetch in this epoch, because a follower may
  first have to truncate a divergent tail;
- the high watermark is the smallest log end over the "maximal" ISR: the committed ISR plus
  the members of an expansion still in flight (KIP-497), so the watermark never counts on a
  replica that might be in the ISR without holding the data;
- a follower is caught up at a fetch when it asked for the leader's log end of that moment,
  or when it asked for at least the log end of its previous fetch (it fetched all there was
  then); a member not caught up for replica.lag.time.max.ms leaves the ISR;
- a non-member joins once it holds everything below the high watermark and has reached the
  start of the current leader epoch (so it holds no tail of an older leader).
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNKNOWN_OFFSET = -1


@dataclass(slots=True)
class FollowerProgress:
    log_end_offset: int = UNKNOWN_OFFSET
    last_caught_up_ms: int = 0
    last_fetch_ms: int = 0
    last_fetch_leader_end: int = UNKNOWN_OFFSET


@dataclass(slots=True)
class LeaderView:
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    """The committed ISR (etcd's, or the controller's answer to our last AlterPartition)."""
    partition_epoch: int
    epoch_start_offset: int
    """The leader's log end when it became leader: where this epoch's records begin."""
    pending_isr: tuple[int, ...] | None = None
    """An ISR sent to the controller and not yet answered."""
    followers: dict[int, FollowerProgress] = field(default_factory=dict)

    @classmethod
    def start(cls, *, leader: int, leader_epoch: int, replicas: tuple[int, ...],
              isr: tuple[int, ...], partition_epoch: int, log_end_offset: int,
              now_ms: int) -> LeaderView:
        """A fresh view at the start of an epoch: followers' positions unknown, and every
        member counted as caught up now, so none is dropped before it could fetch."""
        followers = {b: FollowerProgress(last_caught_up_ms=now_ms)
                     for b in replicas if b != leader}
        return cls(leader, leader_epoch, replicas, isr, partition_epoch, log_end_offset,
                   followers=followers)

    def maximal_isr(self) -> set[int]:
        return set(self.isr) | set(self.pending_isr or ())

    def follower_fetched(self, follower: int, fetch_offset: int, leader_end: int,
                         now_ms: int) -> None:
        progress = self.followers.get(follower)
        if progress is None:
            return
        if fetch_offset >= leader_end:
            progress.last_caught_up_ms = max(progress.last_caught_up_ms, now_ms)
        elif fetch_offset >= progress.last_fetch_leader_end >= 0:
            progress.last_caught_up_ms = max(progress.last_caught_up_ms,
                                             progress.last_fetch_ms)
        progress.log_end_offset = fetch_offset
        progress.last_fetch_ms = now_ms
        progress.last_fetch_leader_end = leader_end

    def high_watermark(self, leader_end: int) -> int:
        """The highest offset every maximal-ISR member holds everything below."""
        ends = [leader_end]
        for member in self.maximal_isr():
            if member != self.leader:
                progress = self.followers.get(member)
                ends.append(progress.log_end_offset if progress else UNKNOWN_OFFSET)
        return min(ends)

    def lag(self, follower: int, leader_end: int) -> int | None:
        """Records the follower is behind, or None before its first fetch."""
        progress = self.followers.get(follower)
        if progress is None or progress.log_end_offset < 0:
            return None
        return max(0, leader_end - progress.log_end_offset)

    def wanted_isr(self, *, high_watermark: int, now_ms: int,
                   lag_time_max_ms: int) -> tuple[int, ...]:
        """The ISR the leader should ask for now: laggards out, caught-up followers in,
        in replica order (the leader always stays)."""
        wanted: list[int] = []
        for replica in self.replicas:
            if replica == self.leader:
                wanted.append(replica)
                continue
            progress = self.followers.get(replica)
            if progress is None:
                continue
            if replica in self.isr:
                if now_ms - progress.last_caught_up_ms <= lag_time_max_ms:
                    wanted.append(replica)
            elif (progress.log_end_offset >= max(high_watermark, self.epoch_start_offset)
                  and progress.log_end_offset >= 0):
                wanted.append(replica)
        if self.leader not in wanted:
            wanted.insert(0, self.leader)
        return tuple(wanted)

    def replicas_changed(self, replicas: tuple[int, ...], now_ms: int) -> None:
        """A reassignment added or removed replicas within this epoch: track the new
        followers from scratch (position unknown, counted caught up now, like at the start
        of an epoch) and forget the removed ones."""
        self.replicas = replicas
        self.followers = {b: self.followers.get(b) or FollowerProgress(last_caught_up_ms=now_ms)
                          for b in replicas if b != self.leader}

    def committed(self, *, isr: tuple[int, ...], partition_epoch: int) -> None:
        """The controller's (or etcd's) newer state of the ISR."""
        if partition_epoch >= self.partition_epoch:
            self.isr = isr
            self.partition_epoch = partition_epoch
