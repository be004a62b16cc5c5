"""A tool module that fails while being imported (for the config loader's error)."""

raise RuntimeError("database not configured")
