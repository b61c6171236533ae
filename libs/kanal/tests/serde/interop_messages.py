"""The interop tests' message classes, compiled by protoc (grpcio-tools) from protos/ at test
time: `kanal_interop/order.proto` imports a sibling file (a schema reference to another
subject) and google/protobuf/timestamp.proto (a well-known type every registry knows);
`kanal_interop/options.proto` sets file, message, field, enum and enum value options."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from grpc_tools import protoc

PROTOS = Path(__file__).parent / "protos"
_FILES = ("kanal_interop/money.proto", "kanal_interop/order.proto", "kanal_interop/options.proto")


def compiled_modules(out: Path) -> tuple[ModuleType, ModuleType]:
    """`kanal_interop.order_pb2` and `kanal_interop.money_pb2`, generated into `out` once per
    test process (generated modules add their files to protobuf's default pool, which keeps
    them for the life of the process)."""
    name = "kanal_interop.order_pb2"
    if name not in sys.modules:
        include = str(Path(protoc.__file__).parent / "_proto")
        status = protoc.main(
            ["protoc", f"-I{PROTOS}", f"-I{include}", f"--python_out={out}", *_FILES]
        )
        if status != 0:
            raise RuntimeError(f"protoc failed with status {status}")
        sys.path.insert(0, str(out))
    return importlib.import_module(name), importlib.import_module("kanal_interop.money_pb2")


def options_module(out: Path) -> ModuleType:
    """`kanal_interop.options_pb2`, compiled with the others."""
    compiled_modules(out)
    return importlib.import_module("kanal_interop.options_pb2")
