"""Word lists and agent prompts for the end-of-turn training corpus (see ``build_dataset``).

The benchmark corpus (``benchmarks/turn_corpus.py``) deliberately uses different wording.
"""

from __future__ import annotations

FIRST_NAMES = (
    "John", "Maria", "David", "Sarah", "Michael", "Emily", "James", "Jessica", "Robert", "Ashley", "Daniel",
    "Laura", "Kevin", "Olivia", "Brian", "Sophia", "Carlos", "Priya", "Ahmed", "Mei", "Tom", "Anna", "Peter",
    "Linda", "Mark", "Rachel", "Steve", "Nina", "Omar", "Grace",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Brown", "Miller", "Davis", "Martinez", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Lee", "Patel", "Nguyen", "Clark", "Lewis", "Walker", "Young", "Khan",
)  # fmt: skip
THINGS = (
    "order", "appointment", "reservation", "subscription", "account", "bill", "package", "delivery",
    "prescription", "refund", "booking", "internet", "password", "membership", "insurance", "flight",
    "payment", "plan", "claim", "return",
)  # fmt: skip
ACTIONS = (
    "cancel", "change", "reschedule", "update", "check on", "confirm", "pay", "track", "renew", "upgrade",
    "move", "extend", "pause", "transfer",
)  # fmt: skip
PROBLEMS = (
    "isn't working", "was charged twice", "hasn't arrived", "got cancelled", "is broken", "keeps dropping",
    "is wrong", "was declined", "never showed up", "is late", "stopped working", "has an error",
)  # fmt: skip
GROCERIES = (
    "eggs", "milk", "bread", "butter", "cheese", "apples", "bananas", "coffee", "rice", "pasta", "chicken",
    "tomatoes", "onions", "yogurt", "cereal", "orange juice", "paper towels", "sugar", "flour", "lettuce",
)  # fmt: skip
MENU_ITEMS = (
    "a large pepperoni pizza", "a cheeseburger", "fries", "a caesar salad", "a coke", "a latte",
    "two tacos", "a veggie wrap", "chicken wings", "a side of garlic bread", "an iced tea", "the pad thai",
    "a small cheese pizza", "onion rings", "a chocolate shake",
)  # fmt: skip
STREETS = (
    "Elm",
    "Oak",
    "Maple",
    "Main",
    "Pine",
    "Cedar",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "River",
)
STREET_SUFFIXES = ("Street", "Avenue", "Road", "Drive", "Lane", "Boulevard", "Court", "Way")
CITIES = ("Springfield", "Portland", "Austin", "Denver", "Boston", "Chicago", "Seattle", "Phoenix", "Dallas")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_PARTS = ("morning", "afternoon", "evening")
RELATIVE_DAYS = ("today", "tomorrow", "next week", "this weekend", "tonight")
PAST_TIMES = ("yesterday", "last week", "two days ago", "on Monday", "last month", "this morning")

AGENT_QUESTIONS: dict[str, tuple[str, ...]] = {
    "open": (
        "How can I help you today?", "What can I do for you?", "What seems to be the problem?",
        "Tell me a bit about the issue.", "Why are you calling today?",
        "Thanks for calling. How may I help you?", "What else can I help with?", "Okay. What happened?",
        "Sure. What would you like to change?", "How are you doing today?",
    ),
    "statement": (
        "Let me check that for you.", "Okay, I've updated your account.", "Thanks for calling Parley Pizza.",
        "One moment please.", "I see.", "Got it.", "I'm sorry to hear that.", "Okay, that's all set.",
        "Alright, your order has been placed.",
    ),
    "yesno": (
        "Would you like to confirm your appointment?", "Is that correct?",
        "Do you want me to send a confirmation text?",
        "Is there anything else I can help you with?", "Can I put you on hold for a moment?",
        "Should I go ahead and cancel it?", "Did you receive the email?", "Are you still there?",
        "Is this the best number to reach you?", "Your total is $24.50. Shall I place the order?",
        "Would you like a receipt?", "Do you have a reservation?", "Is the address on file still correct?",
        "Okay. Is that right?", "It's scheduled for Tuesday at 3, right?", "Have you called us before?",
        "Would you like me to transfer you?", "Anything else?",
    ),
    "time": (
        "What time works best for you?", "When would you like to come in?",
        "What day would you like to book?",
        "When did you place the order?", "What time should we expect you?",
        "When is a good time to call you back?", "What date were you thinking?",
    ),
    "phone": (
        "What's the best phone number to reach you?", "Can I get your phone number?",
        "What number should we call you back on?", "Could you give me a callback number?",
        "And your phone number?",
    ),
    "last4": (
        "Can you give me the last four digits of your card?", "What are the last four digits of your social?",
        "Please confirm the last 4 digits of the account.",
    ),
    "zip": ("What's your zip code?", "Can you confirm the zip code on the account?", "And the zip code?"),
    "card": ("What's the card number?", "Please read me the card number.",
    "Can I get the credit card number?"),
    "pin": ("Please say your four digit pin.", "What's your pin?"),
    "quantity": ("How many people will be joining?", "How many would you like?",
    "How many tickets do you need?"),
    "name": (
        "Can I get your name please?", "Who am I speaking with?", "What's the name on the reservation?",
        "Could you spell your last name?", "And your name?",
    ),
    "address": ("What's the delivery address?", "Where should we send it?", "What's your home address?"),
    "code": ("What's your order number?", "Can I have your confirmation code?", "What's the account number?"),
    "items": ("What would you like to order?", "What do you need today?", "What can I get started for you?"),
}  # fmt: skip

# (question, complete answers, incomplete answers)
CHOICE_QUESTIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Would you like pickup or delivery?", ("Pickup", "Delivery please", "Delivery", "I'll pick it up"),
     ("Delivery to", "Pickup at", "Um, the")),
    ("Is that for here or to go?", ("To go", "For here", "To go please"), ("To go and", "For here but")),
    ("Do you want the small or the large?", ("The large", "The small one", "Large please", "Small"),
     ("The", "The large and", "Maybe the")),
    ("Would you prefer morning or afternoon?", ("Morning", "Afternoon is better", "Mornings work"),
     ("Morning but", "Afternoon if", "Either one but")),
    ("Cash or card?", ("Card", "Cash please", "Credit card"), ("Card but", "Cash and")),
    ("Window or aisle?", ("Aisle", "Window please", "Aisle seat"), ("Window if", "Aisle but")),
)  # fmt: skip

YES_NO_ANSWERS = (
    "Yes", "Yeah", "Yep", "No", "Nope", "Sure", "Yes please", "No thanks", "No thank you", "That's right",
    "Correct", "Absolutely", "Not really", "I think so", "I don't think so", "Sounds good", "Okay",
    "Yes it is",
    "No it's not", "Yes I do", "No I don't", "Yeah that's fine", "Go ahead", "Please do", "Of course",
    "Definitely", "Yeah sure", "Uh yes", "Um no", "Yes, that's correct", "Nope, that's it", "Yeah, go ahead",
    "Not yet", "I did", "I am", "Sure, why not", "Yes, thank you", "Okay, thanks", "No, that's all",
    "Yes I did", "Mm hmm", "Uh huh", "Right", "Exactly", "No, I'm good",
)  # fmt: skip
TIME_ANSWERS = (
    "Tomorrow at {hour}", "Next {day}", "At {hour} pm", "Around noon", "{day} morning", "{day} {daypart}",
    "The {ordinal}", "This weekend", "Any time after {hour}", "Tomorrow", "In the evening", "{hour} o'clock",
    "Tomorrow at {hour} thirty", "{day} at noon", "Next {day} at {hour}", "Anytime", "As soon as possible",
    "Yesterday", "Two days ago", "{day}", "Sometime next week", "Later today", "{relative}",
)  # fmt: skip
TIME_PARTIALS = (
    "Tomorrow at", "Next", "On", "Around", "At", "Maybe", "Um, tomorrow at", "How about", "{day} or",
    "Any time after", "Sometime next", "{day} at", "Either {day} or", "Probably", "The",
)  # fmt: skip
QUANTITY_ANSWERS = ("{n}", "Just {n}", "{n} people", "{n} please", "Maybe {n}", "About {n}", "{n} of them")
NAME_ANSWERS = ("{first} {last}", "This is {first} {last}", "My name is {first} {last}",
                "It's {first} {last}", "{last}, {first} {last}", "It's under {first} {last}")  # fmt: skip
NAME_PARTIALS = ("My name is", "It's", "It's uh", "{first} uh", "This is", "It's under", "My first name is",
                 "{first} and")  # fmt: skip
SHORT_PARTIALS = (
    "Yes but", "No I", "It's", "My", "Well I", "The", "Uh, it's", "So", "I", "I'm", "We", "It was", "Let me",
    "Actually", "Um, actually", "Yes, and", "Hmm, I", "Yeah so", "No because", "Okay but", "Sure but I",
    "Well", "Yeah, I", "No, we",
)  # fmt: skip
FILLERS_ALONE = (
    "Um",
    "Uh",
    "Well",
    "So",
    "Hmm",
    "Okay so",
    "Uh so",
    "Yeah um",
    "So um",
    "Well uh",
    "Er",
    "Uh, let's see",
    "Let me see",
    "Hold on, um",
)
CONJ_TAILS = (
    "and", "but", "so", "because", "or", "and then", "and also", "cause", "since", "although", "unless",
    "and um", "but uh", "so um", "which", "if", "when", "plus", "and I", "but I", "so I", "because I",
    "and my",
    "because the", "but the", "and the", "or maybe", "so that", "and uh",
)  # fmt: skip
FILLER_TAILS = (
    "um", "uh", ", um", ", uh", "like", ", you know", "I mean", ", well", "hmm", "er", "so um", "uh like",
    ", kind of", "you know", ", uh, let's see", ", let me see", "hold on", ", uh, what's it called",
    ", um, bear with me", "hmm, let me see", ", um, what was it",
)  # fmt: skip
COMPLETE_TAILS = (
    "too", "as well", "though", "or something", "and stuff", "please", "then", "anyway", "for now",
    "thanks", "if possible", "right away", "and that's it", "and that's all",
)  # fmt: skip
OPENERS = ("Yeah, ", "Hi, ", "Okay, ", "Um, ", "So ", "Well, ", "Hi yes, ", "Actually, ", "Uh, ", "Hello, ")
UNFINISHED = (
    "I was wondering if", "What I need is", "The thing is", "I think that", "I was hoping to",
    "The reason I'm calling is", "Could you tell me if", "The problem is that", "I'm trying to",
    "I wanted to ask about", "Is it possible to", "Do you know if", "What I'd like to do is",
    "The last time I",
    "I'm not sure if", "I need you to", "I was going to", "Would it be possible to", "I just wanted to",
    "Can you tell me when", "My question is", "I was told that", "What happened was", "I'm calling to",
    "I don't know if", "It says that", "I'd like to know if", "I forgot to", "I wanted to see if",
    "The other thing is", "What I'm trying to figure out is", "If I", "When I", "Is there a way to",
    "My husband said", "The technician told me", "Your colleague said", "The email says",
    "My neighbor mentioned", "Someone told me", "The website says", "The man at the counter said",
    "So the lady said", "They told us",
)  # fmt: skip
UNFINISHED_SUBJECTS = ("", "", "", " I", " you", " my", " the", " we", " it")

# --- Phenomena the turn-taking benchmark exposed (dataset_phenomena); wording is this corpus's own. ---

MORE_FIRST_NAMES = (
    "Hannah", "Luis", "Fatima", "Georgia", "Wendell", "Yuki", "Bernard", "Chloe", "Dmitri", "Esther",
    "Patrick", "Aisha", "Victor", "Naomi", "Samuel", "Greta", "Arjun", "Lucy", "Xavier", "Zara", "Ruth",
    "Kofi", "Agnes", "Mateo", "Leila",
)  # fmt: skip
MORE_LAST_NAMES = (
    "Ferreira", "Novak", "Brennan", "Adeyemi", "Schultz", "Morales", "O'Connor", "Tanaka", "Rossi", "Mbeki",
    "Jensen", "Duarte", "Kaplan", "Sullivan", "Ivanova", "Bergstrom", "Achebe", "Mancini", "Holloway",
    "Yilmaz",
)  # fmt: skip
HOUSEHOLD = (
    "dish soap", "trash bags", "batteries", "light bulbs", "toothpaste", "shampoo", "a mop",
    "laundry detergent", "sponges", "aluminum foil", "coffee filters", "a phone charger", "printer paper",
    "olive oil", "garlic", "peanut butter", "frozen peas", "a bag of rice", "some grapes", "a dozen eggs",
    "hand soap", "cat food", "dog treats", "a loaf of sourdough", "oat milk", "two lemons", "bin liners",
)  # fmt: skip
MORE_STREETS = (
    "Chestnut", "Willow", "Highland", "Mill Creek", "Orchard", "Franklin", "Jefferson", "Lincoln", "Spring",
    "Meadow", "Cherry", "Walnut", "Prospect", "Church", "Station", "Victoria", "King", "Queen", "Bay", "Glen",
)  # fmt: skip
MORE_STREET_SUFFIXES = ("Circle", "Square", "Row", "Highway", "Trail", "Heights", "Gardens", "Walk")

ITEMS_QUESTIONS = (
    "What else do you need?", "Anything else you'd like to add?", "What else can I get you?",
    "Do you need anything else from the store?", "What would you like to add to your cart?",
    "What else is on your shopping list?", "Anything more to add?", "What do you need me to pick up?",
    "What else should I bring?", "What else would you like with that?",
)  # fmt: skip
ITEMS_LEADS = (
    "", "", "", "I also need", "we're out of", "can you grab", "add", "I'll need", "we should get", "maybe",
    "also", "and", "oh and", "we could use", "I'd like", "get me", "you can add", "let's do", "just",
    "I think we need", "we're running low on", "could I also have", "can you add", "could you get",
    "would you grab", "can I get", "can we add", "please add", "I'll also take", "toss in", "pick up",
    "add on", "chuck in",
)  # fmt: skip
ITEMS_CLOSERS = (
    "that's it", "and that's all", "that should do it", "I think that's everything", "that's all for now",
    "and that's everything", "nothing else",
)  # fmt: skip
ITEMS_OPEN_ENDS = ("and", ", and", "plus", "and also", "oh and", ", um", "uh what else", "and uh")

NAME_QUESTIONS = (
    "What's the name for the order?", "Who should I make it out to?", "And who am I booking this for?",
    "Can I have a name for the table?", "And the name, please?", "Who is the appointment for?",
)  # fmt: skip
FULL_NAME_QUESTIONS = ("What's your full name?", "Could I get your first and last name?",
                       "Can you give me your full name, please?")  # fmt: skip
NAME_LEADS = ("", "", "it's", "the name's", "that'd be", "it's for", "this is", "my name is", "I'm",
              "it should be under", "under", "make it", "you can use")  # fmt: skip

ADDRESS_QUESTIONS = (
    "What's the street address?", "Where are you located?", "Where do you want it delivered?",
    "Where should we send the technician?", "What address should we ship to?", "Where will you be?",
)  # fmt: skip
ADDRESS_LEADS = ("", "it's", "we live at", "I'm staying at", "drop it at", "you'll find us at",
                 "our place is", "deliver to", "the address is", "we're on", "send it to", "head to",
                 "it's going to")  # fmt: skip

PHONE_QUESTIONS = (
    "What's the best number to text?", "Which number should we use?",
    "Is there a number we can reach you on?", "What's your mobile number?", "Can I take a contact number?",
    "What number should I put down?",
)  # fmt: skip
PHONE_LEADS = ("", "", "it's", "sure it's", "you can reach me on", "my mobile number's", "give me a ring at",
               "the number's", "call me on", "best to reach me at", "my direct line is", "my cell phone is",
               "the contact number is", "okay so it's", "yeah it's")  # fmt: skip
CODE_QUESTIONS = (
    "What's your account number?", "Can you read me the reference number?", "What's the policy number?",
    "Do you have your customer ID handy?", "What's the tracking number?", "Could I get your case number?",
)  # fmt: skip
CODE_LEADS = ("", "it's", "the number is", "let me see it's", "okay it's", "my account number is",
              "the reference is", "uh it's", "sure it's", "I've got")  # fmt: skip

SECOND_CLAUSES = (
    "it still won't start", "nobody has called me back", "I want my money back",
    "now it's making a weird noise", "I can't get through to anyone", "it's been two weeks",
    "the screen is blank", "I need it fixed",
    "the fee went up", "I never got an email", "it keeps happening", "I'd like a new one",
    "they said it was fine", "I don't have time to wait", "that's why I'm calling", "it didn't help",
)  # fmt: skip
HESITATIONS = ("um", "uh", "er", "uh, what's it called", "hmm, let me see", "uh, you know",
               "um, what was it", "er, let's see", "uh, bear with me", "um, one sec", "hmm")  # fmt: skip
