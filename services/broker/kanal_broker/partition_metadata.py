"""`partition.metadata`: which topic incarnation a partition directory belongs to.

Kafka writes the same file (`version: 0` / `topic_id: ...`). A topic deleted and created
again while this broker was down has the same directory name but a new id; without this file
the new topic would silently inherit the old records. A directory whose id does not match is
never deleted here (a broker pointed at the wrong cluster must not wipe its disk): it is moved
aside as `<dir>.<old-id>-stray`, as Kafka does with stray logs, and a fresh log starts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "partition.metadata"


def read_topic_id(directory: Path) -> str | None:
    try:
        text = (directory / FILE_NAME).read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "topic_id":
            return value.strip()
    return None


def write_topic_id(directory: Path, topic_id: str) -> None:
    """Written once, atomically (temp file, fsync, rename)."""
    path = directory / FILE_NAME
    temporary = path.with_name(FILE_NAME + ".tmp")
    with open(temporary, "w") as out:
        out.write(f"version: 0\ntopic_id: {topic_id}\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def claim_directory(directory: Path, topic_id: str) -> None:
    """Make `directory` belong to `topic_id`: keep it if it already does (or predates this
    file), move it aside if it belongs to another incarnation of the topic."""
    if directory.is_dir():
        found = read_topic_id(directory)
        if found is not None and found != topic_id:
            stray = directory.with_name(f"{directory.name}.{found}-stray")
            log.warning("%s belongs to topic id %s, not %s: moved to %s",
                        directory, found, topic_id, stray)
            directory.rename(stray)
    directory.mkdir(parents=True, exist_ok=True)
    if read_topic_id(directory) is None:
        write_topic_id(directory, topic_id)
