"""`/schemas/...` (by global id) and `/compatibility/...` (checks that write nothing)."""

from __future__ import annotations

import json

from aiohttp import web

from kanal_registry.rest.answer_cache import ANSWERS
from kanal_registry.rest.edge import (
    CONTENT_TYPE,
    answer,
    flag,
    json_body,
    schema_body,
    schema_format,
    schema_id,
    service,
    subject,
    version,
    version_body,
)
from kanal_registry.schema_types import SchemaType
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.store.records import reference_json

routes = web.RouteTableDef()


@routes.get("/schemas/types")
async def schema_types(request: web.Request) -> web.Response:
    del request
    return answer([t.value for t in (SchemaType.JSON, SchemaType.PROTOBUF, SchemaType.AVRO)])


@routes.get("/schemas")
async def list_schemas(request: web.Request) -> web.Response:
    """Every subject-version (`latestOnly=true`: each subject's latest), by subject."""
    reads = service(request).reads
    deleted, latest_only = flag(request, "deleted"), flag(request, "latestOnly")
    found = []
    for subject_name in reads.subjects(prefix=request.query.get("subjectPrefix", ""),
                                       deleted=deleted):
        versions = reads.state.versions(subject_name, include_deleted=deleted)
        found += [version_body(request, v) for v in (versions[-1:] if latest_only else versions)]
    return answer(found)


@routes.get("/schemas/ids/{id}")
async def by_id(request: web.Request) -> web.Response:
    wanted, fmt = schema_id(request), schema_format(request)

    def build() -> bytes:
        reads = service(request).reads
        content = reads.schema(wanted)
        body = schema_body(content.schema_type.value, reads.formatted(content, fmt),
                           [reference_json(r) for r in content.references])
        return json.dumps(body, ensure_ascii=False).encode()

    return web.Response(body=request.app[ANSWERS].get((fmt, wanted), build),
                        content_type=CONTENT_TYPE)


@routes.get("/schemas/ids/{id}/schema")
async def raw_by_id(request: web.Request) -> web.Response:
    content = service(request).reads.schema(schema_id(request))
    return web.Response(text=content.schema, content_type=CONTENT_TYPE)


@routes.get("/schemas/ids/{id}/subjects")
async def subjects_of_id(request: web.Request) -> web.Response:
    users = service(request).reads.users(schema_id(request), deleted=flag(request, "deleted"))
    return answer(sorted({u.subject for u in users}))


@routes.get("/schemas/ids/{id}/versions")
async def versions_of_id(request: web.Request) -> web.Response:
    users = service(request).reads.users(schema_id(request), deleted=flag(request, "deleted"))
    return answer([{"subject": u.subject, "version": u.version} for u in users])


@routes.post("/compatibility/subjects/{subject}/versions/{version}")
async def check_one(request: web.Request) -> web.Response:
    schema = SchemaRequest.from_json(await json_body(request))
    reasons = service(request).incompatibilities(
        subject(request), schema, version=version(request), normalize=flag(request, "normalize"))
    return _verdict(reasons, verbose=flag(request, "verbose"))


@routes.post("/compatibility/subjects/{subject}/versions")
async def check_all(request: web.Request) -> web.Response:
    schema = SchemaRequest.from_json(await json_body(request))
    reasons = service(request).incompatibilities(
        subject(request), schema, normalize=flag(request, "normalize"))
    return _verdict(reasons, verbose=flag(request, "verbose"))


def _verdict(reasons: list[str], *, verbose: bool) -> web.Response:
    body: dict[str, object] = {"is_compatible": not reasons}
    if verbose:
        body["messages"] = reasons
    return answer(body)
