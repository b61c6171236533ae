"""Kafka Connect's REST API on aiohttp (port 8083)."""
