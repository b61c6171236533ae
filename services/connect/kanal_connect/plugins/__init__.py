"""Connector plugins: found through the `kanal.connect.connectors` entry points, plus the
modules named by `--plugin-module` (any module defining `Connector` subclasses; a way to run
a connector that is not installed as a distribution, e.g. a test's own)."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

from kanal_connect.api import ENTRY_POINT_GROUP, Connector, SinkConnector, SourceConnector
from kanal_connect.errors import InvalidConnectorConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Plugin:
    name: str
    cls: type[Connector]

    @property
    def type(self) -> str:
        return "sink" if issubclass(self.cls, SinkConnector) else "source"

    @property
    def class_name(self) -> str:
        """The name `GET /connector-plugins` shows: the first Java alias, else our name."""
        return self.cls.aliases[0] if self.cls.aliases else self.name

    def version(self) -> str:
        try:
            return self.cls().version()
        except Exception:
            return "unknown"


class PluginRegistry:
    """Plugins by every name they answer to: entry point name, class name, aliases."""

    def __init__(self, plugins: Iterable[Plugin]) -> None:
        self.plugins: list[Plugin] = []
        self._by_name: dict[str, Plugin] = {}
        for plugin in plugins:
            self.add(plugin)

    def add(self, plugin: Plugin) -> None:
        if any(p.cls is plugin.cls for p in self.plugins):
            return
        self.plugins.append(plugin)
        names = {plugin.name, plugin.cls.__name__, *plugin.cls.aliases}
        names.add(f"{plugin.cls.__module__}.{plugin.cls.__qualname__}")
        for name in names:
            self._by_name.setdefault(name, plugin)

    def find(self, name: str) -> Plugin:
        plugin = self._by_name.get(name.strip())
        if plugin is None:
            # Kafka also accepts a simple name without the "Connector" suffix.
            plugin = self._by_name.get(name.strip().removesuffix("Connector"))
        if plugin is None:
            raise InvalidConnectorConfig(
                f"Failed to find any class that implements Connector and which name matches "
                f"{name}, available connectors are: "
                + ", ".join(sorted(p.class_name for p in self.plugins))
            )
        return plugin

    @classmethod
    def discover(cls, modules: Iterable[str] = ()) -> PluginRegistry:
        registry = cls(())
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = entry.load()
            except Exception:
                log.exception("cannot load connector plugin %s", entry.value)
                continue
            if inspect.isclass(loaded) and issubclass(loaded, Connector):
                registry.add(Plugin(entry.name, loaded))
            else:
                log.warning("entry point %s is not a Connector class", entry.value)
        for module_name in modules:
            module = importlib.import_module(module_name)
            for _, member in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(member, SourceConnector | SinkConnector)
                    and not inspect.isabstract(member)
                    and member.__module__ == module.__name__
                ):
                    registry.add(Plugin(member.__name__, member))
        return registry
