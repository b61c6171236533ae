"""Generated gRPC stubs for the kanal.v1 protocol (see proto/; do not edit by hand)."""
