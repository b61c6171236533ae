"""The sink's configuration keys (the JDBC sink connector's names) and their parsed form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import non_empty_list, one_of
from kanal_connect.connectors.postgres.connection import check_url, conninfo

INSERT_MODES = ("insert", "upsert", "update")
PK_MODES = ("none", "kafka", "record_key", "record_value")
KAFKA_PK_DEFAULTS = ("__connect_topic", "__connect_partition", "__connect_offset")
OFFSETS_TABLE = "__kanal_connect_offsets"


def config_def() -> ConfigDef:
    high, medium, _low = Importance.HIGH, Importance.MEDIUM, Importance.LOW
    return (
        ConfigDef()
        .define("connection.url", ConfigType.STRING, NO_DEFAULT, high,
                "jdbc:postgresql://host:port/db or postgresql://host:port/db.",
                validator=check_url)
        .define("connection.user", ConfigType.STRING, None, high, "Database user.")
        .define("connection.password", ConfigType.PASSWORD, None, high, "Password.")
        .define("topics", ConfigType.LIST, NO_DEFAULT, high, "Topics to write.",
                validator=non_empty_list)
        .define("insert.mode", ConfigType.STRING, "insert", high,
                "insert: INSERT; upsert: INSERT .. ON CONFLICT DO UPDATE; update: UPDATE.",
                validator=one_of(*INSERT_MODES), recommended_values=INSERT_MODES)
        .define("pk.mode", ConfigType.STRING, "none", high,
                "Where the primary key comes from: none, kafka (topic, partition, offset), "
                "record_key or record_value.",
                validator=one_of(*PK_MODES), recommended_values=PK_MODES)
        .define("pk.fields", ConfigType.LIST, [], medium,
                "Key column names (pk.mode kafka: three names; record_key/record_value: "
                "the fields to use, empty for all).")
        .define("auto.create", ConfigType.BOOLEAN, False, medium,
                "CREATE TABLE from the record schema when the table is missing.")
        .define("auto.evolve", ConfigType.BOOLEAN, False, medium,
                "ALTER TABLE .. ADD COLUMN for fields the table lacks.")
        .define("delete.enabled", ConfigType.BOOLEAN, False, medium,
                "Delete the row of a tombstone's key (needs pk.mode=record_key).")
        .define("table.name.format", ConfigType.STRING, "${topic}", medium,
                "Target table name; ${topic} is replaced by the record's topic.")
        .define("batch.size", ConfigType.INT, 3000, medium,
                "Most records written per transaction (a transaction takes what was put "
                "while the one before it ran, up to this many).")
        .define("max.retries", ConfigType.INT, 10, medium,
                "Retries of a transaction on a connection failure before the task fails.")
        .define("retry.backoff.ms", ConfigType.INT, 3000, medium, "Wait between retries.")
    )


def validate_extra(props: Mapping[str, str]) -> dict[str, list[str]]:
    """The JDBC sink's cross-field rules."""
    errors: dict[str, list[str]] = {}
    pk_mode = props.get("pk.mode", "none").strip()
    insert_mode = props.get("insert.mode", "insert").strip()
    if props.get("delete.enabled", "false").strip().lower() == "true" and pk_mode != "record_key":
        errors["delete.enabled"] = [
            "Deletes are only supported for pk.mode record_key (tombstones carry only a key)"
        ]
    if insert_mode in ("upsert", "update") and pk_mode == "none":
        errors["pk.mode"] = [f"insert.mode {insert_mode} needs a primary key: set pk.mode"]
    fields = [f for f in props.get("pk.fields", "").split(",") if f.strip()]
    if pk_mode == "kafka" and fields and len(fields) != 3:
        errors["pk.fields"] = ["pk.mode kafka takes exactly three pk.fields "
                               "(topic, partition, offset column names)"]
    return errors


@dataclass(frozen=True, slots=True)
class SinkConfig:
    connector: str
    conninfo: str
    topics: tuple[str, ...]
    insert_mode: str
    pk_mode: str
    pk_fields: tuple[str, ...]
    auto_create: bool
    auto_evolve: bool
    delete_enabled: bool
    table_name_format: str
    batch_size: int
    max_retries: int
    retry_backoff_s: float

    def table_for(self, topic: str) -> str:
        return self.table_name_format.replace("${topic}", topic)


def parse_config(props: Mapping[str, str]) -> SinkConfig:
    values = config_def().parse(props)
    url, user, password = (values[k] for k in ("connection.url", "connection.user",
                                                "connection.password"))
    assert isinstance(url, str)
    pk_fields = tuple(str(f) for f in _list(values["pk.fields"]) if f)
    return SinkConfig(
        connector=props.get("name", ""),
        conninfo=conninfo(url, user if isinstance(user, str) else None,
                          password if isinstance(password, str) else None),
        topics=tuple(_list(values["topics"])),
        insert_mode=str(values["insert.mode"]),
        pk_mode=str(values["pk.mode"]),
        pk_fields=pk_fields,
        auto_create=bool(values["auto.create"]),
        auto_evolve=bool(values["auto.evolve"]),
        delete_enabled=bool(values["delete.enabled"]),
        table_name_format=str(values["table.name.format"]),
        batch_size=max(1, _int(values["batch.size"])),
        max_retries=max(0, _int(values["max.retries"])),
        retry_backoff_s=max(0, _int(values["retry.backoff.ms"])) / 1000,
    )


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _list(value: object) -> list[str]:
    assert isinstance(value, list)
    return [str(item) for item in value]
