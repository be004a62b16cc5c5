"""The command line: ``parley`` / ``python -m pipeline``."""
