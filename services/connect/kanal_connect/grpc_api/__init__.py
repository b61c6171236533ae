"""The worker's gRPC API (port 8084): the REST operations over `kanal.v1.connect`."""
