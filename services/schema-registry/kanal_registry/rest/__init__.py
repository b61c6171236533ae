"""The REST edge: Confluent's API on aiohttp."""
