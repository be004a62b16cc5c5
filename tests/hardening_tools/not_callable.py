"""A tool target that is not a function."""

LOOKUP = 42
