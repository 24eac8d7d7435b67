"""``stairwatch bench``: model and whole-service throughput, latency and memory on this machine."""
