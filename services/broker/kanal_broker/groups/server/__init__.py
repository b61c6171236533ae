"""The coordinator's wiring into the broker: `__consumer_offsets` as its log, leadership of
that topic's partitions as ownership of their groups, and the GroupCoordinator gRPC service."""
