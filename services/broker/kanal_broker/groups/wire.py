"""The primitive byte layout shared by every `__consumer_offsets` key and value.

Big-endian fixed-width integers (as in Kafka's classic record schemas):
    int8 | int16 | int32 | int64
    string          = int16 length, then UTF-8 bytes
    nullable string = int16 length (-1 for null), then UTF-8 bytes
    array of T      = int32 count, then count x T
A reader refuses short input, negative lengths other than a null string's -1, invalid UTF-8
and trailing bytes with CorruptRecord, so a damaged record never becomes state.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TypeVar

from kanal.errors import CorruptRecord

_T = TypeVar("_T")
_FORMATS = {1: ">b", 2: ">h", 4: ">i", 8: ">q"}
_MAX_STRING_BYTES = 0x7FFF


class Writer:
    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def int(self, width: int, value: int) -> Writer:
        self._parts.append(struct.pack(_FORMATS[width], value))
        return self

    def string(self, text: str) -> Writer:
        data = text.encode("utf-8")
        if len(data) > _MAX_STRING_BYTES:
            raise ValueError(f"string of {len(data)} bytes does not fit an int16 length")
        self._parts.append(struct.pack(">h", len(data)) + data)
        return self

    def nullable_string(self, text: str | None) -> Writer:
        if text is None:
            return self.int(2, -1)
        return self.string(text)

    def strings(self, texts: list[str] | tuple[str, ...]) -> Writer:
        self.int(4, len(texts))
        for text in texts:
            self.string(text)
        return self

    def bytes(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def _take(self, count: int) -> bytes:
        if count < 0 or self._pos + count > len(self._data):
            raise CorruptRecord(f"record ends early at byte {self._pos} (needs {count} more)")
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def int(self, width: int) -> int:
        value: int = struct.unpack(_FORMATS[width], self._take(width))[0]
        return value

    def nullable_string(self) -> str | None:
        length = self.int(2)
        if length == -1:
            return None
        if length < 0:
            raise CorruptRecord(f"negative string length {length}")
        try:
            return self._take(length).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorruptRecord(f"string is not UTF-8: {exc}") from None

    def string(self) -> str:
        text = self.nullable_string()
        if text is None:
            raise CorruptRecord("null where a string is required")
        return text

    def array(self, read_one: Callable[[Reader], _T]) -> list[_T]:
        count = self.int(4)
        if count < 0 or count > len(self._data) - self._pos:
            # Every element takes at least one byte, so a larger count is a lie.
            raise CorruptRecord(f"array count {count} does not fit the record")
        return [read_one(self) for _ in range(count)]

    def strings(self) -> list[str]:
        return self.array(Reader.string)

    def finish(self) -> None:
        if self._pos != len(self._data):
            raise CorruptRecord(f"{len(self._data) - self._pos} trailing bytes in record")
