"""The stages of a turn: caller input (VAD, speech-to-text), the reply engine (LLM, tools, sentences, TTS) and the
speech object a reply produces into."""
