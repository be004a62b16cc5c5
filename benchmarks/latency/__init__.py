"""Latency per turn: a scenario's caller played in real time through full sessions (``python -m pipeline
bench``)."""
