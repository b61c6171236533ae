"""The worker's state in three compacted internal topics, with Kafka Connect's record formats:
`connect-configs` (connector and task configs, target states, restart requests),
`connect-offsets` (source offsets) and `connect-status` (connector, task and topic states)."""
