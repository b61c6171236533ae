# ruff: noqa: N802 - gRPC method names are the proto's
"""The gRPC edge (kanal.v1.SchemaRegistry on :8082): the same `RegistryService` as REST.

A `RegistryError` becomes a gRPC status chosen by its HTTP class, with Confluent's error code
in the `kanal-error-code` trailer (kanal.grpc_status's convention), so a client rebuilds the
exact error with `registry_error_for_code`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

import grpc
from kanal.grpc_status import trailing_metadata
from kanal.v1 import registry_pb2, registry_pb2_grpc

from kanal_registry.compatibility import CompatibilityLevel
from kanal_registry.errors import InvalidSchema, RegistryError, RegistryErrorCode
from kanal_registry.metrics import RegistryMetrics
from kanal_registry.schema_types import SchemaReference, SchemaType
from kanal_registry.service.reads import parse_version
from kanal_registry.service.registry_service import RegistryService
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.state.configs import SubjectConfig
from kanal_registry.state.registry_state import SchemaContent
from kanal_registry.store.records import SchemaValue

log = logging.getLogger(__name__)

_T = TypeVar("_T")
Context = grpc.aio.ServicerContext[object, object]


def grpc_code(error: RegistryError) -> grpc.StatusCode:
    if error.error_code is RegistryErrorCode.INCOMPATIBLE_SCHEMA:
        return grpc.StatusCode.ABORTED
    if error.error_code is RegistryErrorCode.OPERATION_NOT_PERMITTED:
        return grpc.StatusCode.FAILED_PRECONDITION
    status = int(error.http_status)
    if status == 404:
        return grpc.StatusCode.NOT_FOUND
    if 400 <= status < 500:
        return grpc.StatusCode.INVALID_ARGUMENT
    return grpc.StatusCode.UNAVAILABLE if error.retriable else grpc.StatusCode.INTERNAL


def _schema_request(message: registry_pb2.Schema, *, schema_id: int = 0, version: int = 0
                    ) -> SchemaRequest:
    if not message.schema:
        raise InvalidSchema("Empty schema")
    return SchemaRequest(
        schema=message.schema,
        schema_type=SchemaType.from_request(message.schema_type or None),
        references=tuple(SchemaReference(r.name, r.subject, r.version)
                         for r in message.references),
        schema_id=schema_id or None,
        version=version or None,
    )


def _schema_message(content: SchemaContent) -> registry_pb2.Schema:
    return registry_pb2.Schema(
        schema=content.schema, schema_type=content.schema_type.value,
        references=[registry_pb2.SchemaReference(name=r.name, subject=r.subject,
                                                 version=r.version)
                    for r in content.references],
    )


def _subject_version(stored: SchemaValue) -> registry_pb2.SubjectVersion:
    return registry_pb2.SubjectVersion(
        subject=stored.subject, version=stored.version, id=stored.schema_id,
        schema=_schema_message(SchemaContent.of(stored)),
    )


def _version(number: int) -> int:
    return parse_version(str(number))


class RegistryServicer(registry_pb2_grpc.SchemaRegistryServicer):
    def __init__(self, registry: RegistryService, metrics: RegistryMetrics) -> None:
        self._registry = registry
        self._reads = registry.reads
        self._metrics = metrics

    async def _edge(self, name: str, context: Context, op: Callable[[], Awaitable[_T]]) -> _T:
        try:
            result = await op()
        except RegistryError as exc:
            self._metrics.requests.labels("grpc", name, str(int(exc.error_code))).inc()
            await context.abort(grpc_code(exc), exc.message,
                                trailing_metadata=trailing_metadata(exc))
            raise  # abort raises; this line only satisfies the type checker
        self._metrics.requests.labels("grpc", name, "OK").inc()
        return result

    async def Register(self, request: registry_pb2.RegisterSchemaRequest,
                       context: Context) -> registry_pb2.RegisterSchemaResponse:
        async def op() -> registry_pb2.RegisterSchemaResponse:
            schema = _schema_request(request.schema, schema_id=request.id,
                                     version=request.version)
            registered = await self._registry.register(request.subject, schema,
                                                       normalize=request.normalize)
            return registry_pb2.RegisterSchemaResponse(id=registered.schema_id,
                                                       version=registered.version)
        return await self._edge("Register", context, op)

    async def LookupSchema(self, request: registry_pb2.LookupSchemaRequest,
                           context: Context) -> registry_pb2.SubjectVersion:
        async def op() -> registry_pb2.SubjectVersion:
            found = self._reads.lookup(request.subject, _schema_request(request.schema),
                                       normalize=request.normalize, deleted=request.deleted)
            return _subject_version(found)
        return await self._edge("LookupSchema", context, op)

    async def GetSchemaById(self, request: registry_pb2.GetSchemaByIdRequest,
                            context: Context) -> registry_pb2.GetSchemaByIdResponse:
        async def op() -> registry_pb2.GetSchemaByIdResponse:
            content = self._reads.schema(request.id)
            return registry_pb2.GetSchemaByIdResponse(schema=_schema_message(content))
        return await self._edge("GetSchemaById", context, op)

    async def GetVersion(self, request: registry_pb2.GetVersionRequest,
                         context: Context) -> registry_pb2.SubjectVersion:
        async def op() -> registry_pb2.SubjectVersion:
            found = self._reads.version(request.subject, _version(request.version),
                                        deleted=request.deleted)
            return _subject_version(found)
        return await self._edge("GetVersion", context, op)

    async def ListSubjects(self, request: registry_pb2.ListSubjectsRequest,
                           context: Context) -> registry_pb2.ListSubjectsResponse:
        async def op() -> registry_pb2.ListSubjectsResponse:
            found = self._reads.subjects(prefix=request.subject_prefix, deleted=request.deleted)
            return registry_pb2.ListSubjectsResponse(subjects=found)
        return await self._edge("ListSubjects", context, op)

    async def ListVersions(self, request: registry_pb2.ListVersionsRequest,
                           context: Context) -> registry_pb2.ListVersionsResponse:
        async def op() -> registry_pb2.ListVersionsResponse:
            found = self._reads.versions(request.subject, deleted=request.deleted)
            return registry_pb2.ListVersionsResponse(versions=[v.version for v in found])
        return await self._edge("ListVersions", context, op)

    async def DeleteSubject(self, request: registry_pb2.DeleteSubjectRequest,
                            context: Context) -> registry_pb2.DeleteSubjectResponse:
        async def op() -> registry_pb2.DeleteSubjectResponse:
            versions = await self._registry.delete_subject(request.subject,
                                                           permanent=request.permanent)
            return registry_pb2.DeleteSubjectResponse(versions=versions)
        return await self._edge("DeleteSubject", context, op)

    async def DeleteVersion(self, request: registry_pb2.DeleteVersionRequest,
                            context: Context) -> registry_pb2.DeleteVersionResponse:
        async def op() -> registry_pb2.DeleteVersionResponse:
            version = await self._registry.delete_version(
                request.subject, _version(request.version), permanent=request.permanent)
            return registry_pb2.DeleteVersionResponse(version=version)
        return await self._edge("DeleteVersion", context, op)

    async def GetConfig(self, request: registry_pb2.GetConfigRequest,
                        context: Context) -> registry_pb2.ConfigResponse:
        async def op() -> registry_pb2.ConfigResponse:
            config = self._reads.config(request.subject or None,
                                        default_to_global=request.default_to_global)
            return _config_response(config)
        return await self._edge("GetConfig", context, op)

    async def SetConfig(self, request: registry_pb2.SetConfigRequest,
                        context: Context) -> registry_pb2.ConfigResponse:
        async def op() -> registry_pb2.ConfigResponse:
            return _config_response(
                await self._registry.set_config(request.subject or None,
                                                _config_update(request)))
        return await self._edge("SetConfig", context, op)

    async def DeleteConfig(self, request: registry_pb2.DeleteConfigRequest,
                           context: Context) -> registry_pb2.ConfigResponse:
        async def op() -> registry_pb2.ConfigResponse:
            return _config_response(
                await self._registry.delete_config(request.subject or None))
        return await self._edge("DeleteConfig", context, op)

    async def GetMode(self, request: registry_pb2.GetModeRequest,
                      context: Context) -> registry_pb2.ModeResponse:
        async def op() -> registry_pb2.ModeResponse:
            mode = self._reads.mode(request.subject or None,
                                    default_to_global=request.default_to_global)
            return registry_pb2.ModeResponse(mode=mode.value)
        return await self._edge("GetMode", context, op)

    async def SetMode(self, request: registry_pb2.SetModeRequest,
                      context: Context) -> registry_pb2.ModeResponse:
        async def op() -> registry_pb2.ModeResponse:
            mode = await self._registry.set_mode(request.subject or None, request.mode,
                                                 force=request.force)
            return registry_pb2.ModeResponse(mode=mode.value)
        return await self._edge("SetMode", context, op)

    async def DeleteMode(self, request: registry_pb2.DeleteModeRequest,
                         context: Context) -> registry_pb2.ModeResponse:
        async def op() -> registry_pb2.ModeResponse:
            mode = await self._registry.delete_mode(request.subject or None)
            return registry_pb2.ModeResponse(mode=mode.value)
        return await self._edge("DeleteMode", context, op)

    async def CheckCompatibility(self, request: registry_pb2.CheckCompatibilityRequest,
                                 context: Context) -> registry_pb2.CheckCompatibilityResponse:
        async def op() -> registry_pb2.CheckCompatibilityResponse:
            version = None if request.version == 0 else _version(request.version)
            reasons = self._registry.incompatibilities(
                request.subject, _schema_request(request.schema), version=version,
                normalize=request.normalize)
            return registry_pb2.CheckCompatibilityResponse(is_compatible=not reasons,
                                                           messages=reasons)
        return await self._edge("CheckCompatibility", context, op)


def _config_update(request: registry_pb2.SetConfigRequest) -> SubjectConfig:
    """The fields a SetConfig request sets. An empty level leaves the level alone when some
    other field is set; a request setting nothing names no valid level (42203)."""
    others = SubjectConfig(
        normalize=request.normalize if request.HasField("normalize") else None,
        alias=request.alias if request.HasField("alias") else None,
        compatibility_group=(request.compatibility_group
                             if request.HasField("compatibility_group") else None),
    )
    if request.compatibility_level or others == SubjectConfig():
        return replace(others,
                       compatibility_level=CompatibilityLevel.parse(request.compatibility_level))
    return others


def _config_response(config: SubjectConfig) -> registry_pb2.ConfigResponse:
    """A config's fields the proto carries (metadata and rule sets stay REST-only); a subject
    config that sets other fields but no level answers an empty level."""
    level = config.compatibility_level
    return registry_pb2.ConfigResponse(
        compatibility_level=level.value if level else "",
        normalize=config.normalize,
        alias=config.alias,
        compatibility_group=config.compatibility_group,
    )
