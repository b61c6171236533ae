"""What one worker runs, as the group leader hands it out (or everything, alone)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kanal_connect.storage.keys import TaskId


@dataclass(frozen=True, slots=True)
class Assignment:
    connectors: frozenset[str] = frozenset()
    tasks: frozenset[TaskId] = frozenset()
    generation: int = 0
    leader_id: str = ""
    leader_url: str = ""
    everything: bool = False
    """True for a worker alone (no group): it runs every connector and task."""
    members: dict[str, str] = field(default_factory=dict)
    """Worker id -> REST URL of every member (the leader fills it in)."""

    def owns_connector(self, name: str) -> bool:
        return self.everything or name in self.connectors

    def owns_task(self, task: TaskId) -> bool:
        return self.everything or task in self.tasks
