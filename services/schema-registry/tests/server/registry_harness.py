"""An in-process registry for semantics tests: the planner's records are applied to the state
at once, as the reader would apply them, and kept so a test can replay the whole log."""

from __future__ import annotations

import json
from typing import TypeVar

from kanal_registry.schema_types import SchemaReference, SchemaType
from kanal_registry.service.reads import RegistryReads
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.service.schema_parsing import SchemaParser
from kanal_registry.service.writes import Plan, Registered, WritePlanner
from kanal_registry.state.registry_state import RegistryState
from kanal_registry.store.records import Record

_R = TypeVar("_R")


class LocalRegistry:
    def __init__(self) -> None:
        self.state = RegistryState()
        self.reads = RegistryReads(self.state, SchemaParser(self.state))
        self.planner = WritePlanner(self.reads)
        self.log: list[Record] = []

    def run(self, plan: Plan[_R]) -> _R:
        self.run_records(plan.records)
        return plan.result

    def run_records(self, records: list[Record]) -> None:
        """Apply records as the reader would, e.g. ones an older registry wrote."""
        for record in records:
            self.log.append(record)
            self.state.apply(record.key.encode(), record.value)

    def register(self, subject: str, schema: object, *, schema_type: SchemaType = SchemaType.AVRO,
                 references: tuple[SchemaReference, ...] = (), schema_id: int | None = None,
                 version: int | None = None, normalize: bool = False) -> Registered:
        text = schema if isinstance(schema, str) else json.dumps(schema)
        request = SchemaRequest(text, schema_type, references, schema_id, version)
        return self.run(self.planner.register(subject, request, normalize=normalize))

    def replayed(self) -> RegistryState:
        state = RegistryState()
        for record in self.log:
            state.apply(record.key.encode(), record.value)
        return state

