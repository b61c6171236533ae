"""Consumer groups: the coordinator's pure state (KIP-848 membership, assignors, offsets).

Everything here is synchronous and deterministic, with the clock passed in: no gRPC, no
etcd, no log I/O. The broker wiring feeds requests in, appends the returned
`__consumer_offsets` records to the group's partition, and only then answers the client.
See README.md in this folder.
"""
