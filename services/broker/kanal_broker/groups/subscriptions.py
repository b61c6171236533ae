"""Resolving a member's subscription (topic names and/or a regex) against topic metadata."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from kanal.errors import InvalidRegularExpression

from kanal_broker.groups.member import Member

INTERNAL_TOPIC_PREFIX = "__"
"""Internal topics (like `__consumer_offsets`) never match a regex subscription."""


@lru_cache(maxsize=1024)
def compile_subscription_regex(pattern: str) -> re.Pattern[str]:
    """The compiled pattern; raises InvalidRegularExpression (code 128) when it is not one."""
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise InvalidRegularExpression(f"invalid subscription regex {pattern!r}: {exc}") from None


def subscribed_topics(member: Member, topics: Mapping[str, int]) -> frozenset[str]:
    """The existing topics the member subscribes to: named ones plus full regex matches."""
    chosen = {name for name in member.subscribed_topic_names if name in topics}
    if member.subscribed_topic_regex is not None:
        pattern = compile_subscription_regex(member.subscribed_topic_regex)
        chosen.update(
            name
            for name in topics
            if not name.startswith(INTERNAL_TOPIC_PREFIX) and pattern.fullmatch(name)
        )
    return frozenset(chosen)
