"""The same operations over gRPC (kanal.v1.Connect on the worker's gRPC port)."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from kanal.v1 import connect_pb2 as pb
from kanal.v1 import connect_pb2_grpc
from worker_process import wait_until

from conftest import WorkerFactory


async def test_grpc_operations(connect_worker: WorkerFactory) -> None:
    worker = connect_worker()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{worker.grpc_port}") as channel:
        stub = connect_pb2_grpc.ConnectStub(channel)
        plugins = await stub.ListPlugins(pb.ListPluginsRequest(connectors_only=True))
        assert "FileSink" in {p.class_name for p in plugins.plugins}
        config = {"connector.class": "CounterSource", "topic": "numbers", "count": "5"}
        info = await stub.CreateConnector(pb.CreateConnectorRequest(name="c", config=config))
        assert info.name == "c" and info.type == "source" and info.config["count"] == "5"
        with pytest.raises(grpc.aio.AioRpcError) as exists:
            await stub.CreateConnector(pb.CreateConnectorRequest(name="c", config=config))
        assert exists.value.code() == grpc.StatusCode.ALREADY_EXISTS
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.GetConnector(pb.ConnectorRequest(name="nope"))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        names = await stub.ListConnectors(pb.ListConnectorsRequest())
        assert list(names.names) == ["c"]
        report = json.loads((await stub.ValidateConfig(pb.ValidateConfigRequest(
            plugin="CounterSource", config={"tasks.max": "x"}))).json)
        assert report["error_count"] >= 2

        async def running() -> bool:
            status = await stub.GetConnectorStatus(pb.ConnectorRequest(name="c"))
            return status.connector.state == "RUNNING" and [t.state for t in status.tasks] == [
                "RUNNING"]

        for _ in range(300):
            if await running():
                break
            await asyncio.sleep(0.2)
        assert await running()
        tasks = await stub.ListTasks(pb.ConnectorRequest(name="c"))
        assert tasks.tasks[0].id.task == 0 and tasks.tasks[0].config["task.number"] == "0"
        await stub.PauseConnector(pb.ConnectorRequest(name="c"))
        await stub.StopConnector(pb.ConnectorRequest(name="c"))
        put = await stub.PutConnectorConfig(pb.PutConnectorConfigRequest(
            name="c", config={**config, "count": "7"}))
        assert not put.created and put.info.config["count"] == "7"
        await stub.DeleteConnector(pb.ConnectorRequest(name="c"))
    wait_until(lambda: worker.get("/connectors").body == [], what="the connector deleted")
