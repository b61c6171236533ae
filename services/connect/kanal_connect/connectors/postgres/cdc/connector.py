"""`PostgresCdcSource`: the connector half (config and the single task)."""

from __future__ import annotations

from collections.abc import Mapping

from kanal_connect.api import ConnectorContext, SourceConnector, SourceTask
from kanal_connect.config.definition import ConfigDef
from kanal_connect.connectors.postgres.cdc import config as cdc_config
from kanal_connect.connectors.postgres.cdc.envelope import VERSION
from kanal_connect.connectors.postgres.cdc.task import PostgresCdcTask


class PostgresCdcSource(SourceConnector):
    """Streams row changes of PostgreSQL tables into `<topic.prefix>.<schema>.<table>`.

    One task: a replication slot has one reader at a time."""

    aliases = ("io.debezium.connector.postgresql.PostgresConnector",)

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return cdc_config.config_def()

    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None:
        cdc_config.parse_config(props)  # refuse a bad config before any task starts
        self._props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return PostgresCdcTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props)]

    async def stop(self) -> None:
        self._props = {}
