"""The connect worker: settings, the local runner of connectors and tasks (`worker`), the
cluster-wide service behind REST and gRPC (`herder`), and group membership."""
