"""PostgreSQL connectors: a JDBC-style sink and a Debezium-style CDC source."""
