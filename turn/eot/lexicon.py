"""Word classes used by the text end-of-turn features (English).

Only closed-class words live here: the model learns everything else from the data. Changing these sets changes
the features, so bump ``FEATURE_VERSION`` in ``text_features`` and retrain when you edit them.
"""

from __future__ import annotations

from enum import Enum

CONJUNCTIONS = frozenset(
    {
        "and", "but", "so", "because", "cause", "cuz", "or", "nor", "plus", "then", "although", "though",
        "since", "unless", "until", "while", "whereas", "if", "when", "whether", "that", "which", "who",
        "also", "than", "as", "where", "before", "after", "once",
    }
)  # fmt: skip

FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "ah", "eh", "like", "well", "uhm", "umm", "uhh"})

MULTIWORD_FILLERS = frozenset(
    {("you", "know"), ("i", "mean"), ("kind", "of"), ("sort", "of"), ("let's", "see")}
)

# Hesitations that carry no content: stripped from the end of a transcript to find where the clause really
# stopped ("can we move it to, um, let me see" stopped at "to"). "like"/"well" are left alone (often words).
HESITATION_WORDS = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "ah", "eh", "uhm", "umm", "uhh", "hm"})
HESITATION_PHRASES: tuple[tuple[str, ...], ...] = (
    ("let", "me", "think"), ("let", "me", "see"), ("let's", "see"), ("you", "know"), ("i", "mean"),
    ("what's", "it", "called"), ("what", "was", "it"), ("what's", "the", "word"),
    ("how", "do", "i", "put", "it"),
    ("how", "do", "you", "say", "it"), ("bear", "with", "me"), ("give", "me", "a", "sec"),
    ("give", "me", "a", "second"), ("one", "sec"), ("one", "second"), ("just", "a", "sec"), ("oh", "gosh"),
)  # fmt: skip

PREPOSITIONS = frozenset(
    {
        "to", "for", "at", "on", "in", "of", "with", "from", "about", "by", "into", "onto", "through", "over",
        "under", "between", "around", "near", "like", "via", "per", "towards", "toward", "without", "within",
        "across", "against", "during",
    }
)  # fmt: skip

DETERMINERS = frozenset(
    {"the", "a", "an", "my", "your", "our", "their", "his", "her", "its", "this", "these", "those", "some",
     "any",
     "every", "each", "no", "another", "what", "which"}
)  # fmt: skip

AUXILIARIES = frozenset(
    {
        "is", "are", "was", "were", "am", "be", "been", "being", "do", "does", "did", "have", "has", "had",
        "can", "could", "will", "would", "shall", "should", "may", "might", "must", "i'm", "it's", "that's",
        "i'd", "i'll", "i've", "we're", "you're", "there's", "he's", "she's", "they're", "we'll", "gonna",
        "wanna", "gotta",
    }
)  # fmt: skip

SUBJECT_PRONOUNS = frozenset({"i", "we", "you", "he", "she", "they", "it"})

# Answer words that are complete on their own after a yes/no question.
YES_NO_WORDS = frozenset(
    {"yes", "yeah", "yep", "yup", "no", "nope", "nah", "sure", "okay", "ok", "correct", "right", "absolutely",
     "definitely", "exactly", "please", "thanks", "fine", "alright"}
)  # fmt: skip

UNIT_WORDS = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}  # fmt: skip
TEEN_WORDS = frozenset(
    {
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    }
)
TENS_WORDS = frozenset({"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"})
REPEAT_WORDS = {"double": 2, "triple": 3}
SCALE_DIGITS = {"hundred": 2, "thousand": 3}


class NumberContext(Enum):
    """What a run of digits at the end of the transcript is most likely to be."""

    NONE = "none"
    PHONE = "phone"
    CARD = "card"
    LAST_FOUR = "last4"
    ZIP = "zip"
    PIN = "pin"
    SSN = "ssn"
    CODE = "code"
    ADDRESS = "address"
    TIME = "time"


# Expected total digit counts for contexts where the length tells whether the number is finished.
EXPECTED_DIGITS: dict[NumberContext, frozenset[int]] = {
    NumberContext.PHONE: frozenset({10, 11}),
    NumberContext.CARD: frozenset({15, 16}),
    NumberContext.LAST_FOUR: frozenset({4}),
    NumberContext.ZIP: frozenset({5}),
    NumberContext.PIN: frozenset({4}),
    NumberContext.SSN: frozenset({9}),
}

# Single cue words -> context; checked most-recent-first over the transcript, then over the agent question.
NUMBER_CUES: dict[str, NumberContext] = {
    "phone": NumberContext.PHONE, "cell": NumberContext.PHONE, "mobile": NumberContext.PHONE,
    "callback": NumberContext.PHONE, "telephone": NumberContext.PHONE, "landline": NumberContext.PHONE,
    "dial": NumberContext.PHONE, "whatsapp": NumberContext.PHONE, "extension": NumberContext.CODE,
    "card": NumberContext.CARD, "visa": NumberContext.CARD, "mastercard": NumberContext.CARD,
    "credit": NumberContext.CARD, "debit": NumberContext.CARD, "amex": NumberContext.CARD,
    "zip": NumberContext.ZIP, "zipcode": NumberContext.ZIP, "postal": NumberContext.ZIP,
    "pin": NumberContext.PIN, "passcode": NumberContext.PIN,
    "ssn": NumberContext.SSN, "social": NumberContext.SSN,
    "code": NumberContext.CODE, "confirmation": NumberContext.CODE, "reference": NumberContext.CODE,
    "id": NumberContext.CODE, "tracking": NumberContext.CODE,
    "house": NumberContext.ADDRESS, "unit": NumberContext.ADDRESS, "building": NumberContext.ADDRESS,
    "flat": NumberContext.ADDRESS, "apt": NumberContext.ADDRESS, "postcode": NumberContext.ZIP,
    "address": NumberContext.ADDRESS, "live": NumberContext.ADDRESS, "street": NumberContext.ADDRESS,
    "apartment": NumberContext.ADDRESS, "suite": NumberContext.ADDRESS, "deliver": NumberContext.ADDRESS,
    "ship": NumberContext.ADDRESS, "send": NumberContext.ADDRESS, "home": NumberContext.ADDRESS,
    "office": NumberContext.ADDRESS, "mail": NumberContext.ADDRESS, "located": NumberContext.ADDRESS,
    "time": NumberContext.TIME, "o'clock": NumberContext.TIME, "pm": NumberContext.TIME,
    "noon": NumberContext.TIME, "clock": NumberContext.TIME,
}  # fmt: skip

# Nouns that name a code only when a number is asked of them: "your order number", "the booking reference" -
# but "what would you like to order?" or "your booking is confirmed" ask for no code.
CODE_NOUNS = frozenset(
    {"order", "booking", "account", "ticket", "member", "membership", "policy", "customer", "invoice", "case",
     "reservation", "claim"}
)  # fmt: skip
CODE_NOUN_FOLLOWERS = frozenset({"number", "id", "code", "reference", "no", "ref", "digits"})
# Verbs that point to a phone number only with a person after them: "call me on", "reach you at" - but
# "the reason for your call" or "send a text" do not.
PHONE_VERBS = frozenset({"call", "reach", "text", "ring", "contact", "phone"})
PHONE_VERB_OBJECTS = frozenset({"me", "you", "us", "him", "her", "them", "back"})
# Words before "address" that make it something other than a place.
NON_PLACE_ADDRESS = frozenset({"email", "e-mail", "mail", "ip", "web", "website", "mac", "wallet"})

NUMBER_BIGRAM_CUES: dict[tuple[str, str], NumberContext] = {
    ("last", "four"): NumberContext.LAST_FOUR,
    ("last", "4"): NumberContext.LAST_FOUR,
    ("last", "digits"): NumberContext.LAST_FOUR,
    ("ending", "in"): NumberContext.LAST_FOUR,
    ("security", "number"): NumberContext.SSN,
    ("me", "on"): NumberContext.PHONE,  # "text me on", "get me on"
}

# Words that end a street name: "4410 Oak Street", "12 Harbor Close". The town, unit or zip may follow.
STREET_TYPES = frozenset(
    {"street", "st", "avenue", "ave", "road", "rd", "drive", "lane", "boulevard", "blvd", "court", "way",
     "place", "terrace", "crescent", "close", "parkway", "circle", "square", "row", "highway", "trail",
     "heights", "gardens", "walk", "grove", "park", "mews", "hill", "view", "loop", "pike", "plaza", "alley",
     "path"}
)  # fmt: skip

# An agent question with one of these wh-words (and no number cue) asks for a place: a number in the answer is
# a house number that a street name should follow.
PLACE_QUESTION_WORDS = frozenset({"where", "address"})


class QuestionType(Enum):
    """What kind of answer the agent's last utterance invites."""

    NONE = "none"  # no agent utterance known
    STATEMENT = "statement"  # the agent did not ask anything
    YES_NO = "yesno"
    CHOICE = "choice"  # "pickup or delivery?"
    NUMBER = "number"
    TIME = "time"
    NAME = "name"
    OPEN = "open"
    ITEMS = "items"  # "what else do you need?": the answer may be a list
    PLACE = "place"  # "where should we send it?": an address, a house number wants its street
    SPELLING = "spelling"  # "how do you spell that?": letters in groups, the last group cannot be told


QUESTION_AUX_STARTS = frozenset(
    {"do", "does", "did", "is", "are", "was", "were", "can", "could", "would", "will", "shall", "should",
     "have",
     "has", "may", "am", "want", "need", "anything", "any"}
)  # fmt: skip
WH_WORDS = frozenset({"what", "what's", "why", "how", "where", "who", "which", "whom", "whose"})
# "today"/"tomorrow" are no cue on their own: "how can I help you today?" asks no time.
TIME_QUESTION_CUES = frozenset({"when", "time", "day", "date", "schedule", "available"})
NAME_QUESTION_CUES = frozenset({"name", "surname", "who", "who's", "whom", "whose"})
SPELLING_QUESTION_CUES = frozenset({"spell", "spelled", "spelt", "spelling"})
NUMBER_QUESTION_CUES = frozenset(
    {"number", "digits", "code", "zip", "pin", "many", "much", "phone", "card", "account", "confirmation",
     "id", "membership", "reference", "policy", "tracking"}
)  # fmt: skip
OPEN_PROMPTS = frozenset({"tell", "describe", "explain", "please", "go", "let"})
# "Can I get your ...", "could you tell me ...": an auxiliary start that is a request, not a yes/no question.
REQUEST_VERBS = frozenset(
    {"get", "have", "give", "tell", "provide", "spell", "read", "confirm", "repeat", "describe", "explain",
     "walk", "share", "say", "list", "talk"}
)  # fmt: skip
TAG_QUESTIONS = frozenset({"right", "correct", "ok", "okay"})
# "What else should we add?", "anything more for the cart?": "else"/"more" plus a word about getting things.
ITEMS_QUESTION_CUES = frozenset({"else", "more"})
ITEMS_QUESTION_WORDS = frozenset(
    {"need", "needs", "order", "add", "get", "buy", "bring", "pack", "list", "cart", "basket", "want", "like",
     "include", "grab", "pick", "shopping", "trolley", "bag"}
)  # fmt: skip


# --- answers given in pieces (issue 16) ------------------------------------------------------------------

# Verbs that take an object: a clause ending in one ("I'd like to cancel") usually has more to come.
OBJECT_VERBS = frozenset(
    {"cancel", "change", "update", "book", "return", "report", "renew", "replace", "add", "remove", "close",
     "activate", "reset", "track", "pay", "move", "schedule", "reschedule", "switch", "exchange", "check",
     "order", "buy", "fix", "collect", "extend", "confirm", "discuss", "get", "find", "upgrade", "downgrade",
     "transfer", "dispute", "broke", "damaged", "used", "making", "make", "bring", "send", "need", "want",
     "lost", "sell", "use", "open", "install", "delete", "refund", "keeps", "started", "modify", "see",
     "know", "ask", "visit", "arrange", "request", "claim", "register", "file", "pick", "drop", "set",
     "let", "give", "tell", "show", "access", "receive", "recover", "unlock", "block", "stop", "start"}
)  # fmt: skip
# First words of multi-word place names: "san", "salt lake" and the like, alone, are half a name.
PLACE_FIRST_WORDS = frozenset(
    {"new", "san", "santa", "los", "las", "salt", "saint", "st", "fort", "ft", "port", "palm", "north", "south",
     "east", "west", "mount", "mt", "el", "la", "grand", "long", "baton", "cape", "rio", "hong", "kansas",
     "carson", "ann", "little", "costa", "buenos", "tel", "corpus", "sioux", "oklahoma", "virginia", "rhode",
     "puerto", "kuala", "sao", "abu", "cedar", "palo", "des", "st.", "lake", "great", "upper", "lower"}
)  # fmt: skip
PLACE_SECOND_HALVES = frozenset({("salt", "lake"), ("west", "palm"), ("rio", "de"), ("palm", "beach")})
MONTHS = frozenset(
    {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
     "dec"}
)  # fmt: skip
EMAIL_JOINERS = frozenset({"at", "dot", "underscore", "dash", "hyphen", "@"})
EMAIL_ENDINGS = frozenset({"com", "net", "org", "uk", "io", "me", "fm", "de", "edu", "gov", "co", "us", "ca"})
