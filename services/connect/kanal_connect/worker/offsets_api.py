"""`GET|PATCH|DELETE /connectors/{name}/offsets` (KIP-875), allowed to change only while the
connector is STOPPED. Source offsets live in `connect-offsets`; a sink's are its consumer
group's (`connect-<name>`) committed offsets, shaped as
`{"partition": {"kafka_topic", "kafka_partition"}, "offset": {"kafka_offset"}}`."""

from __future__ import annotations

from collections.abc import Mapping

from kanal.client.config import parse_bootstrap
from kanal.client.group_admin import GroupAdmin
from kanal.errors import KanalError
from kanal.types import TopicPartition

from kanal_connect.storage.config_state import TargetState
from kanal_connect.worker.errors import BadRequest
from kanal_connect.worker.service import ConnectService, JsonObject

NOT_STOPPED = (
    "Connectors must be in the STOPPED state before their offsets can be modified. This can "
    "be done for the specified connector by issuing a 'PUT' request to the "
    "'/connectors/{name}/stop' endpoint"
)


class OffsetsApi:
    def __init__(self, service: ConnectService) -> None:
        self.service = service
        self.herder = service.herder

    def _groups(self) -> GroupAdmin:
        return GroupAdmin(parse_bootstrap(self.herder.settings.bootstrap))

    async def get(self, name: str) -> JsonObject:
        self.service.config(name)
        if self.service.connector_type(name) == "sink":
            try:
                lags = await self._groups().lag(f"connect-{name}")
            except KanalError:
                lags = []
            entries: list[object] = [
                {"partition": {"kafka_topic": lag.tp.topic, "kafka_partition": lag.tp.partition},
                 "offset": {"kafka_offset": lag.committed}}
                for lag in lags if lag.committed is not None
            ]
        else:
            entries = [{"partition": p, "offset": o}
                       for p, o in self.herder.offsets.offsets(name)]
        return {"offsets": entries}

    def _stopped(self, name: str) -> None:
        self.service.config(name)
        if self.herder.config.target_state(name) is not TargetState.STOPPED:
            raise BadRequest(NOT_STOPPED.replace("{name}", name))

    async def alter(self, name: str, body: Mapping[str, object]) -> JsonObject:
        self._stopped(name)
        entries = body.get("offsets")
        if not isinstance(entries, list) or not entries:
            raise BadRequest("The offsets to be altered must be a non-empty list")
        pairs: list[tuple[dict[str, object], dict[str, object] | None]] = []
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("partition"), dict):
                raise BadRequest("Each offset entry needs a 'partition' object")
            offset = entry.get("offset")
            if offset is not None and not isinstance(offset, dict):
                raise BadRequest("An entry's 'offset' must be an object or null")
            pairs.append((entry["partition"], offset))
        if self.service.connector_type(name) == "sink":
            await self._alter_sink(name, pairs)
        else:
            await self.herder.offsets.write(name, pairs)
            await self.herder.offsets.log.read_to_end()
        return {"message": "The offsets for this connector have been altered successfully"}

    async def _alter_sink(
        self, name: str, pairs: list[tuple[dict[str, object], dict[str, object] | None]]
    ) -> None:
        commits: dict[TopicPartition, int] = {}
        for partition, offset in pairs:
            topic, number = partition.get("kafka_topic"), partition.get("kafka_partition")
            if not isinstance(topic, str) or not isinstance(number, int):
                raise BadRequest("A sink partition needs 'kafka_topic' (string) and "
                                 "'kafka_partition' (integer)")
            if offset is None:
                raise BadRequest("Resetting one sink partition is not supported; "
                                 "DELETE the offsets to reset them all")
            value = offset.get("kafka_offset")
            if not isinstance(value, int) or value < 0:
                raise BadRequest("'kafka_offset' must be a non-negative integer")
            commits[TopicPartition(topic, number)] = value
        try:
            await self._groups().commit(f"connect-{name}", commits)
        except KanalError as error:
            raise BadRequest(f"Could not alter the sink's offsets: {error.message}") from None

    async def reset(self, name: str) -> JsonObject:
        self._stopped(name)
        if self.service.connector_type(name) == "sink":
            try:
                await self._groups().delete(f"connect-{name}")
            except KanalError as error:
                if "not" not in error.message.lower():  # a group that never existed is reset
                    raise BadRequest(f"Could not reset the sink's offsets: {error.message}"
                                     ) from None
        else:
            pairs = [(p, None) for p, _ in self.herder.offsets.offsets(name)]
            if pairs:
                await self.herder.offsets.write(name, pairs)
                await self.herder.offsets.log.read_to_end()
        return {"message": "The offsets for this connector have been reset successfully"}
