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
