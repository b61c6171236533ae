"""Kafka's stock config validators, with their exact messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kanal_connect.config.definition import ConfigValueError, Validator
from kanal_connect.java_regex import compile_java


def non_empty_list(_name: str, value: object) -> None:
    """`NonEmptyListValidator`."""
    if not isinstance(value, list) or not value:
        raise ConfigValueError("Empty list")


def non_empty_string(_name: str, value: object) -> None:
    """`ConfigDef.NonEmptyString` (null is allowed)."""
    if isinstance(value, str) and not value.strip():
        raise ConfigValueError("String must be non-empty")


def non_null(_name: str, value: object) -> None:
    """`ConfigDef.NonNullValidator`."""
    if value is None:
        raise ConfigValueError("entry must be non null")


def one_of(*choices: str) -> Validator:
    """`ConfigDef.ValidString.in(...)`."""

    def check(_name: str, value: object) -> None:
        if value not in choices:
            raise ConfigValueError("String must be one of: " + ", ".join(choices))

    return check


def regex(_name: str, value: object) -> None:
    """`RegexValidator`: the value must compile."""
    try:
        compile_java(str(value))
    except re.error as error:
        raise ConfigValueError(f"Invalid regex: {error}") from None


def unique(kind: str) -> Validator:
    """The alias validator of `transforms` and `predicates`."""

    def check(_name: str, value: object) -> None:
        if value is None:
            raise ConfigValueError("entry must be non null")
        aliases = list(value) if isinstance(value, Iterable) else []
        if len(aliases) != len(set(aliases)):
            raise ConfigValueError("Duplicate alias provided.")

    check.__doc__ = f"unique {kind} aliases"
    return check
