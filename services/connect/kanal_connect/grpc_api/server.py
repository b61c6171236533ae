"""`kanal.v1.Connect` on the worker's gRPC port: each call maps onto `ConnectService`, the
layer behind the REST API, and a ConnectError becomes a gRPC status through one table."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TypeVar

import grpc
from kanal.tracing.grpc_server import server_interceptors
from kanal.v1 import connect_pb2 as pb
from kanal.v1 import connect_pb2_grpc

from kanal_connect.errors import ConnectError
from kanal_connect.storage.config_state import TargetState
from kanal_connect.worker.errors import AlreadyExists
from kanal_connect.worker.offsets_api import OffsetsApi
from kanal_connect.worker.service import ConnectService, JsonObject

Context = grpc.aio.ServicerContext[object, object]
R = TypeVar("R")

_STATUS = {
    HTTPStatus.BAD_REQUEST: grpc.StatusCode.INVALID_ARGUMENT,
    HTTPStatus.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    HTTPStatus.CONFLICT: grpc.StatusCode.ABORTED,
    HTTPStatus.SERVICE_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}


def grpc_code(error: ConnectError) -> grpc.StatusCode:
    if isinstance(error, AlreadyExists):
        return grpc.StatusCode.ALREADY_EXISTS
    return _STATUS.get(error.http_status, grpc.StatusCode.INTERNAL)


async def _guard(context: Context, call: Callable[[], Awaitable[R]]) -> R:
    try:
        return await call()
    except ConnectError as error:
        await context.abort(grpc_code(error), error.message)
        raise  # abort raises; this line keeps the type checker informed


def _info(body: JsonObject) -> pb.ConnectorInfo:
    config = body["config"]
    tasks = body["tasks"]
    assert isinstance(config, dict) and isinstance(tasks, list)
    return pb.ConnectorInfo(
        name=str(body["name"]), config={str(k): str(v) for k, v in config.items()},
        tasks=[pb.TaskId(connector=str(t["connector"]), task=int(t["task"])) for t in tasks],
        type=str(body["type"]),
    )


def _state(body: object, task: int = 0) -> pb.StateInfo:
    assert isinstance(body, dict)
    return pb.StateInfo(id=int(body.get("id", task)), state=str(body["state"]),
                        worker_id=str(body.get("worker_id", "")),
                        trace=str(body.get("trace") or ""))


class ConnectServicer(connect_pb2_grpc.ConnectServicer):
    def __init__(self, service: ConnectService) -> None:
        self.service = service

    async def ListConnectors(self, request: pb.ListConnectorsRequest, context: Context
                             ) -> pb.ListConnectorsResponse:
        return pb.ListConnectorsResponse(names=self.service.connector_names())

    async def GetConnector(self, request: pb.ConnectorRequest, context: Context
                           ) -> pb.ConnectorInfo:
        async def call() -> pb.ConnectorInfo:
            return _info(self.service.info(request.name))

        return await _guard(context, call)

    async def CreateConnector(self, request: pb.CreateConnectorRequest, context: Context
                              ) -> pb.ConnectorInfo:
        async def call() -> pb.ConnectorInfo:
            body = await self.service.create(request.name, dict(request.config),
                                             request.initial_state or None)
            return _info(body)

        return await _guard(context, call)

    async def PutConnectorConfig(self, request: pb.PutConnectorConfigRequest,
                                 context: Context) -> pb.PutConnectorConfigResponse:
        async def call() -> pb.PutConnectorConfigResponse:
            created, body = await self.service.put_config(request.name, dict(request.config))
            return pb.PutConnectorConfigResponse(created=created, info=_info(body))

        return await _guard(context, call)

    async def DeleteConnector(self, request: pb.ConnectorRequest, context: Context
                              ) -> pb.ConnectEmpty:
        async def call() -> pb.ConnectEmpty:
            await self.service.delete(request.name)
            return pb.ConnectEmpty()

        return await _guard(context, call)

    async def GetConnectorStatus(self, request: pb.ConnectorRequest, context: Context
                                 ) -> pb.ConnectorStatus:
        async def call() -> pb.ConnectorStatus:
            body = self.service.status(request.name)
            tasks = body["tasks"]
            assert isinstance(tasks, list)
            return pb.ConnectorStatus(name=request.name, connector=_state(body["connector"]),
                                      tasks=[_state(t) for t in tasks], type=str(body["type"]))

        return await _guard(context, call)

    async def _target(self, name: str, target: TargetState, context: Context
                      ) -> pb.ConnectEmpty:
        async def call() -> pb.ConnectEmpty:
            await self.service.set_target_state(name, target)
            return pb.ConnectEmpty()

        return await _guard(context, call)

    async def PauseConnector(self, request: pb.ConnectorRequest, context: Context
                             ) -> pb.ConnectEmpty:
        return await self._target(request.name, TargetState.PAUSED, context)

    async def ResumeConnector(self, request: pb.ConnectorRequest, context: Context
                              ) -> pb.ConnectEmpty:
        return await self._target(request.name, TargetState.STARTED, context)

    async def StopConnector(self, request: pb.ConnectorRequest, context: Context
                            ) -> pb.ConnectEmpty:
        return await self._target(request.name, TargetState.STOPPED, context)

    async def RestartConnector(self, request: pb.RestartConnectorRequest, context: Context
                               ) -> pb.ConnectEmpty:
        async def call() -> pb.ConnectEmpty:
            await self.service.restart(request.name, request.include_tasks, request.only_failed)
            return pb.ConnectEmpty()

        return await _guard(context, call)

    async def RestartTask(self, request: pb.TaskRequest, context: Context) -> pb.ConnectEmpty:
        async def call() -> pb.ConnectEmpty:
            owner = self.service.task_owner(request.connector, request.task)
            if owner and owner != self.service.herder.settings.id:
                await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                    f"Task {request.connector}-{request.task} runs on {owner}")
            await self.service.restart_task(request.connector, request.task)
            return pb.ConnectEmpty()

        return await _guard(context, call)

    async def ListTasks(self, request: pb.ConnectorRequest, context: Context
                        ) -> pb.ListTasksResponse:
        async def call() -> pb.ListTasksResponse:
            tasks = []
            for entry in self.service.tasks(request.name):
                task_id, config = entry["id"], entry["config"]
                assert isinstance(task_id, dict) and isinstance(config, dict)
                tasks.append(pb.TaskConfig(
                    id=pb.TaskId(connector=str(task_id["connector"]), task=int(task_id["task"])),
                    config={str(k): str(v) for k, v in config.items()}))
            return pb.ListTasksResponse(tasks=tasks)

        return await _guard(context, call)

    async def GetOffsets(self, request: pb.ConnectorRequest, context: Context
                         ) -> pb.JsonDocument:
        async def call() -> pb.JsonDocument:
            return pb.JsonDocument(json=json.dumps(await OffsetsApi(self.service).get(
                request.name)))

        return await _guard(context, call)

    async def ListPlugins(self, request: pb.ListPluginsRequest, context: Context
                          ) -> pb.ListPluginsResponse:
        plugins = self.service.plugins(connectors_only=request.connectors_only)
        return pb.ListPluginsResponse(plugins=[
            pb.PluginInfo(class_name=str(p["class"]), type=str(p["type"]),
                          version=str(p.get("version", ""))) for p in plugins])

    async def ValidateConfig(self, request: pb.ValidateConfigRequest, context: Context
                             ) -> pb.JsonDocument:
        async def call() -> pb.JsonDocument:
            config = {"connector.class": request.plugin, **dict(request.config)}
            return pb.JsonDocument(json=json.dumps(self.service.validate(request.plugin,
                                                                         config)))

        return await _guard(context, call)


async def start_grpc(service: ConnectService, host: str, port: int) -> grpc.aio.Server:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)],
                             interceptors=server_interceptors())
    connect_pb2_grpc.add_ConnectServicer_to_server(ConnectServicer(service), server)
    server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server
