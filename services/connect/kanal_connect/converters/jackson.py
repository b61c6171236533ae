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
import re
from dataclasses import dataclass
from json.encoder import encode_basestring as _c_quote

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
    return utf8(write_text(node))


def write_text(node: JsonNode) -> str:
    """The JSON text of a node tree, before UTF-8 encoding."""
    parts: list[str] = []
    _write(node, parts)
    return "".join(parts)


def utf8(text: str) -> bytes:
    """Encode written JSON text; lone surrogates raise DataException."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DataException(f"Cannot write a string with a lone surrogate: {error}") from None


def quote(text: str) -> str:
    """A JSON string literal with Jackson's escapes."""
    quoted = _c_quote(text)
    # The C encoder escapes the same characters but writes \u00XX in lower-case hex; any
    # "\u00" in its output (a control character, or a literal backslash before "u00") goes
    # through the exact table instead.
    return quoted if "\\u00" not in quoted else '"' + text.translate(_ESCAPES) + '"'


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
        out.append(number_text(java_double(node)))
    elif isinstance(node, Float32):
        out.append(number_text(java_float(node.value)))
    elif isinstance(node, decimal.Decimal):
        out.append(str(node))
    elif isinstance(node, str):
        out.append(quote(node))
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
            out.append(quote(key) + ":")
            _write(item, out)
        out.append("}")


def number_text(text: str) -> str:
    # Jackson's default WRITE_NAN_AS_STRINGS quotes the non-finite values.
    return f'"{text}"' if text in ("NaN", "Infinity", "-Infinity") else text


def _reject_constant(name: str) -> object:
    raise DataException(f"Non-standard token '{name}' is not valid JSON")


# One decoder for every read: `json.loads` with options builds a new one per call.
_DECODER = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_reject_constant)
# The envelope's tokens around its two values; JSON whitespace allowed where JSON allows it
# (Python producers write `{"schema": {...}, "payload": ...}` with spaces).
_ENVELOPE_HEAD = re.compile(r'[ \t\n\r]*\{[ \t\n\r]*"schema"[ \t\n\r]*:[ \t\n\r]*')
_ENVELOPE_MIDDLE = re.compile(r'[ \t\n\r]*,[ \t\n\r]*"payload"[ \t\n\r]*:[ \t\n\r]*')
_ENVELOPE_TAIL = re.compile(r"[ \t\n\r]*\}[ \t\n\r]*\Z")


def read(data: bytes) -> object:
    """Parse a JSON document (floats as Decimal); empty input is MISSING."""
    return parse(decode(data))


def decode(data: bytes) -> str:
    """The document's text; invalid UTF-8 raises DataException."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataException(
            f"Converting byte[] to Kafka Connect data failed due to serialization error: {error}"
        ) from None


def parse(text: str) -> object:
    """`read` of already decoded text."""
    if not text.strip():
        return MISSING
    try:
        if text.startswith("\ufeff"):  # as json.loads refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except (ValueError, RecursionError) as error:
        raise DataException(
            f"Converting byte[] to Kafka Connect data failed due to serialization error: {error}"
        ) from None


def payload_after(text: str, start: int) -> object:
    """The payload of an envelope whose head `{"schema":S,"payload":` (spaced or not) ends at
    `start`, when the payload starts right there and only the closing brace follows it;
    MISSING for anything else, which `split_envelope` then reads (or refuses) as usual. What
    this accepts, split_envelope reads the same way: it is that function's path for an
    envelope whose head is known, without the three pattern matches."""
    try:
        payload, end = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError, DataException):
        return MISSING
    return payload if end == len(text) - 1 and text[end] == "}" else MISSING


def split_envelope(text: str, known_schema: str = "") -> tuple[str, object, object, int] | None:
    """(schema text, schema node, payload node, where the payload starts) of a
    `{"schema":S,"payload":P}` document, or None for any other text, which `parse` then
    reads or refuses.

    The schema's own text lets a converter key its schema cache exactly, without
    rebuilding the Connect schema of every record. When the schema text is `known_schema`
    it is not parsed again and the node is MISSING: a complete JSON value followed by the
    envelope's comma is exactly where a parser would have ended it."""
    head = _ENVELOPE_HEAD.match(text)
    if head is None:
        return None
    start = head.end()
    try:
        middle = (
            _ENVELOPE_MIDDLE.match(text, start + len(known_schema))
            if known_schema and text.startswith(known_schema, start)
            else None
        )
        if middle is not None:
            schema_node: object = MISSING
            schema_end = start + len(known_schema)
        else:
            schema_node, schema_end = _DECODER.raw_decode(text, start)
            middle = _ENVELOPE_MIDDLE.match(text, schema_end)
            if middle is None:
                return None
        payload_start = middle.end()
        payload, payload_end = _DECODER.raw_decode(text, payload_start)
    except (ValueError, RecursionError, DataException):
        return None
    if _ENVELOPE_TAIL.match(text, payload_end) is None:
        return None
    return text[start:schema_end], schema_node, payload, payload_start
