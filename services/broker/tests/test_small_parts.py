"""Unit tests of the broker's small pure parts: the partition.metadata file."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from kanal_broker.partition_metadata import (
    FILE_NAME,
    claim_directory,
    read_topic_id,
    write_topic_id,
)


def test_claiming_a_directory(tmp_path: Path) -> None:
    directory = tmp_path / "t-0"
    claim_directory(directory, "id-1")
    assert read_topic_id(directory) == "id-1"
    (directory / "00000000000000000000.log").write_bytes(b"old")
    claim_directory(directory, "id-1")  # same incarnation: kept as is
    assert (directory / "00000000000000000000.log").exists()
    claim_directory(directory, "id-2")  # another incarnation: moved aside, never deleted
    assert read_topic_id(directory) == "id-2"
    assert not (directory / "00000000000000000000.log").exists()
    assert (tmp_path / "t-0.id-1-stray" / "00000000000000000000.log").read_bytes() == b"old"


def test_a_directory_from_before_the_file_is_adopted(tmp_path: Path) -> None:
    directory = tmp_path / "t-0"
    directory.mkdir()
    (directory / "00000000000000000000.log").write_bytes(b"data")
    claim_directory(directory, "id-9")
    assert read_topic_id(directory) == "id-9"
    assert (directory / "00000000000000000000.log").exists()


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_any_file_content_reads_without_crashing(content: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        (directory / FILE_NAME).write_text(content)
        found = read_topic_id(directory)
        assert found is None or isinstance(found, str)
        write_topic_id(directory, "abc")
        assert read_topic_id(directory) == "abc"
