"""The output gate of a speech: whether what its reply engine produces may go out yet.

An ordinary speech's gate is open from the start. A *preemptive* reply (started on a final transcript before the
end of turn was decided) begins HELD: its LLM streams, but nothing leaves — transcript deltas are kept back, tool
calls wait, synthesis waits (except, optionally, the first sentence), and the LLM stream pauses once it has
written ``token_limit`` tokens. The controller then either OPENS the gate (the turn ended with the same words: the
held reply plays at once) or the speech is discarded (the caller went on), and nothing it wrote was seen or heard.
"""

from __future__ import annotations

from enum import Enum

import anyio


class GateState(Enum):
    """held -> open; an open gate stays open."""

    HELD = "held"
    OPEN = "open"


class OutputGate:
    def __init__(
        self, *, held: bool = False, token_limit: int | None = None, synthesize_first_sentence: bool = False
    ) -> None:
        self.state = GateState.HELD if held else GateState.OPEN
        self.token_limit = token_limit
        self.synthesize_first_sentence = synthesize_first_sentence
        self.tokens = 0  # LLM text chunks (about one token each) written by the speech's reply
        self.sentences = 0  # sentences handed to synthesis
        self.held_deltas: list[str] = []  # transcript pieces written while held, published on open
        self._opened = anyio.Event()
        if not held:
            self._opened.set()

    @property
    def held(self) -> bool:
        return self.state is GateState.HELD

    def open(self) -> list[str]:
        """Let everything out from now on; returns the transcript pieces held back so far (to publish)."""
        self.state = GateState.OPEN
        self._opened.set()
        deltas, self.held_deltas = self.held_deltas, []
        return deltas

    async def token(self) -> None:
        """One more LLM text chunk was written; while held, the stream waits once it reaches the limit."""
        self.tokens += 1
        if self.held and self.token_limit is not None and self.tokens >= self.token_limit:
            await self._opened.wait()

    async def synthesis(self) -> None:
        """Before a sentence goes to TTS: held sentences wait (the first one goes on with speculative TTS)."""
        index = self.sentences
        self.sentences += 1
        if self.held and not (index == 0 and self.synthesize_first_sentence):
            await self._opened.wait()

    async def tools(self) -> None:
        """Before tool calls start: a held reply's calls never run before it is committed."""
        if self.held:
            await self._opened.wait()
