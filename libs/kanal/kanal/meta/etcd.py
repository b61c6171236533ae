"""A small typed face over `aetcd` (which ships no type hints): reads, leases, watches and
transactions in the terms the controller and the brokers use.

Everything etcd-specific the services need goes through here, so the untyped client stays in
one module. Only servers import it: `aetcd` is the `kanal[server]` extra, not a client need.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aetcd
import aetcd.exceptions

from kanal.types import HostPort

log = logging.getLogger(__name__)

# Any failure of the etcd client: connection lost, timeout, lease not found, compacted watch.
EtcdError = aetcd.exceptions.ClientError


@dataclass(frozen=True, slots=True)
class Entry:
    key: bytes
    value: bytes
    create_revision: int
    mod_revision: int
    lease: int

    @classmethod
    def of(cls, kv: Any) -> Entry:
        return cls(
            key=bytes(kv.key),
            value=bytes(kv.value),
            create_revision=int(kv.create_revision),
            mod_revision=int(kv.mod_revision),
            lease=int(kv.lease),
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The entries under a prefix and the store revision they were read at."""

    entries: list[Entry]
    revision: int


class EventKind(Enum):
    PUT = "PUT"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    kind: EventKind
    # For a deletion: the key, and mod_revision = the revision of the deletion.
    entry: Entry

    @property
    def deleted(self) -> bool:
        return self.kind is EventKind.DELETE


# Transaction parts. Compares are equalities: that is all fencing and optimistic updates need.
class Target(Enum):
    CREATE_REVISION = "create"
    MOD_REVISION = "mod"
    VALUE = "value"
    VERSION = "version"


@dataclass(frozen=True, slots=True)
class Compare:
    key: bytes
    target: Target
    expected: int | bytes


def key_absent(key: bytes) -> Compare:
    return Compare(key, Target.VERSION, 0)


def unchanged_since(key: bytes, mod_revision: int) -> Compare:
    """True while nobody wrote `key` after `mod_revision` (0: the key must not exist)."""
    return Compare(key, Target.MOD_REVISION, mod_revision)


@dataclass(frozen=True, slots=True)
class Put:
    key: bytes
    value: bytes
    lease: int = 0


@dataclass(frozen=True, slots=True)
class Delete:
    key: bytes
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Get:
    key: bytes


Op = Put | Delete | Get


@dataclass(frozen=True, slots=True)
class TxnResult:
    succeeded: bool
    revision: int
    # For each Get in the branch that ran: the entry, or None when the key is absent.
    reads: list[Entry | None]


_WATCH_CANCEL_TIMEOUT_S = 2.0

# HTTP/2 pings find a half-open connection, which would otherwise leave a watch silent
# forever. etcd refuses pings more frequent than its --grpc-keepalive-min-time (5 s).
_CHANNEL_OPTIONS = {
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
}


def _target(endpoints: Sequence[HostPort]) -> tuple[str, int]:
    """aetcd dials f"{host}:{port}". gRPC's `ipv4:a:p,b:q` target lets one channel fail over
    between members, so several IPv4 endpoints are folded into the host part; anything else
    uses the first endpoint."""
    if len(endpoints) > 1 and all(_is_ipv4(e.host) for e in endpoints):
        head = ",".join(str(e) for e in endpoints[:-1])
        return f"ipv4:{head},{endpoints[-1].host}", endpoints[-1].port
    if len(endpoints) > 1:
        log.warning("several etcd endpoints need IPv4 literals; using %s only", endpoints[0])
    return endpoints[0].host, endpoints[0].port


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


class Etcd:
    """One connection to etcd. `timeout_s` bounds every unary call (not watches)."""

    def __init__(self, endpoints: Sequence[HostPort], *, timeout_s: float) -> None:
        host, port = _target(endpoints)
        self._client: Any = aetcd.Client(host=host, port=port, timeout=timeout_s,
                                         options=_CHANNEL_OPTIONS)

    async def close(self) -> None:
        await self._client.close()

    async def get(self, key: bytes) -> Entry | None:
        found = await self._client.get(key)
        return None if found is None else Entry.of(found)

    async def get_prefix(self, prefix: bytes) -> Snapshot:
        found = await self._client.get_prefix(prefix)
        return Snapshot([Entry.of(kv) for kv in found.kvs], int(found.header.revision))

    async def put(self, key: bytes, value: bytes, *, lease: int = 0) -> int:
        """Unfenced write: only for keys a process owns itself (its own registration)."""
        result = await self._client.put(key, value, lease=lease)
        return int(result.header.revision)

    async def grant_lease(self, ttl_s: int) -> tuple[int, int]:
        """A new lease: (id, granted TTL in seconds; etcd may raise it to its minimum)."""
        lease = await self._client.lease(ttl_s)
        return int(lease.id), int(lease.ttl)

    async def keep_alive(self, lease_id: int) -> int:
        """Refresh a lease once; the remaining TTL, <= 0 when the lease is gone."""
        reply = await self._client.refresh_lease(lease_id)
        return -1 if reply is None else int(reply.TTL)

    async def revoke_lease(self, lease_id: int) -> None:
        await self._client.revoke_lease(lease_id)

    async def txn(self, compares: Sequence[Compare], success: Sequence[Op],
                  failure: Sequence[Op] = ()) -> TxnResult:
        tx = self._client.transactions
        built_compares = [self._compare(tx, c) for c in compares]
        succeeded, responses = await self._client.transaction(
            compare=built_compares,
            success=[self._op(tx, op) for op in success],
            failure=[self._op(tx, op) for op in failure],
        )
        ran = success if succeeded else failure
        reads: list[Entry | None] = []
        revision = 0
        for op, response in zip(ran, responses, strict=True):
            if isinstance(op, Get):
                # aetcd turns a range response into [(value, rtypes.Get), ...].
                reads.append(Entry.of(response[0][1]) if response else None)
                if response:
                    revision = max(revision, int(response[0][1].header.revision))
            else:
                kind = response.WhichOneof("response")
                revision = max(revision, int(getattr(response, kind).header.revision))
        return TxnResult(bool(succeeded), revision, reads)

    async def watch(self, key: bytes, *, prefix: bool,
                    start_revision: int) -> AsyncGenerator[WatchEvent, None]:
        """Events on `key` (or every key under it) from `start_revision` on. Raises EtcdError
        when the stream breaks; the caller re-reads and watches again."""
        if prefix:
            watch = await self._client.watch_prefix(key, start_revision=start_revision)
        else:
            watch = await self._client.watch(key, start_revision=start_revision)
        try:
            async for event in watch:
                kind = EventKind.PUT if event.kind == "PUT" else EventKind.DELETE
                yield WatchEvent(kind, Entry.of(event.kv))
        finally:
            # Cancelling asks etcd to close the watch and waits for its answer; a stream that
            # died silently would keep a shutting-down owner waiting forever, so it is bounded.
            with contextlib.suppress(TimeoutError, EtcdError):
                await asyncio.wait_for(watch.cancel(), _WATCH_CANCEL_TIMEOUT_S)

    @staticmethod
    def _compare(tx: Any, compare: Compare) -> Any:
        factory = {
            Target.CREATE_REVISION: tx.create,
            Target.MOD_REVISION: tx.mod,
            Target.VALUE: tx.value,
            Target.VERSION: tx.version,
        }[compare.target]
        return factory(compare.key) == compare.expected

    @staticmethod
    def _op(tx: Any, op: Op) -> Any:
        if isinstance(op, Put):
            return tx.put(op.key, op.value, lease=op.lease or None)
        if isinstance(op, Get):
            return tx.get(op.key)
        if op.prefix:
            return tx.delete(op.key, range_end=aetcd.utils.prefix_range_end(op.key))
        return tx.delete(op.key)
