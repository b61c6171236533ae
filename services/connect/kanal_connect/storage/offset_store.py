"""Source offsets in `connect-offsets`: `["<connector>", {partition}] -> {offset}`.

Every worker keeps the whole topic in memory (offsets are small maps, one per source
partition) so a task that moves to this worker resumes where the last one stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence

from kanal_connect.api import SourceOffset, SourcePartition, partition_key
from kanal_connect.storage import keys
from kanal_connect.storage.topic_log import TopicLog

log = logging.getLogger(__name__)

PartitionKey = tuple[tuple[str, object], ...]


class OffsetStore:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self._offsets: dict[str, dict[PartitionKey, tuple[dict[str, object], dict[str, object]]]]
        self._offsets = {}
        self.log = TopicLog(bootstrap, topic, self._apply)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        try:
            connector, partition = keys.read_offset_key(key)
            offset = None if value is None else json.loads(value)
        except ValueError as error:
            log.warning("skipping unreadable offset record: %s", error)
            return
        entries = self._offsets.setdefault(connector, {})
        hashable = _hashable(partition)
        if isinstance(offset, dict):
            entries[hashable] = (partition, offset)
        else:
            entries.pop(hashable, None)

    def offset(self, connector: str, partition: SourcePartition) -> SourceOffset | None:
        found = self._offsets.get(connector, {}).get(_hashable(partition))
        return None if found is None else found[1]

    def offsets(self, connector: str) -> list[tuple[dict[str, object], dict[str, object]]]:
        """Every (partition, offset) stored for `connector`."""
        return list(self._offsets.get(connector, {}).values())

    async def write(
        self, connector: str, offsets: Sequence[tuple[SourcePartition, SourceOffset | None]]
    ) -> None:
        """Store offsets (None removes one) and wait for the broker's acknowledgement."""
        await self.log.send_all(
            [
                (keys.offset_key(connector, p), None if o is None else keys.dumps(dict(o)))
                for p, o in offsets
            ]
        )


def _hashable(partition: Mapping[str, object]) -> PartitionKey:
    return tuple((k, json.dumps(v, sort_keys=True)) for k, v in partition_key(partition))


class ConnectorOffsetReader:
    """The `OffsetStorageReader` a source task of one connector gets."""

    def __init__(self, store: OffsetStore, connector: str) -> None:
        self._store = store
        self._connector = connector

    async def offset(self, partition: SourcePartition) -> SourceOffset | None:
        return self._store.offset(self._connector, partition)

    async def offsets(
        self, partitions: Sequence[SourcePartition]
    ) -> dict[PartitionKey, SourceOffset]:
        found: dict[PartitionKey, SourceOffset] = {}
        for partition in partitions:
            offset = self._store.offset(self._connector, partition)
            if offset is not None:
                found[partition_key(partition)] = offset
        return found
