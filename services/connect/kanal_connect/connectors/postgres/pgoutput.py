"""A parser for `pgoutput`, PostgreSQL's logical replication output plugin (protocol 1).

Each message is one row of `pg_logical_slot_get_binary_changes`. Integers are big-endian,
strings NUL-terminated UTF-8, LSNs 64-bit, timestamps microseconds since 2000-01-01 UTC:

    B Begin     final_lsn:i64 commit_ts:i64 xid:i32
    C Commit    flags:i8 commit_lsn:i64 end_lsn:i64 commit_ts:i64
    O Origin    lsn:i64 name:str
    R Relation  relid:i32 namespace:str name:str replica_identity:i8 ncols:i16
                ncols x (flags:i8 [1 = part of the key] name:str type_oid:i32 typmod:i32)
    Y Type      oid:i32 namespace:str name:str
    I Insert    relid:i32 'N' tuple
    U Update    relid:i32 ['K' tuple | 'O' tuple] 'N' tuple
    D Delete    relid:i32 ('K' | 'O') tuple
    T Truncate  nrels:i32 options:i8 [1 cascade, 2 restart identity] nrels x relid:i32
    M Message   flags:i8 lsn:i64 prefix:str length:i32 content

    tuple       ncols:i16, per column one of: 'n' (null), 'u' (unchanged TOASTed value,
                not sent), 't' length:i32 text, 'b' length:i32 binary

'K' carries the old key columns (the key changed), 'O' the whole old row (REPLICA IDENTITY
FULL). Anything malformed raises DataException naming the offset; nothing else escapes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from kanal_connect.errors import DataException


class Unchanged:
    """A TOASTed column the update did not touch: pgoutput does not send its value."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = Unchanged()

# One column of a tuple: None (SQL NULL), its text form, raw bytes (binary), or UNCHANGED.
ColumnValue = str | bytes | Unchanged | None
TupleData = tuple[ColumnValue, ...]


@dataclass(frozen=True, slots=True)
class Begin:
    final_lsn: int
    commit_ts_us: int
    xid: int


@dataclass(frozen=True, slots=True)
class Commit:
    flags: int
    commit_lsn: int
    end_lsn: int
    commit_ts_us: int


@dataclass(frozen=True, slots=True)
class Origin:
    lsn: int
    name: str


@dataclass(frozen=True, slots=True)
class RelationColumn:
    is_key: bool
    name: str
    type_oid: int
    typmod: int


@dataclass(frozen=True, slots=True)
class Relation:
    relid: int
    namespace: str
    name: str
    replica_identity: str  # 'd' default, 'n' nothing, 'f' full, 'i' index
    columns: tuple[RelationColumn, ...]


@dataclass(frozen=True, slots=True)
class TypeInfo:
    oid: int
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class Insert:
    relid: int
    new: TupleData


@dataclass(frozen=True, slots=True)
class Update:
    relid: int
    old: TupleData | None  # present only when the key changed or REPLICA IDENTITY FULL
    new: TupleData


@dataclass(frozen=True, slots=True)
class Delete:
    relid: int
    old: TupleData


@dataclass(frozen=True, slots=True)
class Truncate:
    options: int
    relids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LogicalMessage:
    flags: int
    lsn: int
    prefix: str
    content: bytes


Message = (
    Begin | Commit | Origin | Relation | TypeInfo | Insert | Update | Delete | Truncate
    | LogicalMessage
)


_I32 = struct.Struct(">i")
_INSERT_HEAD = struct.Struct(">Ixh")  # relid, the 'N' tag (checked by the caller), ncols


class _Reader:
    """A cursor over one message's bytes; every read checks the remaining length."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise DataException(
                f"pgoutput: message truncated at byte {self.pos} (needed {size} more bytes, "
                f"{len(self.data) - self.pos} left)"
            )
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def byte(self) -> str:
        return chr(self.take(1)[0])

    def i8(self) -> int:
        return self.take(1)[0]

    def i16(self) -> int:
        value: int = struct.unpack(">h", self.take(2))[0]
        return value

    def i32(self) -> int:
        value: int = struct.unpack(">i", self.take(4))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def i64(self) -> int:
        value: int = struct.unpack(">q", self.take(8))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack(">Q", self.take(8))[0]
        return value

    def string(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise DataException(f"pgoutput: unterminated string at byte {self.pos}")
        raw = self.data[self.pos:end]
        self.pos = end + 1
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise DataException(f"pgoutput: invalid UTF-8 in string at byte {self.pos}") from None

    def tuple_data(self) -> TupleData:
        count = self.i16()
        values, self.pos = _columns_at(self.data, self.pos, count)
        return values

    def tagged_tuple(self, *tags: str) -> tuple[str, TupleData]:
        tag = self.byte()
        if tag not in tags:
            raise DataException(f"pgoutput: expected one of {tags}, got {tag!r}")
        return tag, self.tuple_data()

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise DataException(
                f"pgoutput: {len(self.data) - self.pos} trailing bytes after the message"
            )


def _columns_at(data: bytes, pos: int, count: int) -> tuple[TupleData, int]:
    """A tuple's `count` columns starting at `pos`, and the position after them."""
    # The hot loop of the CDC task: one pass with local names, bounds checked per column.
    if count < 0:
        raise DataException(f"pgoutput: negative column count {count}")
    size = len(data)
    values: list[ColumnValue] = []
    for _ in range(count):
        if pos >= size:
            raise DataException(f"pgoutput: message truncated at byte {pos} (tuple)")
        kind = data[pos]
        pos += 1
        if kind == 0x6E:  # 'n'
            values.append(None)
        elif kind == 0x75:  # 'u'
            values.append(UNCHANGED)
        elif kind in (0x74, 0x62):  # 't', 'b'
            if pos + 4 > size:
                raise DataException(f"pgoutput: message truncated at byte {pos} (length)")
            (length,) = _I32.unpack_from(data, pos)
            pos += 4
            if length < 0 or pos + length > size:
                raise DataException(
                    f"pgoutput: message truncated at byte {pos} (value of {length} bytes)"
                )
            raw = data[pos:pos + length]
            pos += length
            if kind == 0x62:
                values.append(raw)
                continue
            try:
                values.append(raw.decode())
            except UnicodeDecodeError:
                raise DataException("pgoutput: column text is not UTF-8") from None
        else:
            raise DataException(f"pgoutput: unknown column kind {chr(kind)!r} at {pos - 1}")
    return tuple(values), pos


def parse_message(data: bytes) -> Message:
    """Decode one pgoutput message; DataException for anything malformed."""
    data = bytes(data)
    # Inserts are nearly every message of a busy slot: 'I' relid:u32 'N' ncols:i16 columns,
    # read without the cursor object. The errors are the cursor's: the checks before the
    # columns send anything short or odd to it, and the columns are read by the same code.
    if len(data) >= 8 and data[0] == 0x49 and data[5] == 0x4E:
        relid, count = _INSERT_HEAD.unpack_from(data, 1)
        values, end = _columns_at(data, 8, count)
        if end != len(data):
            raise DataException(f"pgoutput: {len(data) - end} trailing bytes after the message")
        return Insert(relid, values)
    return parse_with_reader(data)


def parse_with_reader(data: bytes) -> Message:
    """`parse_message` through the general cursor, for every message type."""
    reader = _Reader(data)
    kind = reader.byte()
    message = _PARSERS.get(kind)
    if message is None:
        raise DataException(f"pgoutput: unknown message type {kind!r}")
    parsed = message(reader)
    reader.finish()
    return parsed


def _begin(r: _Reader) -> Begin:
    return Begin(final_lsn=r.u64(), commit_ts_us=r.i64(), xid=r.u32())


def _commit(r: _Reader) -> Commit:
    return Commit(flags=r.i8(), commit_lsn=r.u64(), end_lsn=r.u64(), commit_ts_us=r.i64())


def _origin(r: _Reader) -> Origin:
    return Origin(lsn=r.u64(), name=r.string())


def _relation(r: _Reader) -> Relation:
    relid, namespace, name, identity = r.u32(), r.string(), r.string(), r.byte()
    count = r.i16()
    if count < 0:
        raise DataException(f"pgoutput: negative column count {count}")
    columns = tuple(
        RelationColumn(is_key=bool(r.i8() & 1), name=r.string(), type_oid=r.u32(), typmod=r.i32())
        for _ in range(count)
    )
    return Relation(relid, namespace, name, identity, columns)


def _type(r: _Reader) -> TypeInfo:
    return TypeInfo(oid=r.u32(), namespace=r.string(), name=r.string())


def _insert(r: _Reader) -> Insert:
    relid = r.u32()
    return Insert(relid, r.tagged_tuple("N")[1])


def _update(r: _Reader) -> Update:
    relid = r.u32()
    tag, first = r.tagged_tuple("K", "O", "N")
    if tag == "N":
        return Update(relid, None, first)
    return Update(relid, first, r.tagged_tuple("N")[1])


def _delete(r: _Reader) -> Delete:
    relid = r.u32()
    return Delete(relid, r.tagged_tuple("K", "O")[1])


def _truncate(r: _Reader) -> Truncate:
    count = r.i32()
    if count < 0:
        raise DataException(f"pgoutput: negative relation count {count}")
    options = r.i8()
    return Truncate(options, tuple(r.u32() for _ in range(count)))


def _message(r: _Reader) -> LogicalMessage:
    flags, lsn, prefix = r.i8(), r.u64(), r.string()
    return LogicalMessage(flags, lsn, prefix, r.take(r.i32()))


_PARSERS: dict[str, Callable[[_Reader], Message]] = {
    "B": _begin,
    "C": _commit,
    "O": _origin,
    "R": _relation,
    "Y": _type,
    "I": _insert,
    "U": _update,
    "D": _delete,
    "T": _truncate,
    "M": _message,
}


def timestamp_ms(pg_micros: int) -> int:
    """A pgoutput timestamp (microseconds since 2000-01-01) as Unix epoch milliseconds."""
    return (pg_micros // 1000) + 946_684_800_000


def format_lsn(lsn: int) -> str:
    """PostgreSQL's text form of an LSN: two hex halves, `16/B374D848`."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    high, sep, low = text.partition("/")
    if not sep:
        raise DataException(f"not an LSN: {text!r}")
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        raise DataException(f"not an LSN: {text!r}") from None
