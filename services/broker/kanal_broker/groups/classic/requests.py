"""The classic protocol's requests as the core sees them, and the checks that refuse a bad
request before anything changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kanal.errors import InconsistentGroupProtocol, InvalidRequest, InvalidSessionTimeout

from kanal_broker.groups.config import GroupCoordinatorConfig

MAX_ID_CHARS = 255
"""Member, instance, client and protocol names: short, like the KIP-848 side's ids."""
MAX_METADATA_BYTES = 1 << 20
"""Join metadata and each assignment: the leader's JoinGroup answer carries every member's
metadata in one gRPC message, so one member must not be able to make it unsendable."""
MAX_PROTOCOLS = 64


@dataclass(frozen=True, slots=True)
class JoinRequest:
    group_id: str
    member_id: str
    instance_id: str | None
    protocol_type: str
    protocols: tuple[tuple[str, bytes], ...]
    """(name, metadata) by preference."""
    session_timeout_ms: int
    rebalance_timeout_ms: int
    client_id: str = ""
    client_host: str = ""


@dataclass(frozen=True, slots=True)
class SyncRequest:
    group_id: str
    generation: int
    member_id: str
    instance_id: str | None = None
    protocol_type: str = ""
    protocol_name: str = ""
    assignments: Mapping[str, bytes] | None = None
    """Every member's assignment (the leader); None for the others."""


def check_ids(*labelled: tuple[str, str | None]) -> None:
    for label, text in labelled:
        if text is not None and len(text) > MAX_ID_CHARS:
            raise InvalidRequest(f"{label} is longer than {MAX_ID_CHARS} characters")


def validate_join(request: JoinRequest, config: GroupCoordinatorConfig) -> None:
    check_ids(("member_id", request.member_id), ("group_instance_id", request.instance_id),
              ("client_id", request.client_id), ("protocol_type", request.protocol_type))
    low, high = config.min_session_timeout_ms, config.max_session_timeout_ms
    if not low <= request.session_timeout_ms <= high:
        raise InvalidSessionTimeout(
            f"session_timeout_ms {request.session_timeout_ms} is outside [{low}, {high}]")
    if request.rebalance_timeout_ms < 0:
        raise InvalidRequest("rebalance_timeout_ms must not be negative")
    if not request.protocol_type or not request.protocols:
        raise InconsistentGroupProtocol("a join needs a protocol_type and at least one protocol")
    if len(request.protocols) > MAX_PROTOCOLS:
        raise InvalidRequest(f"more than {MAX_PROTOCOLS} protocols")
    names = [name for name, _ in request.protocols]
    if len(set(names)) != len(names) or not all(names):
        raise InvalidRequest("protocol names must be non-empty and distinct")
    check_ids(*(("protocol name", name) for name in names))
    if any(len(metadata) > MAX_METADATA_BYTES for _, metadata in request.protocols):
        raise InvalidRequest(f"protocol metadata is larger than {MAX_METADATA_BYTES} bytes")


def validate_sync(request: SyncRequest) -> None:
    check_ids(("member_id", request.member_id), ("group_instance_id", request.instance_id))
    for member_id, assignment in (request.assignments or {}).items():
        check_ids(("assignment member_id", member_id))
        if len(assignment) > MAX_METADATA_BYTES:
            raise InvalidRequest(f"an assignment is larger than {MAX_METADATA_BYTES} bytes")
