"""Turn-taking on caller audio through a full Session (issue 16); run with ``python -m benchmarks.turn_audio``."""
