"""The one exception hierarchy of Kanal.

Every error a client or service can see is a `KanalError`; leaf classes carry Kafka's protocol
error code (the same numbers as `kanal.v1.ErrorCode`) and whether a retry can succeed. Code
crossing the wire turns a code back into its class with `error_for_code`; the mapping to gRPC
status codes happens only at the edge (`kanal.grpc_status`).
"""

from __future__ import annotations

from typing import ClassVar


class KanalError(Exception):
    """Root of every Kanal error."""

    code: ClassVar[int] = -1
    retriable: ClassVar[bool] = False

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__class__.__doc__ or self.__class__.__name__)
        self.message = message or (self.__class__.__doc__ or self.__class__.__name__).strip()

    def __str__(self) -> str:
        return f"[{self.__class__.__name__}:{self.code}] {self.message}"


class UnknownServerError(KanalError):
    """An unexpected server-side error."""

    code = -1


class OffsetOutOfRange(KanalError):
    """The requested offset is outside the range held by the partition."""

    code = 1


class CorruptRecord(KanalError):
    """A record batch failed its CRC or header checks."""

    code = 2


class UnknownTopicOrPartition(KanalError):
    """This topic or partition does not exist (or this broker does not host it)."""

    code = 3
    retriable = True


class InvalidFetchSize(KanalError):
    """The fetch size is invalid."""

    code = 4


class LeaderNotAvailable(KanalError):
    """The partition has no leader right now (an election may be under way)."""

    code = 5
    retriable = True


class NotLeaderForPartition(KanalError):
    """This broker is not the leader of the partition; refresh metadata and retry."""

    code = 6
    retriable = True


class RequestTimedOut(KanalError):
    """The request timed out."""

    code = 7
    retriable = True


class BrokerNotAvailable(KanalError):
    """The broker cannot be reached."""

    code = 8
    retriable = True


class ReplicaNotAvailable(KanalError):
    """The replica is not available."""

    code = 9
    retriable = True


class MessageTooLarge(KanalError):
    """A batch is larger than the topic's max.message.bytes."""

    code = 10


class OffsetMetadataTooLarge(KanalError):
    """The metadata of a committed offset is longer than the broker accepts."""

    code = 12


class CoordinatorLoadInProgress(KanalError):
    """The coordinator is still loading this group's state; retry shortly."""

    code = 14
    retriable = True


class CoordinatorNotAvailable(KanalError):
    """The group's coordinator is not available (no leader for its offsets partition)."""

    code = 15
    retriable = True


class NotCoordinator(KanalError):
    """This broker is not the group's coordinator; find the coordinator and retry."""

    code = 16
    retriable = True


class InvalidTopic(KanalError):
    """The topic name is invalid."""

    code = 17


class RecordListTooLarge(KanalError):
    """The request's record list is larger than the broker accepts."""

    code = 18


class NotEnoughReplicas(KanalError):
    """Fewer in-sync replicas than min.insync.replicas."""

    code = 19
    retriable = True


class NotEnoughReplicasAfterAppend(KanalError):
    """Appended, but fewer in-sync replicas than min.insync.replicas acknowledged it."""

    code = 20
    retriable = True


class InvalidRequiredAcks(KanalError):
    """acks must be 0, 1 or -1 (all)."""

    code = 21


class IllegalGeneration(KanalError):
    """The generation (member epoch) in the request is not the group's."""

    code = 22


class InconsistentGroupProtocol(KanalError):
    """The group uses another protocol (classic vs consumer), another protocol type, or no
    protocol common to every member."""

    code = 23


class InvalidGroupId(KanalError):
    """The group id is empty or otherwise invalid."""

    code = 24


class UnknownMemberId(KanalError):
    """The coordinator does not know this member id; rejoin the group."""

    code = 25


class InvalidSessionTimeout(KanalError):
    """The session timeout is outside the broker's group.min/max.session.timeout.ms."""

    code = 26


class RebalanceInProgress(KanalError):
    """The group is rebalancing: join it again."""

    code = 27


class InvalidTimestamp(KanalError):
    """A record timestamp is out of the accepted range."""

    code = 32


class TopicAlreadyExists(KanalError):
    """A topic with this name already exists."""

    code = 36


class InvalidPartitions(KanalError):
    """The number of partitions is invalid."""

    code = 37


class InvalidReplicationFactor(KanalError):
    """The replication factor is invalid or larger than the number of live brokers."""

    code = 38


class InvalidReplicaAssignment(KanalError):
    """The replica assignment is invalid."""

    code = 39


class InvalidConfig(KanalError):
    """A configuration name or value is invalid."""

    code = 40


class NotController(KanalError):
    """This controller is not the active one."""

    code = 41
    retriable = True


class InvalidRequest(KanalError):
    """The request is malformed."""

    code = 42


class PolicyViolation(KanalError):
    """The request violates a cluster policy."""

    code = 44


class OutOfOrderSequenceNumber(KanalError):
    """The broker received an out-of-order sequence number from an idempotent producer."""

    code = 45


class DuplicateSequenceNumber(KanalError):
    """The broker already has a batch with this sequence number."""

    code = 46


class InvalidProducerEpoch(KanalError):
    """The producer epoch is fenced by a newer producer."""

    code = 47


class KafkaStorageError(KanalError):
    """The broker's disk failed to read or write."""

    code = 56
    retriable = True


class NonEmptyGroup(KanalError):
    """The group still has members."""

    code = 68


class GroupIdNotFound(KanalError):
    """The group does not exist."""

    code = 69


class FencedLeaderEpoch(KanalError):
    """The leader epoch in the request is older than the broker's."""

    code = 74
    retriable = True


class UnknownLeaderEpoch(KanalError):
    """The leader epoch in the request is newer than the broker's."""

    code = 75
    retriable = True


class UnsupportedCompressionType(KanalError):
    """The compression codec is not supported."""

    code = 76


class GroupMaxSizeReached(KanalError):
    """The group already has as many members as it may have."""

    code = 81


class FencedInstanceId(KanalError):
    """Another member with the same group instance id replaced this one."""

    code = 82


class InvalidRecord(KanalError):
    """A record failed validation (for example a compacted topic's record without a key)."""

    code = 87


class FencedMemberEpoch(KanalError):
    """The member epoch is fenced; give up every partition and rejoin with epoch 0."""

    code = 110


class UnreleasedInstanceId(KanalError):
    """The group instance id is still used by another member; it must leave first."""

    code = 111


class UnsupportedAssignor(KanalError):
    """The group does not support this server-side assignor."""

    code = 112


class StaleMemberEpoch(KanalError):
    """The member epoch is stale; heartbeat to learn the current one, then retry."""

    code = 113


class InvalidRegularExpression(KanalError):
    """The subscription's regular expression is not valid."""

    code = 128


# Errors raised on the client side only (no protocol code of their own).


class KanalTimeoutError(KanalError):
    """A client-side operation did not finish in time."""

    code = 7
    retriable = True


class ClientClosed(KanalError):
    """The client was closed."""

    code = -1


class ConfigurationError(KanalError):
    """A client or service setting is invalid."""

    code = 40


class SerializationError(KanalError):
    """A value could not be serialized, or bytes could not be deserialized (wrong framing,
    unknown schema, a value that does not match its schema)."""

    code = -1


class SchemaRegistryError(KanalError):
    """The schema registry refused a request; `error_code` is Confluent's (40401, 42201, ...),
    `http_status` the HTTP status it came with (0 when the registry did not answer)."""

    code = -1

    def __init__(self, message: str = "", *, http_status: int = 0, error_code: int = 0) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_code = error_code


def _registry() -> dict[int, type[KanalError]]:
    table: dict[int, type[KanalError]] = {}
    pending: list[type[KanalError]] = [KanalError]
    client_only = {
        KanalTimeoutError,
        ClientClosed,
        ConfigurationError,
        SerializationError,
        SchemaRegistryError,
    }
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is KanalError or cls in client_only:
            continue
        if cls.code in table and table[cls.code] is not cls:
            raise RuntimeError(f"error code {cls.code} claimed twice")
        table[cls.code] = cls
    return table


ERRORS_BY_CODE: dict[int, type[KanalError]] = _registry()


def error_for_code(code: int, message: str = "") -> KanalError:
    """The exception for a protocol error code; unknown codes become UnknownServerError."""
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        return UnknownServerError(f"error code {code}: {message}")
    return cls(message)
