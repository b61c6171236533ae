"""StringConverter and ByteArrayConverter."""

from __future__ import annotations

import pytest
from kanal_connect.converters import ByteArrayConverter, StringConverter, converter_for
from kanal_connect.data import BYTES, OPTIONAL_BYTES, OPTIONAL_STRING, STRING
from kanal_connect.errors import DataException, InvalidConnectorConfig


def test_string_converter_writes_java_to_string() -> None:
    converter = StringConverter()
    converter.configure({}, False)
    assert converter.from_connect("t", STRING, "héllo") == "héllo".encode()
    assert converter.from_connect("t", None, 1.0) == b"1.0"
    assert converter.from_connect("t", None, True) == b"true"
    assert converter.from_connect("t", None, None) is None
    assert converter.to_connect("t", b"abc") == (OPTIONAL_STRING, "abc")
    assert converter.to_connect("t", None) == (OPTIONAL_STRING, None)


def test_string_converter_encoding() -> None:
    converter = StringConverter()
    converter.configure({"converter.encoding": "ISO-8859-1"}, True)
    assert converter.from_connect("t", STRING, "é") == b"\xe9"
    assert converter.to_connect("t", b"\xe9").value == "é"
    with pytest.raises(InvalidConnectorConfig):
        converter.configure({"converter.encoding": "no-such-charset"}, True)


def test_byte_array_converter_passes_bytes() -> None:
    converter = converter_for("org.apache.kafka.connect.converters.ByteArrayConverter")
    converter.configure({}, False)
    assert converter.from_connect("t", BYTES, b"\x00\x01") == b"\x00\x01"
    assert converter.to_connect("t", b"\x02") == (OPTIONAL_BYTES, b"\x02")
    with pytest.raises(DataException, match="Invalid schema type"):
        converter.from_connect("t", STRING, "x")
    with pytest.raises(DataException):
        ByteArrayConverter().from_connect("t", None, "x")
