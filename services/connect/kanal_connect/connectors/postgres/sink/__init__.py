"""`PostgresSink`: Kafka Connect's JDBC sink model for PostgreSQL, exactly-once."""
