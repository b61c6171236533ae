from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from kanal.cli.table import cell_text, render_pairs, render_table


def test_partition_table_looks_like_kafka_topics() -> None:
    text = render_table(
        ["PARTITION", "LEADER", "REPLICAS", "ISR"],
        [[0, 1, [1, 2, 3], [1, 2, 3]], [10, 2, [2, 3, 1], [2]]],
    )
    assert text.splitlines() == [
        "PARTITION  LEADER  REPLICAS  ISR",
        "        0       1  1,2,3     1,2,3",
        "       10       2  2,3,1     2",
    ]


def test_empty_table_is_its_header_and_none_is_a_dash() -> None:
    assert render_table(["A", "B"], []) == "A  B"
    assert cell_text(None) == "-"
    assert render_table(["NAME", "RACK"], [["b1", None]]).splitlines()[1] == "b1    -"


def test_pairs_align_values() -> None:
    assert render_pairs([("Topic", "t"), ("PartitionCount", 3)]).splitlines() == [
        "Topic:          t",
        "PartitionCount: 3",
    ]


words = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12
)
cells = st.one_of(words, st.integers(min_value=-5, max_value=10**6))


@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda n: st.tuples(
            st.lists(words, min_size=n, max_size=n),
            st.lists(st.lists(cells, min_size=n, max_size=n), max_size=6),
        )
    )
)
def test_every_cell_round_trips_and_columns_line_up(
    table: tuple[list[str], list[list[object]]],
) -> None:
    headers, rows = table
    lines = render_table(headers, rows).splitlines()
    assert len(lines) == 1 + len(rows)
    every_row: list[list[object]] = [list(headers), *rows]
    for line, row in zip(lines, every_row, strict=True):
        assert line.split() == [cell_text(cell) for cell in row]
        assert line == line.rstrip()
    # Column boundaries: every line has its gaps at the same positions.
    widths = [max(len(cell_text(r[i])) for r in every_row) for i in range(len(headers))]
    for line in lines:
        position = 0
        for width in widths[:-1]:
            position += width
            assert line[position : position + 2] == "  "
            position += 2
