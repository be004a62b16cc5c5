"""ElevenLabs text-to-speech.

* ``elevenlabs`` (``websocket_tts``): the multi-context websocket — one socket shared by replies, one context per
  reply, closed on barge-in with its late audio dropped; character alignment for the heard-text tracker.
* ``elevenlabs-http`` (``http_tts``): one streaming HTTP request per sentence through the official SDK.

Nothing here imports the vendor SDK until the HTTP adapter is built (the SDK reads ``ELEVENLABS_API_KEY`` at
import time; both adapters always pass the key explicitly).
"""
