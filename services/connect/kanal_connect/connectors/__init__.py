"""The connectors Kanal ships: FileStream, Datagen and the PostgreSQL sink and CDC source.

Each is a plugin like any third party's, registered under the entry point group
`kanal.connect.connectors` in this distribution's pyproject.toml.
"""
