"""Hand-written caller turns for the blind turn-taking sets (``benchmarks.turn_blind``).

Written for issue 16 only, from scratch: no template, word list or generator of ``training/eot`` or
``benchmarks/turn_corpus`` was used, and the phenomena mix is different (the five failures of the held-out
report - emails in pieces, a verb still awaiting its object, split multi-word place names, dates in parts,
spelled codes in groups - plus spelled names, phone numbers, addresses, lists, hesitations, a complete sentence
then more, self-corrections, digit-by-digit numbers, questions back to the agent and one-word answers).

Each line: ``category ; agent question (or -) ; chunk | chunk | ...``. A ``|`` is a pause where the caller is
NOT done; the turn ends after the last chunk. Lines without ``|`` are complete turns said in one breath.
"""

from __future__ import annotations

CASES = """
email ; What's the best email for the receipt? ; it's marta.kowalski | at outlook dot com
email ; Which email should I send the confirmation to? ; the email is d r hughes | at proton mail dot me
email ; Can I get an email address for the account? ; sure it is bennet underscore farms | at gmail dot com
email ; What email do you use with us? ; um it's lucy dot ferreira | at hotmail | dot co dot uk
email ; And your email? ; olu adeyemi ninety one | at yahoo dot com
email ; Where should we email the invoice? ; accounts at | brightwater dental dot com
email ; What's your work email? ; it is j dot oconnell | at the company domain which is | harbor logistics dot net
email ; Could you give me an email address? ; yeah it's grandma pat | at icloud dot com
email ; What email should the tickets go to? ; send them to finn dot larsen | at mail dot com
email ; What's the email on file? ; it should be t w o m e y | at gmail dot com
verb_object ; What can I help you with? ; I'd like to cancel | my gym membership
verb_object ; How can I help you today? ; I need to reschedule | the plumber who was supposed to come on friday
verb_object ; What can I do for you? ; we want to return | two of the chairs we bought
verb_object ; How can I help? ; I'm trying to find | the charger for my scooter
verb_object ; What brings you in today? ; I was wondering about | the warranty on my dishwasher
verb_object ; How can I help you today? ; my daughter broke | her retainer and we need a new one
verb_object ; What can I help with? ; I was hoping to upgrade | my internet plan
verb_object ; What's going on with the car? ; it keeps making | this grinding noise when I brake
verb_object ; How can I help you today? ; I'm calling to dispute | a charge on my statement
verb_object ; What would you like to do? ; I'd like to transfer | five hundred dollars to my savings
verb_object ; How can I help? ; we need to book | a table for six on saturday
verb_object ; What seems to be the problem? ; the app won't let me change | my password
place ; Where are you flying to? ; new | orleans
place ; Which city is the delivery for? ; it's going to san | bernardino
place ; Where are you calling from? ; I'm in salt lake | city
place ; What's the destination? ; los | angeles international
place ; Where would you like to pick up the car? ; at the fort | lauderdale airport
place ; Which store did you visit? ; the one in palm | springs
place ; Where do you live? ; I live in saint | petersburg florida
place ; Where is the property? ; it's in north | charleston
place ; Which office are you closest to? ; probably the las | vegas one
place ; Where are you traveling from? ; from port | elizabeth
place ; Where do you want to go? ; to santa | barbara please
place ; Where should the driver meet you? ; at the mount | vernon library
date ; What date works for you? ; march | the fourteenth | twenty twenty seven
date ; When were you born? ; it's july | second | nineteen eighty four
date ; What's your date of birth? ; october | twenty one | nineteen ninety
date ; When does the lease start? ; the first of | september
date ; When would you like to check in? ; on the | twenty third of may
date ; What day should we deliver? ; thursday the | ninth
date ; When did you buy it? ; I think it was in | january of this year
date ; When is the appointment? ; it's on june | eleventh
date ; What is the expiry date on the card? ; zero nine | twenty eight
date ; When will you arrive? ; august | the third
code ; What's your confirmation code? ; it's x k seven | nine p two
code ; Can you read me the reference number? ; b | q four | four one | z
code ; What's the tracking number? ; one z nine nine | eight w | seven seven three
code ; What's the voucher code? ; s u m m e r | twenty five
code ; Please read the serial number on the back. ; c n | eight four | j k | two
code ; What's the booking reference? ; h t | six six | r m
code ; What's your member id? ; m e m | zero four | one one
code ; Can you read the product key? ; q w four | t z nine | l l two
code ; What's the license plate? ; seven | a b c | one two three
spelled_name ; Can you spell your last name for me? ; n | o | w | a | k
spelled_name ; How do you spell that? ; it's t h | o m | p s o n
spelled_name ; Could you spell the street name? ; w a | l n u t
spelled_name ; Can you spell your first name? ; s | i o b h | a n
spelled_name ; And how is that spelled? ; k a | t r | i n a
spelled_name ; Could you spell the company name? ; z e | p h y r
phone ; What number can we reach you on? ; it's four one five | two two eight | nine zero four one
phone ; What's your phone number? ; six one seven | five five five | zero one three two
phone ; What's a good callback number? ; area code three one two | then eight four seven | two six six one
phone ; Which number should the courier text? ; text oh seven nine | one two | three four five six seven eight
phone ; What's the number on the account? ; nine seven two | four four four | one eight | one eight
phone ; Can I have a contact number? ; yes it's 303 | 555 | 0192
address ; What's the delivery address? ; forty two | birchwood avenue | apartment five b
address ; Where should we send the replacement? ; 1187 | old mill road | cedar falls iowa
address ; What's the address of the property? ; it's nine | harrington close | and the postcode is | s w four | nine q r
address ; What's your billing address? ; twenty six | lakeview terrace | unit twelve
address ; Where are you located? ; we're at three hundred | king street west
address ; What address should the technician go to? ; 55 | copper beech drive
list ; What would you like on your pizza? ; mushrooms | olives | and some jalapenos
list ; What else do you need for the trip? ; sunscreen | a couple of towels | and the cooler
list ; Which rooms need cleaning? ; the kitchen | both bathrooms | and the hallway
list ; What symptoms have you noticed? ; headaches | some dizziness | and I'm tired all the time
list ; What do you want to order? ; two lattes | a blueberry muffin | and a bottle of water
list ; What else should I add to the cart? ; printer paper | and | staples
hesitation ; How can I help you today? ; so um | I got a letter from you guys | about a late fee
hesitation ; What's the reason for your call? ; well uh | it's about my | my mother's prescription
hesitation ; What would you like to change? ; um let me think | the delivery time I guess
hesitation ; What can I do for you? ; yeah so | basically | the heater stopped working
hesitation ; What's the name on the booking? ; uh | it should be under | rivera
hesitation ; How many people are coming? ; hmm | probably around | twelve
more ; How was your stay? ; it was fine. | but the air conditioning was really loud at night
more ; Is that everything? ; yes. | oh wait also a phone charger
more ; Did the package arrive? ; it did. | but the box was crushed and the lamp is broken
more ; Can I help with anything else? ; nah I think we're good. | actually can you check my balance too
more ; Did that fix it? ; not really. | it still shuts off after a few minutes
more ; Are you happy with the new plan? ; I am. | although the bill went up more than I expected
correction ; What time should we come? ; at two | no sorry | at three thirty
correction ; How many tickets? ; four | actually make that five
correction ; What's your zip code? ; nine four one | oh wait | nine four one one two
correction ; Which day works? ; tuesday | no wednesday | wednesday is better
correction ; What size do you need? ; medium | or no | large
correction ; What's the room number? ; two fourteen | sorry two forty one
digits ; What's your account number? ; seven | three | zero | zero | nine | one | four | four
digits ; Can you read me the last four of your card? ; eight | one | one | six
digits ; What's your pin? ; two | nine | nine | zero
digits ; What's the order number? ; four five | six | seven eight | nine
digits ; What's the zip code there? ; six | oh | six | one | four
digits ; What's the policy number? ; p | one | two | seven | seven | zero
question_back ; Would you like the earlier slot? ; how early | are we talking
question_back ; Can I get your date of birth? ; why do you need | my date of birth
question_back ; Do you want the premium plan? ; what's the difference | between premium and standard
question_back ; Shall I book that for you? ; does it include | breakfast
question_back ; Is there anything else? ; could you tell me | when the store closes
question_back ; Do you want me to transfer you? ; who would I be | talking to
one_word ; What's your name? ; Priya
one_word ; What's your name? ; marcus
one_word ; And your last name? ; Okonkwo
one_word ; Do you want a receipt? ; no
one_word ; Would you like to continue? ; yes
one_word ; Pickup or delivery? ; delivery
one_word ; Which size? ; small
one_word ; How many bags are you checking? ; two
one_word ; What city? ; Denver
one_word ; Is this the right address? ; correct
one_word ; Which day works best? ; Friday
one_word ; What color would you like? ; green
one_word ; Window or aisle? ; aisle
one_word ; Can you describe the issue? ; leaking
one_word ; Cash or card? ; card
one_word ; Who am I speaking with? ; Ingrid
complete ; How can I help you today? ; I'd like to cancel my subscription please
complete ; How can I help you today? ; my internet has been down since this morning
complete ; Can you describe the issue? ; the screen flickers whenever I open the camera
complete ; What's the reason for your call? ; I was double charged for my last order
complete ; Where are you flying to? ; Chicago O'Hare
complete ; What's your email address? ; it's sam dot reyes at gmail dot com
complete ; What date works for you? ; the twelfth of april
complete ; What's your confirmation code? ; it's k nine m four two
complete ; What's your phone number? ; two zero six five five five zero one nine eight
complete ; Where should we send it? ; 18 elm street springfield
complete ; Anything else? ; no that's everything thank you
complete ; Is the order correct? ; yes that looks right
complete ; When can you come in? ; tomorrow afternoon works for me
complete ; What's your name? ; my name is Tomasz Nowak
complete ; How did you hear about us? ; a friend recommended you
complete ; What can I help you with? ; I want to book a haircut for saturday morning
complete ; Would you like to add insurance? ; no thanks I'll skip it
complete ; What's the problem with the order? ; you sent me the wrong size
complete ; Which store are you near? ; the one on fifth avenue
complete ; - ; hi I'm calling about my refund
complete ; - ; hello is this line working
complete ; What's your date of birth? ; may fourth nineteen seventy nine
complete ; What time works? ; half past ten
complete ; Where do you live? ; San Francisco
"""
