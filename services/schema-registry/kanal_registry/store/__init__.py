"""The `_schemas` topic: its record layout and this instance's reader and writer."""
