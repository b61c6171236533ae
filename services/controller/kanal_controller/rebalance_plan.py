"""Plans for moving replicas: a balanced spread over a set of brokers, or a drain of one
broker. Pure functions over `{(topic, partition): replicas}`.

Balance means: every broker holds within one replica of the same count, and within one of
the same number of preferred-leader (first) positions. The plan moves as few replicas as it
can get away with: replicas on allowed brokers stay unless their broker is above its share,
and a moved replica keeps its position in the list (so a moved preferred leader's slot goes
to the broker receiving it). Kafka leaves planning to the operator (or Cruise Control); a
plan computed from counts is what `--rebalance` and the join rebalance need.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

from kanal.errors import InvalidReplicationFactor

TopicPartitionKey = tuple[str, int]
Assignment = Mapping[TopicPartitionKey, list[int]]


def balanced(assignment: Assignment, brokers: Collection[int]) -> dict[TopicPartitionKey,
                                                                       list[int]]:
    """The target replicas of every partition whose replicas change (the others omitted).
    Replicas on brokers outside `brokers` are always moved. Raises InvalidReplicationFactor
    when a partition has more replicas than there are brokers."""
    allowed = sorted(set(brokers))
    _check_room(assignment, allowed)
    plan = {tp: [b if b in allowed else -1 for b in replicas]
            for tp, replicas in sorted(assignment.items())}
    load: Counter[int] = Counter({b: 0 for b in allowed})
    for replicas in plan.values():
        load.update(b for b in replicas if b >= 0)
    # Fill the slots of replicas on departed or excluded brokers, least loaded first.
    for replicas in plan.values():
        for slot, broker in enumerate(replicas):
            if broker < 0:
                chosen = min((b for b in allowed if b not in replicas),
                             key=lambda b: (load[b], b))
                replicas[slot] = chosen
                load[chosen] += 1
    _even_out(plan, allowed, load)
    leaders: Counter[int] = Counter({b: 0 for b in allowed})
    leaders.update(replicas[0] for replicas in plan.values())
    _even_out_leaders(plan, allowed, leaders)
    return {tp: target for tp, target in plan.items() if target != list(assignment[tp])}


def drain(assignment: Assignment, leaving: Collection[int], brokers: Collection[int]
          ) -> dict[TopicPartitionKey, list[int]]:
    """Targets moving every replica off the `leaving` brokers onto the least loaded of the
    other `brokers` (each replacement keeps its position); only the partitions holding a
    leaving broker change."""
    gone = set(leaving)
    allowed = sorted(set(brokers) - gone)
    holding = {tp: replicas for tp, replicas in assignment.items() if gone & set(replicas)}
    _check_room(holding, allowed, why=f" once brokers {sorted(gone)} leave")
    load: Counter[int] = Counter({b: 0 for b in allowed})
    for replicas in assignment.values():
        load.update(b for b in replicas if b in load)
    plan: dict[TopicPartitionKey, list[int]] = {}
    for tp, replicas in sorted(holding.items()):
        target = list(replicas)
        for slot, broker in enumerate(replicas):
            if broker in gone:
                chosen = min((b for b in allowed if b not in target), key=lambda b: (load[b], b))
                load[chosen] += 1
                target[slot] = chosen
        plan[tp] = target
    return plan


def _check_room(assignment: Assignment, allowed: list[int], why: str = "") -> None:
    for (topic, partition), replicas in sorted(assignment.items()):
        if len(replicas) > len(allowed):
            raise InvalidReplicationFactor(
                f"{topic}-{partition} has {len(replicas)} replicas but only {len(allowed)}"
                f" brokers {allowed} would remain{why}: they cannot hold its replication"
                " factor")


def _even_out(plan: dict[TopicPartitionKey, list[int]], allowed: list[int],
              load: Counter[int]) -> None:
    """Move replicas from the most to the least loaded broker until counts differ by <= 1."""
    while allowed:
        most = max(allowed, key=lambda b: (load[b], -b))
        least = min(allowed, key=lambda b: (load[b], b))
        if load[most] - load[least] <= 1:
            return
        for replicas in plan.values():
            if most in replicas and least not in replicas:
                replicas[replicas.index(most)] = least
                load[most] -= 1
                load[least] += 1
                break
        else:
            return  # every partition holding `most` already holds `least`


def _even_out_leaders(plan: dict[TopicPartitionKey, list[int]], allowed: list[int],
                      leaders: Counter[int]) -> None:
    """Swap replica order (no data moves) until preferred-leader counts differ by <= 1."""
    while allowed:
        most = max(allowed, key=lambda b: (leaders[b], -b))
        least = min(allowed, key=lambda b: (leaders[b], b))
        if leaders[most] - leaders[least] <= 1:
            return
        for replicas in plan.values():
            if replicas[0] == most and least in replicas:
                position = replicas.index(least)
                replicas[0], replicas[position] = least, most
                leaders[most] -= 1
                leaders[least] += 1
                break
        else:
            return
