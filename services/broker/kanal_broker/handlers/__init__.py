"""One module per Broker API: protobuf request in, protobuf response out, no gRPC here."""
