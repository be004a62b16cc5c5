"""OpenAI adapters, also for OpenAI-compatible servers (Ollama, llama.cpp, vLLM, local whisper servers):

* ``providers.openai.llm`` — chat completions, streamed, with parallel tool calls (``llm: {provider: openai}``);
* ``providers.openai.stt`` — transcription of each caller utterance (``stt: {provider: openai}``);
* ``providers.openai.tts`` — streamed 24 kHz PCM speech, sentence by sentence (``tts: {provider: openai}``).

Each module loads the SDK only when it is imported (the registry imports them on first use).
"""
