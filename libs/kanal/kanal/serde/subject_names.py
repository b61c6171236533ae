"""Subject name strategies: which registry subject a topic's keys or values live under.

Confluent's three, with its names and results:

    topic_name_strategy          "<topic>-key" / "<topic>-value" (the default: one schema,
                                 evolving, per topic)
    record_name_strategy         "<record full name>" (one subject per record type, shared by
                                 every topic carrying it)
    topic_record_name_strategy   "<topic>-<record full name>" (several types in one topic)

The record name is the Avro record's full name, the JSON schema's `title`, or the Protobuf
message's full name. A custom strategy is any callable of the same signature.
"""

from __future__ import annotations

from collections.abc import Callable

from kanal.errors import SerializationError

SubjectNameStrategy = Callable[[str, bool, str | None], str]
"""(topic, is_key, record_name) -> subject."""


def topic_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    return f"{topic}-{'key' if is_key else 'value'}"


def record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    return _required(record_name)


def topic_record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    return f"{topic}-{_required(record_name)}"


def _required(record_name: str | None) -> str:
    if not record_name:
        raise SerializationError(
            "the record name strategies need a named schema (an Avro record, a JSON schema "
            "with a title, or a Protobuf message)"
        )
    return record_name


STRATEGIES: dict[str, SubjectNameStrategy] = {
    "topic": topic_name_strategy,
    "record": record_name_strategy,
    "topic_record": topic_record_name_strategy,
}
