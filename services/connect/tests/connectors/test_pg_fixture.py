from pg_server import Database


def test_database_has_logical_decoding(database: Database) -> None:
    assert database.query("SHOW wal_level") == [("logical",)]
