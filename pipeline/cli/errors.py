"""The command line's own error: a problem to report as one line."""


class CliError(Exception):
    """A problem to report as one line (exit status 2)."""
