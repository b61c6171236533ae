"""The guarded write: every change the active controller makes to etcd goes through here.

A `Fence` is what the controller saw when it won the election: the leader key, its
create_revision (the controller epoch) and its value. Each write is one etcd transaction whose
compares include the fence, so once the leader key is gone or held by someone else (a later
election gives a later create_revision) etcd itself refuses the write. A controller that was
deposed while paused, partitioned or slow can therefore never overwrite its successor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kanal.errors import NotController
from kanal.meta.etcd import Compare, Etcd, Get, Op, Target


@dataclass(frozen=True, slots=True)
class Fence:
    leader_key: bytes
    epoch: int
    """create_revision of the leader key when this controller created it."""
    value: bytes

    def compares(self) -> list[Compare]:
        return [
            Compare(self.leader_key, Target.CREATE_REVISION, self.epoch),
            Compare(self.leader_key, Target.VALUE, self.value),
        ]


# Compares a fenced write adds to the caller's: callers that batch must leave room for them.
FENCE_COMPARES = 2


class FencedWriter:
    """Commits transactions that succeed only while the fence returned by `current_fence`
    still holds. `current_fence` returns None when this controller is not active."""

    def __init__(self, etcd: Etcd, current_fence: Callable[[], Fence | None]) -> None:
        self._etcd = etcd
        self._current_fence = current_fence

    def fence(self) -> Fence:
        """The fence to write under; NotController when this controller is not active."""
        fence = self._current_fence()
        if fence is None:
            raise NotController("this controller is not the active controller")
        return fence

    async def commit(self, ops: Sequence[Op], *, guards: Sequence[Compare] = (),
                     fence: Fence | None = None) -> bool:
        """Apply `ops` atomically if the fence and every guard hold.

        Returns False when a guard failed (someone changed what the caller read; re-read and
        retry), and raises NotController when the fence failed: this controller was deposed.
        """
        fence = fence or self.fence()
        result = await self._etcd.txn(
            [*fence.compares(), *guards], ops, failure=[Get(fence.leader_key)]
        )
        if result.succeeded:
            return True
        leader = result.reads[0]
        if leader is None or leader.create_revision != fence.epoch or leader.value != fence.value:
            raise NotController(
                f"controller epoch {fence.epoch} was deposed; etcd refused the write"
            )
        return False
