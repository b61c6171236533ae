"""A writer process killed with SIGKILL loses no acknowledged record.

The child appends in a loop and prints each offset the log returned; the parent kills it
mid-stream, reopens the partition and finds every printed offset, with its value."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from kanal_broker.log import Log
from kanal_broker.log.testing import ManualClock, decode, topic_config

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kanal_broker.log import Log
    from kanal_broker.log.testing import build_batch, topic_config

    config = topic_config(segment_bytes=64 * 1024, index_interval_bytes=512)
    log = Log.open(Path(sys.argv[1]), config, now_ms=lambda: 1_700_000_000_000)
    sequence = 0
    while True:
        records = [(b"k%d" % sequence, b"value-%d" % sequence)]
        info = log.append_as_leader(build_batch(records), leader_epoch=1)
        print(info.first_offset, flush=True)
        sequence += 1
    """
)


def test_every_acknowledged_offset_survives_sigkill(tmp_path: Path) -> None:
    directory = tmp_path / "partition"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(directory)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) >= 3000:  # several segments' worth
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert acknowledged == list(range(len(acknowledged)))

    config = topic_config(segment_bytes=64 * 1024, index_interval_bytes=512)
    log = Log.open(directory, config, now_ms=ManualClock())
    try:
        assert log.recovery.segments_recovered >= 1
        assert log.log_end_offset >= len(acknowledged)
        found: dict[int, bytes | None] = {}
        offset = 0
        while offset < log.log_end_offset:
            result = log.read(offset, 1 << 20)
            found.update((offset_, value) for offset_, _, value in decode(result.records))
            offset = result.next_offset
        for acked in acknowledged:
            assert found[acked] == b"value-%d" % acked
    finally:
        log.abandon()
