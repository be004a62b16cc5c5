"""Generators for answers given in pieces (issue 16): the caller pauses after a part that can look finished.

- an email address: the local part alone, or up to "at" / "dot", is unfinished; with its domain it is done;
- a clause whose verb still waits for its object ("I'd like to cancel") is unfinished;
- the first word(s) of a multi-word place name ("san", "salt lake") is unfinished;
- a date: the month alone is unfinished; after a date-of-birth question the year must come too;
- a code spelled in letter/digit groups: the first group is unfinished, the whole code complete.

The vocabulary here is written for training only; the blind sets of ``benchmarks.turn_blind`` use other
sentences (a test checks that none is shared).
"""

from __future__ import annotations

import random

from training.eot.dataset_templates import Example
from training.eot.spoken_numbers import NumberStyle, integer_words

_LOCALS = ("kate", "rob.miller", "anna b", "the smith family", "jo underscore k", "info", "mike seventy",
           "priyanka dot rao", "sales", "dan dot w", "helen m", "booking desk", "a dot nguyen", "tom harper")  # fmt: skip
_DOMAINS = (("gmail", "com"), ("yahoo", "co dot uk"), ("outlook", "com"), ("aol", "com"), ("fastmail", "fm"),
            ("acme widgets", "com"), ("riverside clinic", "org"), ("me", "com"), ("web", "de"),
            ("northwind", "net"))  # fmt: skip
_EMAIL_QS = ("What email should I use?", "Could I have your email?", "What's the email address on the order?",
             "Which email do you want the receipt sent to?", "And an email for updates?", None)  # fmt: skip
_EMAIL_LEADS = ("", "it's", "my email is", "sure it's", "that would be", "use", "um it's")


def email_example(rng: random.Random, style: NumberStyle) -> Example:
    agent = rng.choice(_EMAIL_QS)
    lead = rng.choice(_EMAIL_LEADS if agent else _EMAIL_LEADS[2:3])
    local = rng.choice(_LOCALS)
    host, tld = rng.choice(_DOMAINS)
    shape = rng.choices(
        ("local", "at", "host", "dot", "full", "full_thanks"), weights=(30, 10, 12, 8, 32, 8)
    )[0]
    parts = {
        "local": (local,),
        "at": (local, "at"),
        "host": (local, "at", host),
        "dot": (local, "at", host, "dot"),
        "full": (local, "at", host, "dot", tld),
        "full_thanks": (local, "at", host, "dot", tld, rng.choice(("thanks", "please", "thank you"))),
    }[shape]
    text = " ".join(p for p in (lead, *parts) if p)
    return Example(
        text, agent, shape.startswith("full"), "email" if shape.startswith("full") else "partial_email"
    )


_VERB_LEADS = ("I'd like to", "I want to", "I need to", "I'm calling to", "we'd like to", "I was hoping to",
               "I'm trying to", "can I", "I have to", "we need to", "I wanna", "could you help me")  # fmt: skip
_VERB_OBJECTS = (
    ("cancel", "my order from last week"), ("change", "the delivery date"), ("update", "my billing details"),
    ("book", "an appointment for my son"), ("return", "a jacket"), ("report", "a stolen card"),
    ("renew", "my parking permit"), ("replace", "the broken filter"), ("add", "my wife to the account"),
    ("remove", "a payment method"), ("close", "my savings account"), ("activate", "the new sim"),
    ("reset", "my online banking login"), ("track", "a parcel"), ("pay", "the outstanding balance"),
    ("move", "my appointment to next week"), ("schedule", "a boiler service"), ("switch", "to the cheaper tariff"),
    ("exchange", "these boots for a bigger size"), ("check", "the status of my claim"), ("order", "more ink"),
    ("buy", "a gift card"), ("fix", "the login on the app"), ("collect", "my prescription"),
    ("extend", "the rental by two days"), ("confirm", "my reservation"), ("discuss", "my bill"),
    ("get", "a copy of my statement"), ("set up", "direct debit"), ("find out", "why my card was declined"),
)  # fmt: skip
_OPEN_QS = ("What can I help you with today?", "How may I help?", "What are you calling about?",
            "What do you need?", "How can I assist you?", None)  # fmt: skip
_BROKEN = (("it keeps", "freezing"), ("the machine won't", "turn on"), ("my kid broke", "the tablet screen"),
           ("it started", "leaking last night"), ("the courier damaged", "the parcel"),
           ("somebody used", "my card without permission"), ("the app doesn't", "load"))  # fmt: skip


def verb_object_example(rng: random.Random, style: NumberStyle) -> Example:
    agent = rng.choice(_OPEN_QS)
    if rng.random() < 0.3:
        head, tail = rng.choice(_BROKEN)
        if rng.random() < 0.5:
            return Example(head, agent, False, "verb_awaiting_object")
        return Example(f"{head} {tail}", agent, True, "verb_object")
    verb, obj = rng.choice(_VERB_OBJECTS)
    lead = rng.choice(_VERB_LEADS)
    if rng.random() < 0.5:
        return Example(f"{lead} {verb}", agent, False, "verb_awaiting_object")
    return Example(f"{lead} {verb} {obj}", agent, True, "verb_object")


_PLACES = (("new", "york"), ("new", "haven"), ("new", "jersey"), ("san", "diego"), ("san", "jose"),
           ("san", "antonio"), ("los", "alamos"), ("las", "cruces"), ("santa", "fe"), ("santa", "monica"),
           ("salt lake", "city"), ("saint", "louis"), ("st", "paul"), ("fort", "worth"), ("fort", "collins"),
           ("port", "townsend"), ("palm", "beach"), ("north", "dakota"), ("south", "bend"), ("east", "lansing"),
           ("west", "palm beach"), ("mount", "pleasant"), ("el", "paso"), ("grand", "rapids"),
           ("long", "beach"), ("baton", "rouge"), ("cape", "town"), ("rio", "de janeiro"), ("hong", "kong"),
           ("kansas", "city"), ("carson", "city"), ("ann", "arbor"), ("little", "rock"), ("costa", "mesa"),
           ("buenos", "aires"), ("tel", "aviv"), ("corpus", "christi"), ("sioux", "falls"))  # fmt: skip
_PLACE_QS = ("Where are you headed?", "What city are you in?", "Which town is that?", "Where's the pickup?",
             "Where are you based?", "What's your destination?", None)  # fmt: skip
_PLACE_LEADS = ("", "", "I'm in", "we're going to", "it's in", "to", "from", "I live in", "flying to",
                "the office in")  # fmt: skip


def place_example(rng: random.Random, style: NumberStyle) -> Example:
    agent = rng.choice(_PLACE_QS)
    first, rest = rng.choice(_PLACES)
    lead = rng.choice(_PLACE_LEADS if agent else _PLACE_LEADS[2:])
    if rng.random() < 0.45:
        return Example(f"{lead} {first}".strip(), agent, False, "partial_place")
    return Example(f"{lead} {first} {rest}".strip(), agent, True, "place")


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")  # fmt: skip
_DAYS = ("first", "second", "third", "fourth", "fifth", "sixth", "ninth", "tenth", "twelfth", "fifteenth",
         "eighteenth", "twentieth", "twenty second", "twenty fifth", "thirtieth", "thirty first")  # fmt: skip
_DOB_QS = (
    "Can I take your date of birth?",
    "What's the birth date on the policy?",
    "And when were you born?",
)
_DATE_QS = ("Which date suits you?", "When should we book it for?", "What day do you arrive?",
            "When do you need it by?")  # fmt: skip


def _year(rng: random.Random) -> str:
    year = rng.randint(1940, 2030)
    if year < 2000:
        return f"nineteen {integer_words(year - 1900)}"
    return rng.choice((f"twenty {integer_words(year - 2000)}", integer_words(year)))


def date_example(rng: random.Random, style: NumberStyle) -> Example:
    month, day = rng.choice(_MONTHS), rng.choice(_DAYS)
    dob = rng.random() < 0.45
    agent = rng.choice(_DOB_QS if dob else _DATE_QS)
    lead = rng.choice(("", "", "it's", "um", "that's"))
    order = rng.choice(("month_day", "day_of_month"))
    body = f"{month} {day}" if order == "month_day" else f"the {day} of {month}"
    shape = rng.choices(("month", "the", "body", "year"), weights=(30, 8, 35, 27))[0]
    if shape == "month":
        return Example(f"{lead} {month}".strip(), agent, False, "partial_date")
    if shape == "the":
        return Example(f"{lead} the {day} of".strip(), agent, False, "partial_date")
    if shape == "body":
        return Example(f"{lead} {body}".strip(), agent, not dob, "date" if not dob else "partial_date")
    return Example(f"{lead} {body} {_year(rng)}".strip(), agent, True, "date")


_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_CODE_QS = ("What's the confirmation code?", "Can you read me the voucher?", "What's the serial on the label?",
            "What's your reference?", "Can you give me the case id?")  # fmt: skip


def spelled_code_example(rng: random.Random, style: NumberStyle) -> Example:
    agent = rng.choice(_CODE_QS)
    n_groups = rng.randint(2, 4)
    groups = [
        " ".join(
            rng.choice(_LETTERS) if rng.random() < 0.55 else rng.choice(_DIGIT_WORDS)
            for _ in range(rng.randint(2, 3))
        )
        for _ in range(n_groups)
    ]
    lead = rng.choice(("", "it's", "sure", "okay it's"))
    if rng.random() < 0.5:
        cut = rng.randint(1, n_groups - 1)
        return Example(f"{lead} {' '.join(groups[:cut])}".strip(), agent, False, "partial_spelled_code")
    closer = rng.choice(("", "", " that's it", " thanks"))
    return Example(f"{lead} {' '.join(groups)}{closer}".strip(), agent, True, "spelled_code")


_SPELL_QS = ("Could you spell that for me?", "How is your surname spelled?", "Can you spell the name?",
             "Would you spell it out?", "And the spelling?")  # fmt: skip
_SPELL_NAMES = ("garcia", "oyelaran", "bjork", "mcallister", "fitzgerald", "yusuf", "delacroix", "quinn",
                "abernathy", "lindqvist", "ruiz", "wojcik", "hargreaves", "esposito", "chadwick")  # fmt: skip


def spelled_name_example(rng: random.Random, style: NumberStyle) -> Example:
    """Letters read out in groups: which group is the last cannot be told from the text, so cuts and whole
    names both appear - the model learns "maybe" (a long wait) unless the caller closes it."""
    agent = rng.choice(_SPELL_QS)
    letters = list(rng.choice(_SPELL_NAMES))
    groups, i = [], 0
    while i < len(letters):
        size = rng.randint(1, 3)
        groups.append(" ".join(letters[i : i + size]))
        i += size
    lead = rng.choice(("", "", "it's", "sure", "that's"))
    shape = rng.choices(("cut", "whole", "closed"), weights=(55, 30, 15))[0]
    if shape == "cut" and len(groups) > 1:
        cut = rng.randint(1, len(groups) - 1)
        return Example(f"{lead} {' '.join(groups[:cut])}".strip(), agent, False, "partial_spelling")
    closer = rng.choice(("that's it", "got that", "thanks")) if shape == "closed" else ""
    return Example(f"{lead} {' '.join(groups)} {closer}".strip(), agent, True, "spelling")


_WHICH = (("Which colour?", ("blue", "black", "the red one", "silver")),
          ("What flavour would you like?", ("vanilla", "mint", "strawberry", "chocolate please")),
          ("Which model is it?", ("the pro", "the basic one", "deluxe")),
          ("Which branch?", ("downtown", "the airport one", "riverside")),
          ("What size do you wear?", ("large", "extra large", "a ten", "medium")),
          ("Which plan are you on?", ("premium", "the family plan", "basic")),
          ("What type of room?", ("double", "a twin", "the suite")),
          ("Which account is this about?", ("savings", "my checking account", "the joint one")))  # fmt: skip


def which_answer_example(rng: random.Random, style: NumberStyle) -> Example:
    """A short answer to "which one?": complete on its own; an answer that trails into "and"/"or" is not."""
    question, answers = rng.choice(_WHICH)
    answer = rng.choice(answers)
    if rng.random() < 0.25:
        return Example(
            f"{answer} {rng.choice(('and', 'or', 'with', 'but'))}", question, False, "partial_which"
        )
    return Example(answer, question, True, "which_answer")


_HEARD_QUESTIONS = ("How did you hear about us?", "How did you find us?", "Who referred you to us?",
                    "What brings you to us?", "How did you get our number?")  # fmt: skip
_REFERRERS = ("my neighbour", "a coworker", "my sister", "my doctor", "a colleague", "my brother", "my landlord",
              "a friend of mine", "my mom", "someone at work", "our accountant", "my dentist")  # fmt: skip
# verb, the objects that finish it
_REFERRAL_VERBS = (("recommended", ("you", "you guys", "your company", "this place")),
                   ("told", ("me", "us", "me about you")), ("referred", ("me", "us", "me to you")),
                   ("sent", ("me", "us", "me over")), ("mentioned", ("you", "your shop")),
                   ("gave", ("me your number", "me your card")), ("suggested", ("you", "calling you")))  # fmt: skip
_OFFER_QUESTIONS = ("Would you like the deluxe room?", "Should I go ahead with the premium plan?",
                    "Do you want the family package?", "Shall I add the service plan?")  # fmt: skip
_BACK_VERBS = (("does that include", ("breakfast", "parking", "taxes", "the delivery")),
               ("does the price include", ("tax", "installation", "the fees")),
               ("does it come with", ("a warranty", "a charger", "breakfast")),
               ("would that cover", ("the repair", "both rooms")), ("is there", ("a deposit", "a fee")))  # fmt: skip


def open_answer_example(rng: random.Random, style: NumberStyle) -> Example:
    """Open answers that end in a verb's object ("my sister told me": complete; "my sister told": not), and
    questions back whose verb still waits for its object ("does that include": not complete)."""
    if rng.random() < 0.35:
        lead, objects = rng.choice(_BACK_VERBS)
        question = rng.choice(_OFFER_QUESTIONS)
        if rng.random() < 0.5:
            return Example(lead, question, False, "partial_question_back")
        return Example(f"{lead} {rng.choice(objects)}", question, True, "question_back", is_question=True)
    verb, objects = rng.choice(_REFERRAL_VERBS)
    who = rng.choice(_REFERRERS)
    question = rng.choice(_HEARD_QUESTIONS)
    if rng.random() < 0.45:
        return Example(f"{who} {verb}", question, False, "partial_open_answer")
    return Example(f"{who} {verb} {rng.choice(objects)}", question, True, "open_answer")


_CORRECTION_MARKERS = ("oh wait", "no sorry", "sorry no", "wait no", "actually no", "i mean", "no wait",
                       "hang on no", "sorry i mean")  # fmt: skip
_CORRECTED = (("What time works for you?", ("at two", "at four", "around noon", "at nine thirty", "tomorrow",
                                             "at ten", "friday morning", "at half past three")),
              ("How many people?", ("four", "six of us", "two", "eight", "three adults")),
              ("Which day suits you?", ("monday", "thursday", "the twelfth", "next tuesday", "the weekend")),
              ("What size do you need?", ("medium", "a large", "size ten", "the small one")))  # fmt: skip


def self_correction_example(rng: random.Random, style: NumberStyle) -> Example:
    """A caller who corrects themselves: the answer, then "oh wait"/"no sorry" is unfinished; with the corrected
    answer after it, complete."""
    question, answers = rng.choice(_CORRECTED)
    first, second = rng.sample(answers, 2)
    marker = rng.choice(_CORRECTION_MARKERS)
    if rng.random() < 0.55:
        return Example(f"{first} {marker}", question, False, "partial_self_correction")
    return Example(f"{first} {marker} {second}", question, True, "self_correction")
