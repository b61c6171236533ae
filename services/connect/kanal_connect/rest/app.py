"""The routes of Kafka Connect's REST API, each a thin adapter onto `ConnectService`.

Writes that need the leader are forwarded to it when this worker is not (`NotLeader`);
`POST .../tasks/{id}/restart` goes to the worker running the task."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web
from kanal.tracing.http_server import http_server_middlewares

from kanal_connect.rest import loggers
from kanal_connect.rest.errors import (
    BodyError,
    error_middleware,
    json_object,
    string_map,
    strings,
)
from kanal_connect.rest.forwarding import forward, leader_url
from kanal_connect.storage.config_state import TargetState
from kanal_connect.worker.errors import NotLeader
from kanal_connect.worker.offsets_api import OffsetsApi
from kanal_connect.worker.service import ConnectService

VERSION = "0.1.0"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SERVICE = web.AppKey("service", ConnectService)
CLUSTER_ID = web.AppKey("cluster_id", str)


def _service(request: web.Request) -> ConnectService:
    return request.app[SERVICE]


def _write(handler: Handler) -> Handler:
    """Run a write here, or on the leader when this worker is not it."""

    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except NotLeader as error:
            return await forward(request, leader_url(error))

    return run


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BodyError(f"Query parameter {name} must be true or false")
    return value == "true"


def _task_number(request: web.Request) -> int:
    text = request.match_info["task"]
    if not text.isdigit():
        raise BodyError(f"Task id {text} is not a number")
    return int(text)


async def root(request: web.Request) -> web.Response:
    return web.json_response({"version": VERSION, "commit": "kanal",
                              "kafka_cluster_id": request.app[CLUSTER_ID]})


async def list_connectors(request: web.Request) -> web.Response:
    service = _service(request)
    names = service.connector_names()
    expand = request.query.getall("expand", [])
    if not expand:
        return web.json_response(names)
    body: dict[str, dict[str, object]] = {}
    for name in names:
        entry: dict[str, object] = {}
        if "status" in expand:
            entry["status"] = service.status(name)
        if "info" in expand:
            entry["info"] = service.info(name)
        body[name] = entry
    return web.json_response(body)


@_write
async def create_connector(request: web.Request) -> web.Response:
    body = await json_object(request)
    name = body.get("name")
    if not isinstance(name, str):
        raise BodyError("Connector name must be a string")
    config = strings(string_map(body.get("config"), "config"))
    initial = body.get("initial_state")
    if initial is not None and (
        not isinstance(initial, str) or initial.upper() not in ("RUNNING", "PAUSED", "STOPPED")
    ):
        raise BodyError("initial_state must be one of RUNNING, PAUSED, STOPPED")
    info = await _service(request).create(name, config, initial)
    return web.json_response(info, status=HTTPStatus.CREATED,
                             headers={"Location": f"/connectors/{name}"})


async def get_connector(request: web.Request) -> web.Response:
    return web.json_response(_service(request).info(request.match_info["name"]))


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(_service(request).config(request.match_info["name"]))


@_write
async def put_config(request: web.Request) -> web.Response:
    config = strings(string_map(await json_object(request), "config"))
    created, info = await _service(request).put_config(request.match_info["name"], config)
    return web.json_response(info, status=HTTPStatus.CREATED if created else HTTPStatus.OK)


@_write
async def patch_config(request: web.Request) -> web.Response:
    patch = string_map(await json_object(request), "config", nulls=True)
    info = await _service(request).patch_config(request.match_info["name"], patch)
    return web.json_response(info)


async def get_status(request: web.Request) -> web.Response:
    return web.json_response(_service(request).status(request.match_info["name"]))


@_write
async def restart_connector(request: web.Request) -> web.Response:
    answer = await _service(request).restart(
        request.match_info["name"], _flag(request, "includeTasks"), _flag(request, "onlyFailed")
    )
    if answer is None:
        return web.Response(status=HTTPStatus.NO_CONTENT)
    return web.json_response(answer, status=HTTPStatus.ACCEPTED)


def _target(target: TargetState, status: HTTPStatus) -> Handler:
    @_write
    async def handle(request: web.Request) -> web.Response:
        await _service(request).set_target_state(request.match_info["name"], target)
        return web.Response(status=status)

    return handle


async def get_tasks(request: web.Request) -> web.Response:
    return web.json_response(_service(request).tasks(request.match_info["name"]))


async def get_task_status(request: web.Request) -> web.Response:
    service = _service(request)
    return web.json_response(service.task_status(request.match_info["name"],
                                                 _task_number(request)))


async def restart_task(request: web.Request) -> web.StreamResponse:
    service = _service(request)
    name, task = request.match_info["name"], _task_number(request)
    owner = service.task_owner(name, task)
    settings = service.herder.settings
    if owner and owner != settings.id:
        url = service.herder.assignment.members.get(owner) or f"http://{owner}"
        return await forward(request, url)
    await service.restart_task(name, task)
    return web.Response(status=HTTPStatus.NO_CONTENT)


@_write
async def delete_connector(request: web.Request) -> web.Response:
    await _service(request).delete(request.match_info["name"])
    return web.Response(status=HTTPStatus.NO_CONTENT)


async def get_offsets(request: web.Request) -> web.Response:
    return web.json_response(await OffsetsApi(_service(request)).get(request.match_info["name"]))


async def patch_offsets(request: web.Request) -> web.Response:
    body = await json_object(request)
    answer = await OffsetsApi(_service(request)).alter(request.match_info["name"], body)
    return web.json_response(answer)


async def delete_offsets(request: web.Request) -> web.Response:
    answer = await OffsetsApi(_service(request)).reset(request.match_info["name"])
    return web.json_response(answer)


async def get_topics(request: web.Request) -> web.Response:
    return web.json_response(_service(request).topics(request.match_info["name"]))


async def reset_topics(request: web.Request) -> web.Response:
    await _service(request).reset_topics(request.match_info["name"])
    return web.Response(status=HTTPStatus.ACCEPTED)


async def list_plugins(request: web.Request) -> web.Response:
    only = request.query.get("connectorsOnly", "true").lower() != "false"
    return web.json_response(_service(request).plugins(connectors_only=only))


async def plugin_config(request: web.Request) -> web.Response:
    return web.json_response(_service(request).plugin_config(request.match_info["plugin"]))


async def validate(request: web.Request) -> web.Response:
    config = strings(string_map(await json_object(request), "config"))
    plugin = request.match_info["plugin"]
    if "connector.class" not in config:
        config["connector.class"] = plugin
    return web.json_response(_service(request).validate(plugin, config))


async def get_loggers(_request: web.Request) -> web.Response:
    return web.json_response(loggers.all_loggers())


async def get_logger(request: web.Request) -> web.Response:
    return web.json_response(loggers.get_logger(request.match_info["logger"]))


async def put_logger(request: web.Request) -> web.Response:
    body = await json_object(request)
    return web.json_response(loggers.set_level(request.match_info["logger"], body.get("level")))


def build_app(service: ConnectService, cluster_id: str) -> web.Application:
    # The span middleware goes first, so its span holds the whole answer, errors included.
    app = web.Application(middlewares=[*http_server_middlewares(), error_middleware])
    app[SERVICE] = service
    app[CLUSTER_ID] = cluster_id
    c = "/connectors/{name}"
    app.router.add_routes([
        web.get("/", root),
        web.get("/connectors", list_connectors),
        web.post("/connectors", create_connector),
        web.get(c, get_connector),
        web.delete(c, delete_connector),
        web.get(c + "/config", get_config),
        web.put(c + "/config", put_config),
        web.patch(c + "/config", patch_config),
        web.get(c + "/status", get_status),
        web.post(c + "/restart", restart_connector),
        web.put(c + "/pause", _target(TargetState.PAUSED, HTTPStatus.ACCEPTED)),
        web.put(c + "/resume", _target(TargetState.STARTED, HTTPStatus.ACCEPTED)),
        web.put(c + "/stop", _target(TargetState.STOPPED, HTTPStatus.NO_CONTENT)),
        web.get(c + "/tasks", get_tasks),
        web.get(c + "/tasks/{task}/status", get_task_status),
        web.post(c + "/tasks/{task}/restart", restart_task),
        web.get(c + "/offsets", get_offsets),
        web.patch(c + "/offsets", patch_offsets),
        web.delete(c + "/offsets", delete_offsets),
        web.get(c + "/topics", get_topics),
        web.put(c + "/topics/reset", reset_topics),
        web.get("/connector-plugins", list_plugins),
        web.get("/connector-plugins/{plugin}/config", plugin_config),
        web.put("/connector-plugins/{plugin}/config/validate", validate),
        web.get("/admin/loggers", get_loggers),
        web.get("/admin/loggers/{logger}", get_logger),
        web.put("/admin/loggers/{logger}", put_logger),
    ])
    return app
