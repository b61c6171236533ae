"""Aligned text tables, shaped like the output of kafka-topics and kafka-consumer-groups.

    PARTITION  LEADER  REPLICAS  ISR
            0       1  1,2,3     1,2,3

Columns are separated by two spaces; a column whose every value is an integer is right-aligned,
others left-aligned; lines carry no trailing blanks. Cells are rendered with `str`, `None`
becomes "-", and sequences of ints become comma lists (Kafka's replica-list style).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Cell = object
_GAP = "  "


def cell_text(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ",".join(cell_text(item) for item in value)
    return str(value).replace("\n", " ")


def _is_integer(value: Cell) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def render_table(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The table as one string without a final newline."""
    raw_rows = [list(row) for row in rows]
    for row in raw_rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells for {len(headers)} columns: {row!r}")
    texts = [[cell_text(cell) for cell in row] for row in raw_rows]
    widths = [
        max([len(header), *(len(row[column]) for row in texts)])
        for column, header in enumerate(headers)
    ]
    numeric = [
        bool(raw_rows) and all(_is_integer(row[column]) for row in raw_rows)
        for column in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return _GAP.join(padded).rstrip()

    return "\n".join([line(list(headers)), *(line(row) for row in texts)])


def render_pairs(pairs: Iterable[tuple[str, Cell]]) -> str:
    """`key: value` lines with the values aligned (for describe outputs)."""
    items = [(key, cell_text(value)) for key, value in pairs]
    width = max((len(key) for key, _ in items), default=0) + 1
    return "\n".join(f"{key + ':':<{width}} {value}".rstrip() for key, value in items)
