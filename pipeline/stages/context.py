"""The conversation context: system prompt plus history, as the LLM will see it."""

from __future__ import annotations

from collections.abc import Iterable

from providers.llm import ChatMessage, Role


class ChatContext:
    def __init__(self, system_prompt: str = "", messages: Iterable[ChatMessage] = ()) -> None:
        self.system_prompt = system_prompt
        self._messages: list[ChatMessage] = list(messages)

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        """The history (without the system prompt)."""
        return tuple(self._messages)

    def for_llm(self) -> tuple[ChatMessage, ...]:
        head = (ChatMessage(Role.SYSTEM, self.system_prompt),) if self.system_prompt else ()
        return head + tuple(self._messages)

    def add(self, message: ChatMessage) -> None:
        self._messages.append(message)

    def add_user(self, text: str) -> None:
        self.add(ChatMessage(Role.USER, text))

    def add_assistant(self, text: str, *, interrupted: bool = False) -> None:
        self.add(ChatMessage(Role.ASSISTANT, text, interrupted=interrupted))

    def add_note(self, text: str) -> None:
        """Extra information for the model (``session.inject``), as a system message in the history."""
        self.add(ChatMessage(Role.SYSTEM, text))

    def replace_history(self, messages: Iterable[ChatMessage]) -> None:
        self._messages = list(messages)

    def last_assistant_text(self) -> str | None:
        for message in reversed(self._messages):
            if message.role is Role.ASSISTANT and message.content:
                return message.content
        return None
