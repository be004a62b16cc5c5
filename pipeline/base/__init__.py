"""The bottom layer: audio frames and codecs, bounded channels, the clock, compute offload and the value types
shared by providers, VAD and turn-taking. It imports nothing above it."""
