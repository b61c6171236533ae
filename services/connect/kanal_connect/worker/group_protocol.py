"""The bytes workers exchange through the classic group protocol (protocol type
"connect"): join metadata (who I am, what I run) and the leader's assignment. JSON, so the
format is readable in tools; unknown fields are ignored for forward compatibility."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kanal_connect.storage.keys import TaskId, dumps
from kanal_connect.worker.assignor import Holding

PROTOCOL_TYPE = "connect"


@dataclass(frozen=True, slots=True)
class JoinMetadata:
    worker_id: str
    url: str
    config_offset: int
    holding: Holding

    def encode(self) -> bytes:
        return dumps({
            "worker_id": self.worker_id, "url": self.url, "config_offset": self.config_offset,
            "connectors": sorted(self.holding.connectors),
            "tasks": [t.to_json() for t in sorted(self.holding.tasks)],
        })

    @classmethod
    def decode(cls, data: bytes) -> JoinMetadata:
        body = json.loads(data)
        return cls(str(body["worker_id"]), str(body["url"]), int(body.get("config_offset", 0)),
                   _holding(body))


@dataclass(frozen=True, slots=True)
class WorkerAssignment:
    leader_id: str
    leader_url: str
    holding: Holding
    rejoin: bool
    delay_ms: int
    members: dict[str, str]

    def encode(self) -> bytes:
        return dumps({
            "leader": self.leader_id, "leader_url": self.leader_url,
            "connectors": sorted(self.holding.connectors),
            "tasks": [t.to_json() for t in sorted(self.holding.tasks)],
            "rejoin": self.rejoin, "delay": self.delay_ms, "members": self.members,
        })

    @classmethod
    def decode(cls, data: bytes) -> WorkerAssignment:
        body = json.loads(data)
        members = body.get("members") or {}
        return cls(str(body["leader"]), str(body["leader_url"]), _holding(body),
                   bool(body.get("rejoin")), int(body.get("delay", 0)),
                   {str(k): str(v) for k, v in members.items()})


def _holding(body: dict[str, object]) -> Holding:
    connectors = body.get("connectors") or []
    tasks = body.get("tasks") or []
    assert isinstance(connectors, list) and isinstance(tasks, list)
    return Holding(frozenset(str(c) for c in connectors),
                   frozenset(TaskId(str(t["connector"]), int(t["task"])) for t in tasks))
