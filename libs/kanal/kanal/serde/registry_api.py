"""Confluent's schema-registry REST API without IO: each operation is an `ApiCall` naming the
request and how to read its answer, so the sync and asyncio clients share one definition.

Paths and parameters are Confluent's (docs.confluent.io, "Schema Registry API Reference").
Subjects are quoted whole (a subject may contain '/').
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from kanal.errors import SchemaRegistryError
from kanal.serde.schema_types import CompatibilityResult, RegisteredSchema, Schema, SchemaId

T = TypeVar("T")

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
ACCEPT = (
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qv=0.9, "
    "application/json; qv=0.5"
)
LATEST = "latest"
Version = int | str  # a version number, or "latest"


@dataclass(frozen=True, slots=True)
class ApiCall(Generic[T]):
    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None


def _subject(subject: str) -> str:
    return quote(subject, safe="")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _field(name: str) -> Callable[[Any], Any]:
    def parse(data: Any) -> Any:
        if not isinstance(data, dict) or name not in data:
            raise SchemaRegistryError(
                f"unexpected answer from the schema registry: no {name!r} in {data!r:.200}"
            )
        return data[name]

    return parse


def _ints(data: Any) -> list[int]:
    if not isinstance(data, list):
        raise SchemaRegistryError(f"unexpected answer from the schema registry: {data!r:.200}")
    return [int(item) for item in data]


def _strings(data: Any) -> list[str]:
    if not isinstance(data, list):
        raise SchemaRegistryError(f"unexpected answer from the schema registry: {data!r:.200}")
    return [str(item) for item in data]


def register(subject: str, schema: Schema, *, normalize: bool = False) -> ApiCall[SchemaId]:
    id_field = _field("id")
    return ApiCall(
        "POST",
        f"/subjects/{_subject(subject)}/versions",
        lambda data: SchemaId(int(id_field(data))),
        {"normalize": _flag(normalize)},
        schema.to_json(),
    )


def lookup(
    subject: str, schema: Schema, *, normalize: bool = False, deleted: bool = False
) -> ApiCall[RegisteredSchema]:
    return ApiCall(
        "POST",
        f"/subjects/{_subject(subject)}",
        RegisteredSchema.from_json,
        {"normalize": _flag(normalize), "deleted": _flag(deleted)},
        schema.to_json(),
    )


def schema_by_id(
    schema_id: SchemaId, *, subject: str | None = None, fmt: str | None = None
) -> ApiCall[Schema]:
    params = {"subject": subject} if subject else {}
    if fmt:
        params["format"] = fmt
    return ApiCall("GET", f"/schemas/ids/{int(schema_id)}", Schema.from_json, params)


def subjects_of_id(schema_id: SchemaId) -> ApiCall[list[str]]:
    return ApiCall("GET", f"/schemas/ids/{int(schema_id)}/subjects", _strings)


def schema_types() -> ApiCall[list[str]]:
    return ApiCall("GET", "/schemas/types", _strings)


def version(subject: str, version: Version, *, deleted: bool = False) -> ApiCall[RegisteredSchema]:
    return ApiCall(
        "GET",
        f"/subjects/{_subject(subject)}/versions/{version}",
        RegisteredSchema.from_json,
        {"deleted": _flag(deleted)} if deleted else {},
    )


def versions(subject: str, *, deleted: bool = False) -> ApiCall[list[int]]:
    params = {"deleted": _flag(deleted)} if deleted else {}
    return ApiCall("GET", f"/subjects/{_subject(subject)}/versions", _ints, params)


def subjects(*, prefix: str | None = None, deleted: bool = False) -> ApiCall[list[str]]:
    params = {"deleted": _flag(deleted)} if deleted else {}
    if prefix:
        params["subjectPrefix"] = prefix
    return ApiCall("GET", "/subjects", _strings, params)


def delete_subject(subject: str, *, permanent: bool = False) -> ApiCall[list[int]]:
    params = {"permanent": _flag(permanent)} if permanent else {}
    return ApiCall("DELETE", f"/subjects/{_subject(subject)}", _ints, params)


def delete_version(subject: str, version: Version, *, permanent: bool = False) -> ApiCall[int]:
    params = {"permanent": _flag(permanent)} if permanent else {}
    return ApiCall("DELETE", f"/subjects/{_subject(subject)}/versions/{version}", int, params)


def compatibility(
    subject: str, schema: Schema, *, version: Version | None = LATEST, verbose: bool = False
) -> ApiCall[CompatibilityResult]:
    """Against one version (default latest), or against every version when `version` is None
    (the answer then follows the subject's transitive setting)."""
    suffix = "/versions" if version is None else f"/versions/{version}"

    def parse(data: Any) -> CompatibilityResult:
        messages = data.get("messages") or () if isinstance(data, dict) else ()
        return CompatibilityResult(bool(_field("is_compatible")(data)), tuple(map(str, messages)))

    return ApiCall(
        "POST",
        f"/compatibility/subjects/{_subject(subject)}{suffix}",
        parse,
        {"verbose": _flag(verbose)},
        schema.to_json(),
    )


def _config_path(subject: str | None) -> str:
    return "/config" if subject is None else f"/config/{_subject(subject)}"


def get_config(subject: str | None = None, *, default_to_global: bool = False) -> ApiCall[str]:
    params = {"defaultToGlobal": _flag(default_to_global)} if subject and default_to_global else {}
    return ApiCall("GET", _config_path(subject), _level, params)


def set_config(level: str, subject: str | None = None) -> ApiCall[str]:
    return ApiCall("PUT", _config_path(subject), _level, body={"compatibility": level.upper()})


def delete_config(subject: str) -> ApiCall[str]:
    return ApiCall("DELETE", _config_path(subject), _level)


def config_settings(
    subject: str | None = None, *, default_to_global: bool = False
) -> ApiCall[dict[str, Any]]:
    """The whole config object: `compatibilityLevel`, `normalize`, `alias`,
    `compatibilityGroup`, default/override metadata and rule sets, those set."""
    params = {"defaultToGlobal": _flag(default_to_global)} if subject and default_to_global else {}
    return ApiCall("GET", _config_path(subject), _object, params)


def update_config_settings(
    settings: Mapping[str, object], subject: str | None = None
) -> ApiCall[dict[str, Any]]:
    """Change the config fields `settings` names (Confluent's names), keep the others."""
    return ApiCall("PUT", _config_path(subject), _object, body=dict(settings))


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SchemaRegistryError(f"unexpected answer from the schema registry: {data!r:.200}")
    return data


def _level(data: Any) -> str:
    # GET answers {"compatibilityLevel": ...}, PUT echoes {"compatibility": ...}.
    if isinstance(data, dict):
        for key in ("compatibilityLevel", "compatibility"):
            if key in data:
                return str(data[key])
    raise SchemaRegistryError(f"unexpected answer from the schema registry: {data!r:.200}")


def _mode_path(subject: str | None) -> str:
    return "/mode" if subject is None else f"/mode/{_subject(subject)}"


def get_mode(subject: str | None = None) -> ApiCall[str]:
    return ApiCall("GET", _mode_path(subject), lambda data: str(_field("mode")(data)))


def set_mode(mode: str, subject: str | None = None, *, force: bool = False) -> ApiCall[str]:
    return ApiCall(
        "PUT",
        _mode_path(subject),
        lambda data: str(_field("mode")(data)),
        {"force": _flag(force)} if force else {},
        {"mode": mode.upper()},
    )


def error_from_answer(status: int, data: Any, fallback_text: str) -> SchemaRegistryError:
    """The registry's `{"error_code", "message"}` body as one exception."""
    if isinstance(data, dict) and "message" in data:
        code = data.get("error_code")
        error_code = int(code) if isinstance(code, int) else status
        return SchemaRegistryError(
            f"{data['message']} (error {error_code})", http_status=status, error_code=error_code
        )
    text = fallback_text.strip()[:200] or "no body"
    return SchemaRegistryError(
        f"HTTP {status} from the schema registry: {text}", http_status=status, error_code=status
    )
