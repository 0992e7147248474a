"""Words for people, animals and everyday things, shared by question derivation
(`dream.questions`) and its rewordings (`dream.rewordings`), so both read a statement the same way.
"""

from __future__ import annotations

ANIMALS = frozenset("dog cat puppy kitten horse parrot bird rabbit hamster pet".split())
# Those a user names themselves: "What did I name my daughter?" is a question people ask.
CHILDREN = frozenset("son daughter kid kids child children baby".split())
PEOPLE = CHILDREN | frozenset("""
friend boss teacher partner wife husband sister brother mother father mom mum dad grandmother
grandfather grandma grandpa granny neighbour neighbor roommate colleague coworker doctor dentist
manager lead ceo founder student coach tutor mentor instructor trainer girlfriend boyfriend cousin
aunt uncle niece nephew grandson granddaughter
head director president chair chairman chairwoman chairperson cto cfo coo vp principal captain
mayor king queen ruler chief owner dean landlord landlady supervisor editor producer author
""".split())
# Anything a question may ask "who" or "how old" about.
ANIMATE = PEOPLE | ANIMALS

# Everyday words for the same person or thing: a user who taught "my grandmother" asks about
# "my grandma". Both directions, so a formal word is practised informally and the other way round.
SAME = {"grandmother": ("grandma", "granny"), "grandfather": ("grandpa",),
        "grandma": ("grandmother",), "grandpa": ("grandfather",), "granny": ("grandmother",),
        "mother": ("mom", "mum"), "mom": ("mother",), "mum": ("mother",),
        "father": ("dad",), "dad": ("father",), "sailboat": ("boat",), "rowboat": ("boat",),
        "motorbike": ("motorcycle",), "motorcycle": ("motorbike",), "bicycle": ("bike",),
        "bike": ("bicycle",), "puppy": ("dog",), "kitten": ("cat",), "automobile": ("car",),
        "kid": ("child",), "kids": ("children",), "children": ("kids",),
        "apartment": ("flat",)}

# Jobs people name in "I'm a nurse"; words ending as jobs do ("-ologist", "-grapher") count too.
OCCUPATIONS = frozenset("""
nurse doctor physician surgeon dentist pharmacist paramedic midwife therapist psychologist
teacher professor lecturer tutor librarian principal lawyer attorney solicitor paralegal judge
accountant bookkeeper banker auditor actuary analyst consultant economist engineer developer
programmer architect designer scientist researcher chemist biologist physicist mathematician
chef cook baker butcher barista bartender waiter waitress cashier clerk receptionist secretary
manager director executive entrepreneur founder ceo cto cfo recruiter salesperson realtor
electrician plumber carpenter welder mechanic machinist technician mason roofer painter
farmer gardener landscaper fisherman beekeeper rancher vet veterinarian zookeeper
driver pilot sailor soldier officer firefighter policeman policewoman detective
journalist reporter editor writer author translator interpreter photographer filmmaker
musician singer actor actress dancer artist illustrator animator composer producer
janitor cleaner housekeeper nanny caregiver carer babysitter tailor hairdresser barber
stylist cosmetologist florist pastor priest rabbi imam chaplain caseworker student intern
optometrist radiologist anesthesiologist cardiologist dermatologist pediatrician surveyor
""".split())
# Diets someone keeps: "I'm vegan", "I'm a vegetarian", "we're gluten-free".
DIETS = ("vegan", "vegetarian", "pescatarian", "pescetarian", "keto", "paleo", "kosher",
         "halal", "gluten-free", "gluten free", "dairy-free", "dairy free", "lactose intolerant",
         "lactose-intolerant", "celiac", "coeliac", "teetotal", "plant-based", "raw vegan")
# What someone drives, rides or owns as transport.
VEHICLES = frozenset("""car truck pickup van minivan suv jeep motorbike motorcycle bike bicycle
scooter moped boat sailboat yacht camper rv hatchback sedan wagon convertible ebike e-bike
""".split())
