"""The offline demo: a simulated caller speaking with espeak-ng, and the demo agent's tools."""
