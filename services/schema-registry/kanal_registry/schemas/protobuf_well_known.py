"""The types of protobuf's well-known imports, which every registry knows without references."""

from __future__ import annotations

_WELL_KNOWN: dict[str, tuple[str, ...]] = {
    "google/protobuf/any.proto": ("Any",),
    "google/protobuf/api.proto": ("Api", "Method", "Mixin"),
    "google/protobuf/duration.proto": ("Duration",),
    "google/protobuf/empty.proto": ("Empty",),
    "google/protobuf/field_mask.proto": ("FieldMask",),
    "google/protobuf/source_context.proto": ("SourceContext",),
    "google/protobuf/struct.proto": ("Struct", "Value", "ListValue", "NullValue"),
    "google/protobuf/timestamp.proto": ("Timestamp",),
    "google/protobuf/type.proto": ("Type", "Field", "Enum", "EnumValue", "Option", "Syntax"),
    "google/protobuf/wrappers.proto": (
        "DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value",
        "UInt32Value", "BoolValue", "StringValue", "BytesValue",
    ),
    "google/protobuf/descriptor.proto": (
        "FileDescriptorSet", "FileDescriptorProto", "DescriptorProto", "FieldDescriptorProto",
        "OneofDescriptorProto", "EnumDescriptorProto", "EnumValueDescriptorProto",
        "ServiceDescriptorProto", "MethodDescriptorProto", "FileOptions", "MessageOptions",
        "FieldOptions", "OneofOptions", "EnumOptions", "EnumValueOptions", "ServiceOptions",
        "MethodOptions",
    ),
}  # fmt: skip


def is_well_known(import_path: str) -> bool:
    return import_path in _WELL_KNOWN


def well_known_types(import_paths: list[str]) -> set[str]:
    """Full names of the types the well-known imports among `import_paths` declare."""
    return {
        f"google.protobuf.{name}" for path in import_paths for name in _WELL_KNOWN.get(path, ())
    }
