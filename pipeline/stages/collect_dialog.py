"""Collector sub-agents: a short dialog that gets one field from the caller (an email, a phone number, a date,
an address...) with validation, read-back and confirmation, and ends with a structured result for the parent
agent — collected, refused, failed (too many tries) or timed out.

Write one by subclassing ``Collector`` (``question``, ``extract``, optionally ``validate`` and ``read_back``) and
offer it with ``collector_tool`` (pipeline.stages.collector_tool). The parent LLM calls the tool; the collector's question ends that reply; if the
caller heard it in full, the following turns are the collector's (``CollectorDialog``), and when it is done the
parent gets the result as a tool result and goes on in the same reply.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from enum import Enum, StrEnum

from providers.llm import ToolCall

_YES = re.compile(
    r"\b(yes|yeah|yep|yup|correct|right|exactly|sure|confirm(ed)?|that's it|that is it)\b", re.I
)
_NO = re.compile(r"\b(no|nope|wrong|incorrect|not right|not correct)\b", re.I)
_REFUSAL = re.compile(
    r"\b(rather not|don'?t want|do not want|won'?t (give|say|tell)|not (going|willing) to|skip (it|this|that)"
    r"|no thanks|never mind|refuse|none of your business)\b",
    re.I,
)


class CollectStatus(StrEnum):
    """How a collection ended: ok (collected and confirmed), refused, failed (no valid answer) or timeout."""

    OK = "ok"  # collected and confirmed
    REFUSED = "refused"  # the caller declined to give it
    FAILED = "failed"  # no valid answer within ``max_attempts``
    TIMEOUT = "timeout"  # the dialog ran past ``timeout`` seconds


@dataclass(frozen=True)
class CollectResult:
    """What the parent agent receives (as JSON, in the tool result)."""

    field: str
    status: CollectStatus
    value: str | None = None
    attempts: int = 0  # answers the caller gave for it

    def to_json(self) -> str:
        return json.dumps(asdict(self))


class Collector:
    """One field to collect. Override ``extract`` (the value in what the caller said, or None), and optionally
    ``validate`` (an error message, or None when fine) and ``read_back`` (how the value is read to the caller)."""

    field = "value"
    question = "Could you tell me the value, please?"
    retry = "Sorry, I did not get that."
    max_attempts = 3
    timeout = 120.0  # seconds from the question to the result

    def extract(self, text: str) -> str | None:
        raise NotImplementedError

    def validate(self, value: str) -> str | None:
        return None

    def read_back(self, value: str) -> str:
        return value


class DialogPhase(Enum):
    """asking -> confirming -> (asking again on a "no") -> done."""

    ASKING = "asking"
    CONFIRMING = "confirming"
    DONE = "done"


@dataclass(frozen=True)
class DialogTurn:
    say: str  # what the collector says now
    result: CollectResult | None = None  # set when the dialog is over


class CollectorDialog:
    """The state machine of one collection; ``call`` is the parent's tool call that started it."""

    def __init__(self, collector: Collector, call: ToolCall) -> None:
        self.collector = collector
        self.call = call
        self.phase = DialogPhase.ASKING
        self.failures = 0  # answers that gave no valid value
        self.tries = 0  # answers that offered a value (valid or not)
        self.candidate: str | None = None
        self.deadline: float | None = None

    def start(self, now: float) -> None:
        """The caller heard the question in full: the clock starts."""
        self.deadline = now + self.collector.timeout

    def step(self, heard: str | None, now: float) -> DialogTurn:
        """The caller's turn ``heard`` (None: no words, e.g. an idle reminder) -> what to say next."""
        c = self.collector
        if self.deadline is not None and now > self.deadline:
            return self._finish(CollectStatus.TIMEOUT, "Let's leave that for now.")
        if heard is None or not heard.strip():
            prompt = self.candidate and self._confirmation(self.candidate)
            return DialogTurn(prompt or c.question)
        if self.phase is DialogPhase.CONFIRMING:
            assert self.candidate is not None
            if _YES.search(heard) and not _NO.search(heard):
                return self._finish(CollectStatus.OK, "Thank you.", self.candidate)
            value = c.extract(heard)
            if value is not None and c.validate(value) is None and value != self.candidate:
                self.tries += 1
                self.candidate = value  # a correction: "no, it is ..."
                return DialogTurn(self._confirmation(value))
            self.phase, self.candidate = DialogPhase.ASKING, None
            return self._retry_or_fail("Okay, let's try again.")
        if _REFUSAL.search(heard):
            return self._finish(CollectStatus.REFUSED, "No problem.")
        value = c.extract(heard)
        self.tries += 1
        error = c.validate(value) if value is not None else None
        if value is None or error is not None:
            return self._retry_or_fail(error or c.retry)
        self.phase, self.candidate = DialogPhase.CONFIRMING, value
        return DialogTurn(self._confirmation(value))

    def _confirmation(self, value: str) -> str:
        return f"I have {self.collector.read_back(value)}. Is that right?"

    def _retry_or_fail(self, reason: str) -> DialogTurn:
        self.failures += 1
        if self.failures >= self.collector.max_attempts:
            return self._finish(CollectStatus.FAILED, "Sorry, let's leave that for now.")
        return DialogTurn(f"{reason} {self.collector.question}")

    def _finish(self, status: CollectStatus, say: str, value: str | None = None) -> DialogTurn:
        self.phase = DialogPhase.DONE
        result = CollectResult(self.collector.field, status, value, self.tries)
        return DialogTurn(say, result)
