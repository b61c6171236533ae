"""The registry's operations, shared by the REST and gRPC edges."""
