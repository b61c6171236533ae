"""`PostgresSink`: the connector half (config, cross-field checks, task configs)."""

from __future__ import annotations

from collections.abc import Mapping

from kanal_connect.api import ConnectorContext, SinkConnector, SinkTask
from kanal_connect.config.definition import ConfigDef
from kanal_connect.connectors.postgres.sink import config as sink_config
from kanal_connect.connectors.postgres.sink.task import VERSION, PostgresSinkTask
from kanal_connect.errors import InvalidConnectorConfig


class PostgresSink(SinkConnector):
    """Writes topics into PostgreSQL tables (JDBC sink configs), exactly once."""

    aliases = ("io.confluent.connect.jdbc.JdbcSinkConnector",)

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return sink_config.config_def()

    def validate_extra(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        return sink_config.validate_extra(props)

    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None:
        sink_config.parse_config(props)
        errors = sink_config.validate_extra(props)
        if errors:
            raise InvalidConnectorConfig(field_errors=errors)
        self._props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return PostgresSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max(1, max_tasks))]

    async def stop(self) -> None:
        self._props = {}
