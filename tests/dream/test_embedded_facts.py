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
