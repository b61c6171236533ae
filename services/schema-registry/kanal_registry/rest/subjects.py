"""`/subjects/...`: subjects, their versions, registration, lookup and deletion."""

from __future__ import annotations

from aiohttp import web

from kanal_registry.rest.edge import (
    answer,
    flag,
    forwarded,
    json_body,
    service,
    subject,
    version,
    version_body,
)
from kanal_registry.service.requests import SchemaRequest

routes = web.RouteTableDef()


@routes.get("/subjects")
async def list_subjects(request: web.Request) -> web.Response:
    prefix = request.query.get("subjectPrefix", "")
    return answer(service(request).reads.subjects(prefix=prefix, deleted=flag(request, "deleted")))


@routes.post("/subjects/{subject}")
async def lookup(request: web.Request) -> web.Response:
    schema = SchemaRequest.from_json(await json_body(request))
    found = service(request).reads.lookup(subject(request), schema,
                                          normalize=flag(request, "normalize"),
                                          deleted=flag(request, "deleted"))
    return answer(version_body(request, found))


@routes.delete("/subjects/{subject}")
async def delete_subject(request: web.Request) -> web.Response:
    deleted = await service(request).delete_subject(
        subject(request), permanent=flag(request, "permanent"), forwarded=forwarded(request))
    return answer(deleted)


@routes.get("/subjects/{subject}/versions")
async def list_versions(request: web.Request) -> web.Response:
    found = service(request).reads.versions(subject(request), deleted=flag(request, "deleted"))
    return answer([v.version for v in found])


@routes.post("/subjects/{subject}/versions")
async def register(request: web.Request) -> web.Response:
    schema = SchemaRequest.from_json(await json_body(request))
    registered = await service(request).register(
        subject(request), schema, normalize=flag(request, "normalize"),
        forwarded=forwarded(request))
    return answer({"id": registered.schema_id, "version": registered.version})


@routes.get("/subjects/{subject}/versions/{version}")
async def get_version(request: web.Request) -> web.Response:
    found = service(request).reads.version(subject(request), version(request),
                                           deleted=flag(request, "deleted"))
    return answer(version_body(request, found))


@routes.get("/subjects/{subject}/versions/{version}/schema")
async def get_version_schema(request: web.Request) -> web.Response:
    found = service(request).reads.version(subject(request), version(request),
                                           deleted=flag(request, "deleted"))
    return web.Response(text=found.schema, content_type="application/vnd.schemaregistry.v1+json")


@routes.get("/subjects/{subject}/versions/{version}/referencedby")
async def referenced_by(request: web.Request) -> web.Response:
    return answer(service(request).reads.referenced_by(subject(request), version(request)))


@routes.delete("/subjects/{subject}/versions/{version}")
async def delete_version(request: web.Request) -> web.Response:
    deleted = await service(request).delete_version(
        subject(request), version(request), permanent=flag(request, "permanent"),
        forwarded=forwarded(request))
    return answer(deleted)
