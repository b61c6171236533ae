"""`DatagenSource`: random user events for demos and benchmarks."""
