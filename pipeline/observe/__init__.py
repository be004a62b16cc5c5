"""Observation: typed events, the event bus that delivers them, and per-turn metrics and usage."""
