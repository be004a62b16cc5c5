"""Ways to get caller audio into a session and agent audio out: files, a simulated caller, the microphone."""
