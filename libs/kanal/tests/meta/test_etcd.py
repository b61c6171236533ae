"""The typed etcd face: several endpoints, transactions and their reads, watches."""

from __future__ import annotations

from kanal.devcluster.etcd import EtcdProcess
from kanal.devcluster.ports import free_port
from kanal.meta.etcd import Delete, Etcd, EventKind, Get, Put, _target, key_absent, unchanged_since
from kanal.types import HostPort


async def test_a_dead_endpoint_is_skipped(etcd: EtcdProcess) -> None:
    dead = HostPort("127.0.0.1", free_port())
    client = Etcd([dead, HostPort.parse(etcd.endpoint)], timeout_s=5)
    try:
        await client.put(b"/k", b"v")
        assert (await client.get(b"/k")) is not None
    finally:
        await client.close()


async def test_transaction_branches_reads_and_watch(etcd_client: Etcd) -> None:
    created = await etcd_client.txn([key_absent(b"/a")], [Put(b"/a", b"1")], failure=[Get(b"/a")])
    assert created.succeeded and created.revision > 0
    again = await etcd_client.txn([key_absent(b"/a")], [Put(b"/a", b"2")], failure=[Get(b"/a")])
    assert not again.succeeded
    entry = again.reads[0]
    assert entry is not None and entry.value == b"1" and entry.create_revision == created.revision

    events = etcd_client.watch(b"/", prefix=True, start_revision=created.revision)
    first = await anext(events)
    assert (first.kind, first.entry.key) == (EventKind.PUT, b"/a")

    stale = unchanged_since(b"/a", entry.mod_revision - 1)
    assert not (await etcd_client.txn([stale], [Delete(b"/", prefix=True)])).succeeded
    fresh = unchanged_since(b"/a", entry.mod_revision)
    assert (await etcd_client.txn([fresh], [Delete(b"/", prefix=True)])).succeeded
    second = await anext(events)
    assert (second.kind, second.entry.key) == (EventKind.DELETE, b"/a")
    await events.aclose()
    assert (await etcd_client.get_prefix(b"/")).entries == []


def test_several_ipv4_endpoints_share_one_failover_channel() -> None:
    assert _target([HostPort("127.0.0.1", 2379)]) == ("127.0.0.1", 2379)
    host, port = _target([HostPort("127.0.0.1", 1), HostPort("127.0.0.2", 2),
                          HostPort("127.0.0.3", 3)])
    assert f"{host}:{port}" == "ipv4:127.0.0.1:1,127.0.0.2:2,127.0.0.3:3"
    assert _target([HostPort("etcd-0", 2379), HostPort("etcd-1", 2379)]) == ("etcd-0", 2379)
