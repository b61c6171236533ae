"""`PostgresCdcSource`: Debezium's PostgreSQL connector model over logical decoding."""
