"""Offline speech engines: espeak-ng text-to-speech and pocketsphinx speech-to-text."""
