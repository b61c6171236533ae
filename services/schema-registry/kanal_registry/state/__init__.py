"""The registry state the `_schemas` records build, and the modes."""
