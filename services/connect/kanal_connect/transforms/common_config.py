"""Config keys several SMTs share, defined once with Kafka's documentation."""

from __future__ import annotations

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance

REPLACE_NULL_WITH_DEFAULT = "replace.null.with.default"


def define_replace_null_with_default(config: ConfigDef) -> ConfigDef:
    return config.define(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType.BOOLEAN,
        True,
        Importance.MEDIUM,
        "Whether to replace fields that have a default value and that are null to the default "
        "value. When set to true, the default value is used, otherwise null is used.",
    )


def key_value_doc(overview: str, transform: str) -> str:
    return (
        f"{overview}<p/>Use the concrete transformation type designed for the record key "
        f"(<code>org.apache.kafka.connect.transforms.{transform}$Key</code>) or value "
        f"(<code>org.apache.kafka.connect.transforms.{transform}$Value</code>)."
    )
