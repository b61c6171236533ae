"""Connection settings shared by the PostgreSQL connectors.

`connection.url` takes the JDBC form users copy from Kafka Connect configs
(`jdbc:postgresql://host:port/db?user=..&password=..`) as well as libpq's URL
(`postgresql://user:pass@host:port/db`); `connection.user` / `connection.password` win over
credentials inside the URL.
"""

from __future__ import annotations

import urllib.parse

import psycopg.conninfo

from kanal_connect.config.definition import ConfigValueError

JDBC_PREFIX = "jdbc:"
_SCHEMES = ("postgresql", "postgres")


def check_url(_name: str, value: object) -> None:
    """ConfigDef validator for `connection.url` (None: unset, allowed where optional)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise ConfigValueError("must be a PostgreSQL URL")
    url = value.removeprefix(JDBC_PREFIX)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in _SCHEMES or not parsed.hostname:
        raise ConfigValueError(
            "must look like jdbc:postgresql://host:port/database or "
            "postgresql://host:port/database"
        )


def conninfo(url: str, user: str | None = None, password: str | None = None) -> str:
    """A libpq connection string for `url`, with explicit credentials applied."""
    parsed = urllib.parse.urlsplit(url.removeprefix(JDBC_PREFIX))
    query = dict(urllib.parse.parse_qsl(parsed.query))
    params: dict[str, str | int | None] = {
        "host": parsed.hostname,
        "port": parsed.port or 5432,
        "dbname": urllib.parse.unquote(parsed.path.lstrip("/")) or "postgres",
        "application_name": "kanal-connect",
    }
    jdbc_user, jdbc_password = query.pop("user", None), query.pop("password", None)
    params["user"] = user or (urllib.parse.unquote(parsed.username or "") or jdbc_user)
    params["password"] = password or (
        urllib.parse.unquote(parsed.password or "") or jdbc_password
    )
    for key in ("sslmode", "connect_timeout"):
        if key in query:
            params[key] = query[key]
    return psycopg.conninfo.make_conninfo(
        "", **{k: v for k, v in params.items() if v not in (None, "")}
    )
