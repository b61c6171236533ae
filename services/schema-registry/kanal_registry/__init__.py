"""Kanal's schema registry: Confluent-compatible subjects, versions and compatibility.

The format layer is public here: parse a schema of any type (`parse_schema`), check it against
earlier versions at a compatibility level (`check`), and raise the registry's errors, which
carry Confluent's REST error codes. The server built on them (REST and gRPC edges, storage in
the `_schemas` topic, primary election through etcd) runs with `python -m kanal_registry`; see
this distribution's README for its layers.
"""

from kanal_registry.compatibility import DEFAULT_LEVEL, CompatibilityLevel, check
from kanal_registry.errors import (
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidSchema,
    RegistryError,
    RegistryErrorCode,
)
from kanal_registry.schema_types import (
    ParsedSchema,
    ReferenceResolver,
    SchemaReference,
    SchemaType,
    parse_schema,
)

__all__ = [
    "DEFAULT_LEVEL",
    "CompatibilityLevel",
    "IncompatibleSchema",
    "InvalidCompatibilityLevel",
    "InvalidSchema",
    "ParsedSchema",
    "ReferenceResolver",
    "RegistryError",
    "RegistryErrorCode",
    "SchemaReference",
    "SchemaType",
    "check",
    "parse_schema",
]
