"""The user events Datagen produces: the seed guide's `{user_id, action, timestamp}`.

Event number n of a task is a pure function of (seed, task, n) when a seed is given, so a
restarted task continues the same sequence it would have produced."""

from __future__ import annotations

import random

from kanal_connect.data.schema import INT64, STRING, struct
from kanal_connect.data.structs import Struct

ACTIONS = ("click", "view", "purchase", "login", "logout", "add_to_cart")
USERS = 1000
KEY_SCHEMA = STRING
VALUE_SCHEMA = struct(
    [("user_id", STRING), ("action", STRING), ("timestamp", INT64)],
    name="ksql.user_events",
)


def event(rng: random.Random, timestamp_ms: int) -> tuple[str, Struct]:
    """(key, value) of one event drawn from `rng`."""
    user_id = str(rng.randrange(1, USERS + 1))
    value = Struct(VALUE_SCHEMA)
    value.put("user_id", user_id)
    value.put("action", rng.choice(ACTIONS))
    value.put("timestamp", timestamp_ms)
    return f"user{user_id}", value


def event_rng(seed: int | None, task: int, number: int) -> random.Random:
    """The generator for event `number` of `task`: seeded per event when deterministic."""
    if seed is None:
        return random.Random()
    return random.Random(f"{seed}:{task}:{number}")
