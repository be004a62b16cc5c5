"""Deepgram speech-to-text: ``deepgram`` (Nova, ``/v1/listen``) and ``deepgram-flux`` (Flux, ``/v2/listen``)."""
