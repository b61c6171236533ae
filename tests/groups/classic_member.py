"""A classic-group member in its own process, for kill -9 tests:
`python classic_member.py BOOTSTRAP GROUP SESSION_MS` joins, syncs (assigning nothing when it
leads), prints its member id and generation, then heartbeats until killed."""

from __future__ import annotations

import asyncio
import sys

from kanal.client.classic_group import ClassicGroupMember


async def main(bootstrap: str, group_id: str, session_ms: int) -> None:
    member = ClassicGroupMember(bootstrap, group_id, "connect", session_timeout_ms=session_ms,
                                rebalance_timeout_ms=10_000, heartbeat_interval_ms=200)
    try:
        while True:
            joined = await member.join(b"process")
            plan = {m: b"" for m in joined.members} if joined.members else None
            try:
                await member.sync(plan)
            except Exception:
                continue
            print(joined.member_id, joined.generation, flush=True)
            await member.rebalance_needed.wait()
    finally:
        await member.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
