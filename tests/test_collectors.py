"""Collector dialogs on their own: spoken-form parsing, validation, read-back and confirmation, corrections,
refusal, too many tries, the timeout, and a collector written by a user."""

from __future__ import annotations

import datetime
import re

import pytest

from pipeline.stages.collect_dialog import Collector, CollectorDialog, CollectStatus, DialogPhase
from pipeline.stages.collectors import AddressCollector, DateCollector, EmailCollector, PhoneCollector
from providers.llm import ToolCall

CALL = ToolCall("c1", "collect", "{}")


def dialog(collector: Collector) -> CollectorDialog:
    running = CollectorDialog(collector, CALL)
    running.start(0.0)
    return running


@pytest.mark.parametrize(
    ("said", "email"),
    [
        ("it is john dot smith at example dot com", "john.smith@example.com"),
        ("sure, jane_doe@mail.co.uk", "jane_doe@mail.co.uk"),
        ("j dash d at x dot io please", "j-d@x.io"),
        ("I don't have one at the moment", None),
    ],
)
def test_email_from_speech(said: str, email: str | None) -> None:
    assert EmailCollector().extract(said) == email


def test_phone_date_and_address_parsing() -> None:
    phone = PhoneCollector()
    assert phone.extract("five five five, one two three, double four five six") == "5551234456"
    assert phone.validate("12345") == "That number seems too short."
    assert phone.read_back("5551234567") == "5 5 5, 1 2 3, 4 5 6 7"  # digit by digit, grouped
    date = DateCollector(today=lambda: datetime.date(2026, 12, 7))
    assert date.extract("the twenty fourth of December") == "2026-12-24"
    assert date.extract("March 3rd") == "2027-03-03"  # already past this year
    assert date.extract("tomorrow") == "2026-12-08"
    assert date.extract("the 31st of February") is None
    assert date.read_back("2026-12-24") == "Thursday, December 24, 2026"
    address = AddressCollector()
    assert address.validate(address.extract("It is 12 Baker Street, London") or "") is None
    assert address.validate("Baker Street") == "I need the house number too."


def test_read_back_then_yes_gives_the_value() -> None:
    running = dialog(EmailCollector())
    turn = running.step("john at example dot com", 1.0)
    assert turn.say == "I have john at example dot com. Is that right?" and turn.result is None
    done = running.step("yes", 2.0)
    assert done.result is not None and done.result.status is CollectStatus.OK
    assert done.result.value == "john@example.com" and running.phase is DialogPhase.DONE


def test_a_no_asks_again_and_a_correction_is_read_back() -> None:
    running = dialog(PhoneCollector())
    running.step("five five five one two three four", 1.0)
    assert running.step("no", 2.0).say == "Okay, let's try again. What is your phone number?"
    running.step("five five five one two three four", 3.0)
    corrected = running.step("no, it is five five five one two three nine", 4.0)
    assert corrected.say == "I have 5 5 5, 1 2 3 9. Is that right?" and corrected.result is None
    final = running.step("correct", 5.0).result
    assert final is not None and final.value == "5551239"


def test_refusal_failure_and_timeout() -> None:
    refused = dialog(EmailCollector()).step("I'd rather not say", 1.0).result
    assert refused is not None and refused.status is CollectStatus.REFUSED and refused.value is None
    failing = dialog(EmailCollector())
    turns = [failing.step("hmm", float(t)) for t in range(3)]
    assert turns[0].say.startswith("Sorry, that did not sound like an email address.")
    last = turns[-1].result
    assert last is not None and last.status is CollectStatus.FAILED and last.attempts == 3
    slow = dialog(EmailCollector())
    late = slow.step("john at example dot com", EmailCollector.timeout + 1).result
    assert late is not None and late.status is CollectStatus.TIMEOUT
    assert (
        dialog(EmailCollector()).step(None, 1.0).say == "What is your email address?"
    )  # no words: ask again


class OrderNumber(Collector):
    """A collector written by a user: an order number of eight digits."""

    field = "order_number"
    question = "What is your order number?"

    def extract(self, text: str) -> str | None:
        found = re.search(r"\d[\d ]{6,}\d", text)
        return found.group(0).replace(" ", "") if found else None

    def validate(self, value: str) -> str | None:
        return None if len(value) == 8 else "Order numbers have eight digits."

    def read_back(self, value: str) -> str:
        return " ".join(value)


def test_a_user_collector_and_its_tool() -> None:
    from pipeline.stages.collector_tool import collector_tool

    running = dialog(OrderNumber())
    assert running.step("1234 567", 1.0).say == "Order numbers have eight digits. What is your order number?"
    assert running.step("1234 5678", 2.0).say == "I have 1 2 3 4 5 6 7 8. Is that right?"
    result = running.step("yes", 3.0).result
    assert result is not None and result.to_json() == (
        '{"field": "order_number", "status": "ok", "value": "12345678", "attempts": 2}'
    )
    offered = collector_tool(OrderNumber, name="collect_order_number")
    assert offered.name == "collect_order_number" and "order_number" in offered.description
