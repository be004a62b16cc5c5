"""Benchmarks: latency per turn, pipeline overhead, capacity, turn-taking, VAD."""
