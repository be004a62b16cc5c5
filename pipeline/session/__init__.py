"""The session: ``Pipeline`` (providers, VAD, tools, settings), ``Session`` (one call), the YAML config and
conversation control."""
