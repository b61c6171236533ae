"""JSON text exactly as Kafka's Jackson `ObjectMapper` writes and reads it.

Writing: compact (no spaces), object keys in insertion order, strings escaped only for `"`,
`\\` and control characters (short forms \\b \\t \\n \\f \\r, else \\u00XX with upper-case
hex), non-ASCII left as UTF-8, binary nodes as standard base64 with padding, doubles and
floats through Java's `toString`, non-finite numbers quoted ("NaN", "Infinity"), BigDecimal
through its `toString` (Python's `str(Decimal)` follows the same rules).

Reading: floating-point numbers become `Decimal` (Kafka enables USE_BIG_DECIMAL_FOR_FLOATS),
an empty document is Jackson's "missing" node, and every failure is a DataException.
"""

from __future__ import annotations

import base64
import decimal
import json
from dataclasses import dataclass

from kanal_connect.errors import DataException
from kanal_connect.java_text import java_double, java_float


@dataclass(frozen=True, slots=True)
class Float32:
    """A FLOAT32 number node (Python floats are written as Java doubles)."""

    value: float


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary node: bytes written as base64 text."""

    data: bytes


class _Missing:
    """Jackson's MissingNode: what an empty document parses to."""


MISSING = _Missing()

JsonNode = (
    None
    | bool
    | int
    | float
    | decimal.Decimal
    | str
    | Float32
    | Binary
    | list["JsonNode"]
    | dict[str, "JsonNode"]
)

_ESCAPES = {i: f"\\u{i:04X}" for i in range(0x20)}
_ESCAPES.update(
    {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
)


def write(node: JsonNode) -> bytes:
    """Serialize a node tree to UTF-8 bytes; lone surrogates raise DataException."""
    parts: list[str] = []
    _write(node, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as error:
        raise DataException(f"Cannot write a string with a lone surrogate: {error}") from None


def _write(node: JsonNode, out: list[str]) -> None:
    if node is None:
        out.append("null")
    elif node is True:
        out.append("true")
    elif node is False:
        out.append("false")
    elif isinstance(node, int):
        out.append(str(node))
    elif isinstance(node, float):
        out.append(_number(java_double(node)))
    elif isinstance(node, Float32):
        out.append(_number(java_float(node.value)))
    elif isinstance(node, decimal.Decimal):
        out.append(str(node))
    elif isinstance(node, str):
        out.append('"' + node.translate(_ESCAPES) + '"')
    elif isinstance(node, Binary):
        out.append('"' + base64.b64encode(node.data).decode("ascii") + '"')
    elif isinstance(node, list):
        out.append("[")
        for index, item in enumerate(node):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append("{")
        for index, (key, item) in enumerate(node.items()):
            if index:
                out.append(",")
            out.append('"' + key.translate(_ESCAPES) + '":')
            _write(item, out)
        out.append("}")


def _number(text: str) -> str:
    # Jackson's default WRITE_NAN_AS_STRINGS quotes the non-finite values.
    return f'"{text}"' if text in ("NaN", "Infinity", "-Infinity") else text


def _reject_constant(name: str) -> object:
    raise DataException(f"Non-standard token '{name}' is not valid JSON")


def read(data: bytes) -> object:
    """Parse a JSON document (floats as Decimal); empty input is MISSING."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataException(
            f"Converting byte[] to Kafka Connect data failed due to serialization error: {error}"
        ) from None
    if not text.strip():
        return MISSING
    try:
        return json.loads(text, parse_float=decimal.Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise DataException(
            f"Converting byte[] to Kafka Connect data failed due to serialization error: {error}"
        ) from None
