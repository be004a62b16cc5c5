"""Training code (not in the wheel)."""
