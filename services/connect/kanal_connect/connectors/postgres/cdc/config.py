"""The CDC source's configuration keys (Debezium's names) and their parsed form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg.conninfo

from kanal_connect.config.definition import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfigValueError,
    Importance,
)
from kanal_connect.config.validators import non_empty_string, one_of
from kanal_connect.connectors.postgres.connection import check_url, conninfo

SNAPSHOT_MODES = ("initial", "never", "initial_only", "always")
AUTOCREATE_MODES = ("all_tables", "disabled", "filtered")
# Values reach the connector in their text form, which these session settings shape (also
# inside logical decoding, which runs in the session calling the SQL functions): pinned so
# `types` parses one format whatever the database's defaults.
TEXT_FORMAT_OPTIONS = (
    "-c DateStyle=ISO,YMD -c TimeZone=UTC -c IntervalStyle=postgres "
    "-c extra_float_digits=3 -c bytea_output=hex"
)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _slot_name(_name: str, value: object) -> None:
    if not isinstance(value, str) or not _IDENTIFIER.match(value) or len(value) > 63:
        raise ConfigValueError(
            "Slot names may only contain lower case letters, numbers and underscores"
        )


def _regex_list(_name: str, value: object) -> None:
    for pattern in value if isinstance(value, list) else []:
        try:
            re.compile(str(pattern))
        except re.error as error:
            raise ConfigValueError(f"{pattern!r} is not a regular expression: {error}") from None


def config_def() -> ConfigDef:
    high, medium, low = Importance.HIGH, Importance.MEDIUM, Importance.LOW
    return (
        ConfigDef()
        .define("connection.url", ConfigType.STRING, None, high,
                "jdbc:postgresql://host:port/db or postgresql://host:port/db; when unset, "
                "database.hostname/port/dbname are used", validator=check_url)
        .define("database.hostname", ConfigType.STRING, "127.0.0.1", high, "Server host.")
        .define("database.port", ConfigType.INT, 5432, high, "Server port.")
        .define("database.user", ConfigType.STRING, None, high,
                "User with REPLICATION (and CREATE on the database for autocreated "
                "publications).")
        .define("database.password", ConfigType.PASSWORD, None, high, "Password.")
        .define("database.dbname", ConfigType.STRING, "postgres", high, "Database to capture.")
        .define("topic.prefix", ConfigType.STRING, NO_DEFAULT, high,
                "Topics are named <topic.prefix>.<schema>.<table>; also the source 'name'.",
                validator=non_empty_string)
        .define("slot.name", ConfigType.STRING, "debezium", high,
                "Logical replication slot (created with the pgoutput plugin if missing).",
                validator=_slot_name)
        .define("slot.drop.on.stop", ConfigType.BOOLEAN, False, low,
                "Drop the slot when the task stops (tests and demos only: changes made "
                "while stopped are lost).")
        .define("publication.name", ConfigType.STRING, "dbz_publication", high,
                "Publication the slot decodes.", validator=non_empty_string)
        .define("publication.autocreate.mode", ConfigType.STRING, "all_tables", medium,
                "all_tables: CREATE PUBLICATION .. FOR ALL TABLES; filtered: for the tables "
                "matching table.include.list; disabled: it must exist.",
                validator=one_of(*AUTOCREATE_MODES), recommended_values=AUTOCREATE_MODES)
        .define("table.include.list", ConfigType.LIST, [], medium,
                "Regular expressions matched against schema.table; empty: every table.",
                validator=_regex_list)
        .define("snapshot.mode", ConfigType.STRING, "initial", medium,
                "initial: snapshot when no offset is stored; always: at every start; "
                "initial_only: snapshot then stop; never: stream only.",
                validator=one_of(*SNAPSHOT_MODES), recommended_values=SNAPSHOT_MODES)
        .define("max.batch.size", ConfigType.INT, 2048, low,
                "Changes decoded per poll (whole transactions are always returned).")
        .define("poll.interval.ms", ConfigType.LONG, 500, low,
                "Wait between polls of an idle slot.")
        .define("tombstones.on.delete", ConfigType.BOOLEAN, True, medium,
                "Emit a null-valued record after each delete, for log compaction.")
    )


@dataclass(frozen=True, slots=True)
class CdcConfig:
    conninfo: str
    dbname: str
    topic_prefix: str
    slot_name: str
    slot_drop_on_stop: bool
    publication_name: str
    publication_autocreate: str
    table_include: tuple[re.Pattern[str], ...]
    snapshot_mode: str
    max_batch_size: int
    poll_interval_s: float
    tombstones_on_delete: bool

    def includes(self, schema: str, table: str) -> bool:
        if not self.table_include:
            return True
        name = f"{schema}.{table}"
        return any(pattern.fullmatch(name) for pattern in self.table_include)


def parse_config(props: Mapping[str, str]) -> CdcConfig:
    values = config_def().parse(props)
    url = values["connection.url"]
    user = values["database.user"]
    password = values["database.password"]
    if url is None:
        url = (
            f"postgresql://{values['database.hostname']}:{values['database.port']}/"
            f"{values['database.dbname']}"
        )
    assert isinstance(url, str)
    info = psycopg.conninfo.make_conninfo(
        conninfo(url, _opt(user), _opt(password)), options=TEXT_FORMAT_OPTIONS
    )
    dbname = str(psycopg.conninfo.conninfo_to_dict(info).get("dbname", "postgres"))
    return CdcConfig(
        conninfo=info,
        dbname=dbname,
        topic_prefix=str(values["topic.prefix"]),
        slot_name=str(values["slot.name"]),
        slot_drop_on_stop=bool(values["slot.drop.on.stop"]),
        publication_name=str(values["publication.name"]),
        publication_autocreate=str(values["publication.autocreate.mode"]),
        table_include=tuple(re.compile(p) for p in _list(values["table.include.list"])),
        snapshot_mode=str(values["snapshot.mode"]),
        max_batch_size=max(1, _int(values["max.batch.size"])),
        poll_interval_s=_int(values["poll.interval.ms"]) / 1000,
        tombstones_on_delete=bool(values["tombstones.on.delete"]),
    )


def _opt(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _list(value: object) -> list[str]:
    assert isinstance(value, list)
    return [str(item) for item in value if str(item)]
