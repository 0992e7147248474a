"""Facts a request takes for granted, turned into statements the question deriver reads."""

import pytest

from dream.embedded_facts import facts_in_request
from dream.questions import derive


def answers(request: str) -> dict[str, str]:
    return {d.question: d.answer for d in derive(facts_in_request(request))}


def test_a_birthday_trip_says_who_the_wife_is_her_age_and_when():
    got = answers("could you help me plan a weekend in Porto for my wife Ines's 50th birthday "
                  "in October?")
    assert got["What is my wife's name?"] == "Ines"
    assert got["How old is Ines turning?"] == "50"
    assert got["When is Ines's birthday?"] == "October"


@pytest.mark.parametrize(("request_text", "fact"), [
    ("what should i get my husband rafa for christmas", "My husband's name is Rafa."),
    ("any tips for my girlfriend noors 30th birthday in july?", "Noor turns 30 in July."),
    ("how often should I walk my dog named biscuit?", "My dog is called Biscuit."),
    ("Can you draft a note to my manger Olusegun about Friday?",
     "My manger's name is Olusegun."),
    ("what's a fun game for my 6-year-old niece?", "My niece is 6 years old."),
    ("Help me ask for a raise at my job at Fernwood Labs.", "I work at Fernwood Labs."),
    ("where can I get good coffee in my hometown of Ghent?", "My hometown is Ghent."),
    ("is it ok to feed my cat Mochi's kittens tuna?", "My cat's name is Mochi."),
    ("ideas for my mum's 70th birthday on 12 March?", "My mum turns 70 on 12 March."),
    ("what would my son Leo like for dinner?", "My son's name is Leo."),
])
def test_facts_in_requests(request_text, fact):
    assert fact in facts_in_request(request_text)


@pytest.mark.parametrize("request_text", [
    "If I had a wife called Ana, what would her name day be?",
    "Imagine my dog Rex could talk: what would he say?",
    "Can you recommend a novel like My Brilliant Friend?",
    "should I tell my boss Monday or wait?",
    "my wife and I want to travel somewhere warm",
    "what should I get my mom?",
    "my dog ate my homework, what now",
    "write a story where my brother Tom is a pirate character",
])
def test_hypotheticals_and_plain_requests_give_nothing(request_text):
    assert facts_in_request(request_text) == []


@pytest.mark.parametrize(("request_text", "facts"), [
    ("can you write a toast for my grandpa, he was a fisherman for 40 years in Cork",
     ["My grandpa was a fisherman for 40 years in Cork."]),
    ("suggest a dessert for my sister Maren, shes vegan and loves hazelnuts",
     ["My sister is vegan.", "My sister loves hazelnuts."]),
    ("plan a week of meals for me, im 38 and had a hip replacement in march so low impact stuff",
     ["I'm 38.", "I had a hip replacement in march."]),
    ("find me a quiet campsite for the weekend, we're bringing our 3 year old",
     ["We're bringing our 3 year old."]),
    ("write a short poem about my dog Pepper who is 12 and still chases squirrels",
     ["My dog is 12.", "My dog still chases squirrels."]),
    ("write a card for my swimming coach mr okoro, i have trained with him for 6 years",
     ["I have trained with my swimming coach for 6 years."]),
])
def test_assertions_after_a_request_are_kept_with_pronouns_resolved(request_text, facts):
    got = facts_in_request(request_text)
    assert all(fact in got for fact in facts), got


def test_resolved_clauses_read_as_questions():
    got = answers("gift ideas for my uncle please, hes turning 60 and is allergic to nuts")
    assert got["How old is my uncle turning?"] == "60"
    assert got["What is my uncle allergic to?"] == "nuts"


@pytest.mark.parametrize(("request_text", "fact"), [
    ("help me write an invite to my colleague Dr Lindqvist",
     "My colleague's name is Dr Lindqvist."),
    ("a thank you note for my landlady frau brandt", "My landlady's name is Frau Brandt."),
    ("write a card for my swimming coach mr okoro", "My swimming coach's name is Mr Okoro."),
    ("write a birthday note for my mother-in-law Odile", "My mother-in-law's name is Odile."),
    ("what can i cook for my sister in law Beatriz", "My sister-in-law's name is Beatriz."),
    ("draft a toast for my best friend Caio", "My best friend's name is Caio."),
])
def test_titles_and_compound_relations(request_text, fact):
    assert fact in facts_in_request(request_text)


def test_a_title_is_not_the_name():
    got = answers("write to my tutor Herr Vogel about the exam")
    assert got["What is my tutor's name?"] == "Herr Vogel"


@pytest.mark.parametrize(("request_text", "fact"), [
    ("make a poster for my band Copper Lanterns", "My band is called Copper Lanterns."),
    ("write a newsletter for our startup Quillbyte", "Our startup is called Quillbyte."),
    ("summarise the first chapter of my novel The Salt Ledger",
     "My novel is called The Salt Ledger."),
    ("a bio for our shop website, we're Harbourlight Prints Ltd",
     "Our shop is called Harbourlight Prints Ltd."),
    ("help me plan my thesis defence, it is on 3 june", "My thesis defence is on 3 june."),
    ("any ideas for our holiday to Crete on the 22nd", "Our holiday to Crete is on the 22nd."),
    ("write a card for Priya's wedding on the 14th", "Priya's wedding is on the 14th."),
    ("summarise the retro, we rebranded Nimbus to Stratus in april",
     "Nimbus is now called Stratus."),
    ("a bio for our bakery, we are 2 bakers in Hull since 2011",
     "We are 2 bakers in Hull since 2011."),
])
def test_named_works_events_renames_and_counts(request_text, fact):
    assert fact in facts_in_request(request_text)


def test_works_and_renames_read_as_questions():
    got = answers("write a press release for our startup Quillbyte, we renamed Quillbyte Lite to "
                  "Quillbyte Go")
    assert got["What is our startup called?"] == "Quillbyte"
    assert got["What is Quillbyte Lite called now?"] == "Quillbyte Go"


@pytest.mark.parametrize("request_text", [
    "translate this for my aunt: i love you and i miss you",
    "write a reply to my sister, she says im always late",
    "could you suggest a gift, he might like books",
    "can you help me write a poem, i need it by tonight",
    "if my son is 12 what bike should he get, he loves red",
    "lets roleplay, you are a chef and i am a critic",
    "what should i get my dad, she loves tea",
    "write it in simple english so i understand it",
    "suppose we renamed Nimbus to Stratus, would people notice",
])
def test_requests_without_assertions_give_nothing(request_text):
    assert facts_in_request(request_text) == []
