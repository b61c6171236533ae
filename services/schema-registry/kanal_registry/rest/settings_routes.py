"""`/config` and `/mode`, global and per subject.

GET of a subject's config or mode without one of its own is 40408 / 40409, unless
`defaultToGlobal=true` (a subject's unset config fields then come from the global config); PUT
answers Confluent's request echo (`{"compatibility": ...}`, `{"mode": ...}`) and changes only
the config fields it names; DELETE answers what was in force before.
"""

from __future__ import annotations

from aiohttp import web

from kanal_registry.errors import UnprocessableEntity
from kanal_registry.rest.edge import answer, flag, forwarded, json_body, service
from kanal_registry.service.requests import json_string_field
from kanal_registry.state.configs import SubjectConfig

routes = web.RouteTableDef()


def _subject(request: web.Request) -> str | None:
    return request.match_info.get("subject")


@routes.get("/config")
@routes.get("/config/{subject}")
async def get_config(request: web.Request) -> web.Response:
    config = service(request).reads.config(
        _subject(request), default_to_global=flag(request, "defaultToGlobal"))
    return answer(config.to_json())


@routes.put("/config")
@routes.put("/config/{subject}")
async def put_config(request: web.Request) -> web.Response:
    update = SubjectConfig.from_json(await json_body(request))
    if update.is_empty:
        raise UnprocessableEntity("The request body sets no config field")
    stored = await service(request).set_config(_subject(request), update,
                                               forwarded=forwarded(request))
    return answer(stored.to_json(level_field="compatibility"))


@routes.delete("/config")
@routes.delete("/config/{subject}")
async def delete_config(request: web.Request) -> web.Response:
    old = await service(request).delete_config(_subject(request), forwarded=forwarded(request))
    return answer(old.to_json())


@routes.get("/mode")
@routes.get("/mode/{subject}")
async def get_mode(request: web.Request) -> web.Response:
    mode = service(request).reads.mode(
        _subject(request), default_to_global=flag(request, "defaultToGlobal"))
    return answer({"mode": mode.value})


@routes.put("/mode")
@routes.put("/mode/{subject}")
async def put_mode(request: web.Request) -> web.Response:
    mode = json_string_field(await json_body(request), "mode")
    stored = await service(request).set_mode(_subject(request), mode,
                                             force=flag(request, "force"),
                                             forwarded=forwarded(request))
    return answer({"mode": stored.value})


@routes.delete("/mode")
@routes.delete("/mode/{subject}")
async def delete_mode(request: web.Request) -> web.Response:
    old = await service(request).delete_mode(_subject(request), forwarded=forwarded(request))
    return answer({"mode": old.value})
