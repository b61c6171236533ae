"""Every bundled connector is discoverable as a plugin, under its short and Java names."""

from __future__ import annotations

from importlib.metadata import entry_points

from kanal_connect.api import ENTRY_POINT_GROUP, Connector


def test_bundled_connectors_are_entry_points() -> None:
    plugins = {ep.name: ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)}
    bundled = {"FileStreamSource", "FileStreamSink", "PostgresSink", "PostgresCdcSource",
               "DatagenSource"}
    assert bundled <= set(plugins)
    for name in bundled:
        plugin = plugins[name]
        assert issubclass(plugin, Connector) and plugin.__name__ == name
        assert plugin().config_def().keys
    assert plugins["PostgresSink"].aliases == ("io.confluent.connect.jdbc.JdbcSinkConnector",)
