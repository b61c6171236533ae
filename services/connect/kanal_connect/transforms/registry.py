"""Kafka's bundled SMTs by class name (`org.apache.kafka.connect.transforms.Cast$Value`) and
by short alias (`Cast$Value`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from kanal_connect.transforms.base import Target, Transformation
from kanal_connect.transforms.cast import Cast
from kanal_connect.transforms.extract_hoist import ExtractField, HoistField
from kanal_connect.transforms.filter_flatten import Filter, Flatten
from kanal_connect.transforms.headers import DropHeaders, HeaderFrom, InsertHeader
from kanal_connect.transforms.insert_field import InsertField
from kanal_connect.transforms.mask_field import MaskField
from kanal_connect.transforms.replace_field import ReplaceField
from kanal_connect.transforms.routers import RegexRouter, TimestampRouter
from kanal_connect.transforms.set_schema_metadata import SetSchemaMetadata
from kanal_connect.transforms.timestamp_converter import TimestampConverter
from kanal_connect.transforms.value_to_key import ValueToKey

PACKAGE = "org.apache.kafka.connect.transforms."

_KEYED: dict[str, Callable[[Target], Transformation]] = {
    "Cast": Cast,
    "ExtractField": ExtractField,
    "Flatten": Flatten,
    "HeaderFrom": HeaderFrom,
    "HoistField": HoistField,
    "InsertField": InsertField,
    "MaskField": MaskField,
    "ReplaceField": ReplaceField,
    "SetSchemaMetadata": SetSchemaMetadata,
    "TimestampConverter": TimestampConverter,
}
_PLAIN: dict[str, Callable[[], Transformation]] = {
    "DropHeaders": DropHeaders,
    "Filter": Filter,
    "InsertHeader": InsertHeader,
    "RegexRouter": RegexRouter,
    "TimestampRouter": TimestampRouter,
    "ValueToKey": ValueToKey,
}


def _build() -> dict[str, Callable[[], Transformation]]:
    table: dict[str, Callable[[], Transformation]] = {}
    for name, keyed in _KEYED.items():
        for target in Target:
            table[f"{name}${target.value}"] = partial(keyed, target)
    table.update(_PLAIN)
    return table | {PACKAGE + alias: factory for alias, factory in table.items()}


TRANSFORMATIONS: dict[str, Callable[[], Transformation]] = _build()

# The class names Kafka lists in `GET /connector-plugins?connectorsOnly=false`.
TRANSFORMATION_CLASSES: tuple[str, ...] = tuple(
    sorted(n for n in TRANSFORMATIONS if n.startswith(PACKAGE))
)
