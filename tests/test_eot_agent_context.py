"""The agent-question classifier reads common prompts as a caller would."""

from __future__ import annotations

import pytest

from turn.eot.agent_context import analyze_agent
from turn.eot.lexicon import NumberContext, QuestionType


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How can I help you today?", QuestionType.OPEN),
        ("What can I do for you today?", QuestionType.OPEN),
        ("Can you describe the issue?", QuestionType.OPEN),
        ("Could you explain what happened?", QuestionType.OPEN),
        ("What's the reason for your call?", QuestionType.OPEN),
        ("What's your email address?", QuestionType.OPEN),
        ("What's your home address?", QuestionType.PLACE),
        ("Where should we send it?", QuestionType.PLACE),
        ("What time works for you?", QuestionType.TIME),
        ("Is the order correct?", QuestionType.YES_NO),
        ("What's your name?", QuestionType.NAME),
        ("Could you spell your surname?", QuestionType.SPELLING),
    ],
)
def test_question_types(question: str, expected: QuestionType) -> None:
    assert analyze_agent(question).question_type is expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What would you like to order?", NumberContext.NONE),
        ("Your booking is confirmed. Anything else?", NumberContext.NONE),
        ("What's your order number?", NumberContext.CODE),
        ("Can I have the booking reference?", NumberContext.CODE),
        ("What's the reason for your call?", NumberContext.NONE),
        ("What number can we call you on?", NumberContext.PHONE),
        ("Which email address should we use?", NumberContext.NONE),
        ("What's the delivery address?", NumberContext.ADDRESS),
    ],
)
def test_number_contexts(question: str, expected: NumberContext) -> None:
    assert analyze_agent(question).number_context is expected
