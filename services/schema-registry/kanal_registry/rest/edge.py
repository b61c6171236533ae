"""What every REST handler shares: the service, query flags, JSON bodies and answers.

Confluent's clients send and accept three content types; the registry answers in the first,
`application/vnd.schemaregistry.v1+json`. Boolean query parameters are read like Java's
`Boolean.parseBoolean`: `true` in any case is true, anything else false (clients send
`normalize=False`).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from kanal_registry.cluster.primary_client import FORWARDED_HEADER
from kanal_registry.errors import BadRequest, SchemaNotFound
from kanal_registry.service.reads import parse_version
from kanal_registry.service.registry_service import RegistryService
from kanal_registry.state.registry_state import SchemaContent
from kanal_registry.store.records import SchemaValue, reference_json

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
ACCEPTED_CONTENT_TYPES = frozenset({
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
})
SERVICE = web.AppKey("service", RegistryService)


def service(request: web.Request) -> RegistryService:
    return request.app[SERVICE]


def flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").strip().lower() == "true"


def forwarded(request: web.Request) -> bool:
    return request.headers.get(FORWARDED_HEADER) == "1"


def subject(request: web.Request) -> str:
    return request.match_info["subject"]


def version(request: web.Request) -> int:
    return parse_version(request.match_info["version"])


def schema_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise SchemaNotFound(f"Schema {request.match_info['id']!r} not found") from None


async def json_body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None


def answer(body: object, *, status: int = 200) -> web.Response:
    return web.Response(status=status, content_type=CONTENT_TYPE,
                        text=json.dumps(body, ensure_ascii=False))


def version_body(request: web.Request, stored: SchemaValue) -> dict[str, object]:
    """A subject-version as Confluent answers it (schemaType left out for AVRO), its schema in
    the `format` the request asks for."""
    body: dict[str, object] = {
        "subject": stored.subject, "version": stored.version, "id": stored.schema_id,
    }
    text = service(request).reads.formatted(SchemaContent.of(stored), schema_format(request))
    body.update(schema_body(stored.schema_type.value, text,
                            [reference_json(r) for r in stored.references]))
    return body


def schema_format(request: web.Request) -> str:
    return request.query.get("format", "").strip().lower()


def schema_body(schema_type: str, schema: str, references: list[dict[str, object]]
                ) -> dict[str, object]:
    body: dict[str, object] = {}
    if schema_type != "AVRO":
        body["schemaType"] = schema_type
    if references:
        body["references"] = references
    body["schema"] = schema
    return body
