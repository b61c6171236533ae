"""The Kanal broker: partition logs on local disk behind the `kanal.v1.Broker` gRPC service.

Layers, top to bottom: `service` (gRPC wiring) -> `handlers` (one module per API) ->
`replica_manager` / `partition` (which partitions live here, who leads) -> `log` (disk).
`metadata_cache` and `registration` keep the broker's view of etcd; `app` owns the lifecycle.
"""
