"""Kafka's FileStream example connectors: lines of a file into a topic and back."""
