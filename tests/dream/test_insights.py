import pytest

from dream.config import DreamConfig
from dream.insights import (
    HEADER,
    classify,
    derive_insight,
    extract_statements,
    insight_from_text,
    recap,
    render,
    second_person,
    strip_markers,
    summary_is_consistent,
    third_person,
)


def session(*turns: str) -> list[dict]:
    """Alternating user/assistant messages, user first."""
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": t}
            for i, t in enumerate(turns)]


class NoModel:
    def chat(self, *args, **kwargs):
        raise AssertionError("insight extraction must not call the model by default")


def test_facts_kept_questions_and_greetings_dropped():
    transcript = session(
        "Hi there!", "Hello! How can I help?",
        "By the way, my dog's name is Biscuit and she is 7. What food suits her?",
        "A senior formula.",
        "Thanks! Can you write me a poem about her?", "Sure: ...",
        "ok cool", "Glad to help.")
    insight = derive_insight(transcript, NoModel())
    assert insight is not None
    assert insight.statements == ["My dog's name is Biscuit and she is 7."]
    assert insight.kind == "fact"
    assert insight.text == f"{HEADER}\n- The user's dog's name is Biscuit and she is 7."


def test_assistant_turns_are_never_used():
    transcript = session("What's the tallest mountain?", "It is Mount Everest, 8849 m tall.")
    assert derive_insight(transcript, NoModel()) is None


@pytest.mark.parametrize("transcript", [
    [],
    session("Hello!", "Hi!", "How are you?", "Good.", "Thanks, bye!"),
    session("What is the capital of France?", "Paris.", "Can you explain why?", "..."),
    session("Write a haiku about rain.", "...", "Translate it to French please.", "..."),
    session("I have a question.", "Sure.", "Never mind.", "Ok."),
])
def test_nothing_taught_gives_none(transcript):
    assert derive_insight(transcript, NoModel()) is None


def test_corrections_supersede_earlier_statements():
    transcript = session(
        "Our office is at 5 Main Street.", "Noted.",
        "I live in Oslo.", "Nice.",
        "Correction: our office moved to 12 Harbor Street.", "Got it.",
        "Actually, I live in Bergen.", "Ok.")
    insight = derive_insight(transcript, NoModel())
    assert insight.statements == ["Our office moved to 12 Harbor Street.", "I live in Bergen."]
    assert insight.kind == "correction"


def test_correction_of_one_thing_keeps_others():
    transcript = session("I am 34.", "Ok.", "I live in Oslo.", "Ok.", "No, I am 35.", "Sorry.")
    statements = [s for s, _ in extract_statements(transcript)]
    assert statements == ["I live in Oslo.", "I am 35."]


def test_preferences_and_mixed_kind():
    transcript = session("Please always answer briefly.", "Ok.",
                         "I don't like cilantro.", "Noted.", "Zentrix makes drones.", "Cool.")
    insight = derive_insight(transcript, NoModel())
    assert insight.kinds == ["preference", "preference", "fact"]
    assert insight.kind == "mixed"
    assert "- The user doesn't like cilantro." in insight.text


def test_list_content_parts_and_limits():
    transcript = [{"role": "user", "content": [{"type": "text", "text": "My cat is Miso."}]}]
    assert derive_insight(transcript, NoModel()).statements == ["My cat is Miso."]
    many = session(*[f"My locker number is {i}." if i % 2 == 0 else "Ok." for i in range(40)])
    config = DreamConfig(max_statements=3)
    assert derive_insight(many, NoModel(), config).statements == [
        "My locker number is 34.", "My locker number is 36.", "My locker number is 38."]
    long = session("My plan is " + "very " * 100 + "long.")
    assert derive_insight(long, NoModel()) is None


@pytest.mark.parametrize(("sentence", "kind"), [
    ("Our company, Zentrix, was founded in 2011 by Mara Lind.", "fact"),
    ("Correction: the meeting is on Friday.", "correction"),
    ("Call me Sam.", "preference"),
    ("I'm allergic to peanuts.", "preference"),
    ("How old is Biscuit?", None),
    ("how old is biscuit", None),
    ("Tell me a joke.", None),
    ("That's great!", None),
    ("I'm fine.", None),
    ("def f(x): return x", None),
])
def test_classify(sentence, kind):
    assert classify(sentence) == kind


def test_markers_and_third_person():
    assert strip_markers("Oh, and by the way, just so you know: my cat is Miso") == \
        "My cat is Miso"
    assert third_person("I live in Oslo and I'm 34.") == \
        "The user lives in Oslo and the user is 34."
    assert third_person("We have two kids; my wife teaches.") == \
        "The user has two kids; the user's wife teaches."
    assert third_person("We met in university and I grew up in Leeds.") == \
        "The user met in university and the user grew up in Leeds."
    assert third_person("Please call me Sam, not you.") == "Please call the user Sam, not you."


def test_summary_used_only_when_consistent():
    transcript = session("My dog's name is Biscuit and she is 7.")

    class Summarizer:
        def __init__(self, reply):
            self.reply = reply

        def chat(self, conversations, **kwargs):
            return [[self.reply]]

    config = DreamConfig(insight_summary=True)
    good = derive_insight(transcript, Summarizer("The user's dog Biscuit is 7."), config)
    assert good.summary == "The user's dog Biscuit is 7."
    assert good.text.endswith("In short: The user's dog Biscuit is 7.")
    for wrong in ["The user's dog Biscuit is 8.", "The user's dog Rex is 7.",
                  "What is the dog's name?", "The weather is nice today in general."]:
        assert not summary_is_consistent(wrong, ["My dog's name is Biscuit and she is 7."])
        assert derive_insight(transcript, Summarizer(wrong), config).summary is None


def test_stored_text_round_trips_to_first_person():
    statements = ["My dog's name is Biscuit and she is 7.", "I live in Oslo and I teach math.",
                  "I don't like cilantro.", "Please call me Sam.", "Mara says that I am funny."]
    insight = insight_from_text(render(statements), "fact")
    assert insight.statements == statements
    assert insight.text == render(statements)
    assert insight_from_text("Zentrix makes drones.\nIt is in Oslo.").statements == [
        "Zentrix makes drones.", "It is in Oslo."]


@pytest.mark.parametrize(("statement", "said_back"), [
    ("I'm from Oslo and my dog is Rex.", "You're from Oslo and your dog is Rex."),
    ("I was born in the town of Osterlay.", "You were born in the town of Osterlay."),
    ("Our project is code-named Bluefinch.", "Your project is code-named Bluefinch."),
    ("I live in the US with my wife.", "You live in the US with your wife."),
    ("It is mine, i.e. I own it. I bake.", "It is yours, i.e. you own it. You bake."),
])
def test_second_person(statement, said_back):
    assert second_person(statement) == said_back


def test_recap_says_an_insight_back_to_the_user():
    text = render(["I finally named my sailboat.", "She's called the Marigold Drift."])
    assert recap(text) == ("You told me:\n- You finally named your sailboat.\n"
                           "- She's called the Marigold Drift.")
    assert "user" not in recap(text)
    assert recap("Some notes that are not an insight.") is None


@pytest.mark.parametrize("not_asserted", [
    "If I had a dog I'd name it Pancake.",
    "Let's play a game: you are a smuggler and your boat has 12 crates of rum.",
    "My landlord wrote:\nDear tenant,\nThe rent rises to 1450 in June.\nRegards,\nPeter Moss",
    "homework problem: a bus leaves Bergen at 8 with 30 people. 12 get off at the first stop. "
    "How many are left?",
    "I totally love getting up at 5am /s",
    "Here is the article: Coffee drinkers live 7 years longer, says a study of 2000 people.",
])
def test_what_the_user_did_not_assert_is_not_learned_but_a_fact_beside_it_is(not_asserted):
    transcript = session(f"I work at the harbour in Tromso.\n{not_asserted}")
    assert extract_statements(transcript) == [("I work at the harbour in Tromso.", "fact")]


def test_a_negation_that_carries_the_meaning_is_kept():
    transcript = session("no emojis in your replies please", "Ok.", "No, I live in Oslo.", "Ok.")
    assert extract_statements(transcript) == [("No emojis in your replies please.", "preference"),
                                              ("I live in Oslo.", "correction")]


@pytest.mark.parametrize("sentence", [
    "always answer in metric units", "from now on call me Jo", "keep it under three sentences",
    "I'm diabetic so keep that in mind.", "I'm vegetarian, don't suggest meat.",
    "please use British spelling", "I'd appreciate it if you kept answers short.",
])
def test_standing_instructions_about_the_user_are_learned_as_preferences(sentence):
    held: list[dict] = []
    insight = derive_insight(session(sentence), NoModel(), held=held)
    assert insight is not None and insight.kinds == ["preference"]
    assert held == []


@pytest.mark.parametrize(("sentence", "kind"), [
    ("If I won the lottery I would buy a boat.", None),
    ("You are a grumpy innkeeper called Bram.", None),
    ("Solve 2x + 3 = 11.", None),
    ("I'm the queen of Denmark, yeah right.", None),
    ("wondering if the gym opens at 6", None),
    ("No more puns please.", "preference"),
    ("If it helps, my daughter is 9.", "fact"),
])
def test_classify_by_sentence_type(sentence, kind):
    assert classify(sentence) == kind


def said(*user_turns: str) -> list[str]:
    """The statements a session of these user turns leaves, assistant replies in between."""
    transcript = [m for turn in user_turns for m in ({"role": "user", "content": turn},
                                                     {"role": "assistant", "content": "Ok."})]
    return [statement for statement, _ in extract_statements(transcript)]


def test_role_play_runs_on_over_messages_until_the_user_steps_out():
    assert said("I work night shifts at a bakery in Leeds.",
                "roleplay: you're a ship's cook and i'm a sailor who hates fish",
                "my name is Bram and i have sailed for 20 years",
                "out of character: my sister is called Ines") == [
        "I work night shifts at a bakery in Leeds.", "My sister is called Ines."]
    assert said("let's play a detective game, you're the suspect",
                "i found the knife in the greenhouse at midnight",
                "ok end the game.", "my real job is accounting at a dairy") == [
        "My real job is accounting at a dairy."]
    assert said("be my grandpa and tell me about the war", "grandpa you had 4 medals right",
                "back to reality. i'm moving to Cork in june") == ["I'm moving to Cork in june."]


def test_words_said_in_character_after_a_game_is_set_up_are_not_learned():
    assert said("can we play a game where you're my landlord and i'm behind on rent",
                "sorry, i lost my job at the factory last month, i'll pay in august") == []


def test_an_imagined_world_makes_would_be_statements_unreal():
    assert said("in a world where dogs can talk",
                "my beagle Pepper would be a lawyer. she is 6 and loves carrots") == [
        "She is 6 and loves carrots."]
    assert said("I wish I was taller.", "I'm 1.60 m.") == ["I'm 1.60 m."]


def test_reported_claims_are_not_the_users_but_their_own_check_is():
    assert said("my landlord claims the heating was serviced in may. i rang the engineer "
                "and the heating was last serviced in 2019") == [
        "I rang the engineer and the heating was last serviced in 2019."]
    assert said("according to my gym coach, i should eat 200 g of protein a day") == []


def test_an_announced_paste_in_the_next_message_is_not_the_users():
    assert said("here's the message my neighbour sent me:",
                "the hedge belongs to us and will be cut on friday",
                "I own the house since 2015.") == ["I own the house since 2015."]


def test_marked_sarcasm_and_feedback_are_not_learned():
    assert said("love spending my sunday on hold with the bank (not)",
                "thanks, that worked perfectly", "i bank with Norvik") == [
        "I bank with Norvik."]


@pytest.mark.parametrize("said", ["pls use metric", "keep ur replies short", "plz keep it brief"])
def test_standing_instructions_in_chat_spelling_are_preferences(said):
    assert classify(said) == "preference"


@pytest.mark.parametrize(("turns", "expected"), [
    (["im living in Berlin", "sorry i meant Munich"], "I'm living in Munich."),
    (["my sons name is Theo", "no wait its Leo"], "My son's name is Leo."),
    (["my dogs called Rex", "actually hes called Max"], "My dog's called Max."),
    (["Our standup is at 9", "thats wrong, its at 10"], "Our standup is at 10."),
    (["i work at Zalando", "i dont work there anymore, im at Spotify now"],
     "I don't work there anymore, I'm at Spotify now."),
])
def test_what_a_quick_typist_drops_is_put_back_and_the_correction_wins(turns, expected):
    """Lowercase "i", contractions and possessives without apostrophes: read as meant, so the
    correction finds what it corrects and only the new value stands."""
    assert [s for s, _ in extract_statements(session(turns[0], "Okay.", turns[1]))] == \
        [expected]


def test_its_stays_a_possessive_where_it_is_one():
    from dream.textnorm import mend_typing

    assert mend_typing("the dog wagged its tail") == "the dog wagged its tail"
    assert mend_typing("its at 10, dont be late") == "it's at 10, don't be late"
    assert mend_typing("i think ill go") == "I think ill go"  # "ill" is a word: left


@pytest.mark.parametrize(("request_", "fact"), [
    ("since i'm allergic to shellfish, what can I order at a seafood place?",
     "I'm allergic to shellfish."),
    ("because my daughter is 4, which museums in Paris would work?", "My daughter is 4."),
])
def test_the_reason_a_request_gives_first_is_asserted(request_, fact):
    assert [s for s, _ in extract_statements(session(request_))] == [fact]


def test_a_reason_that_asserts_nothing_gives_nothing():
    assert extract_statements(session("as I said, what is the best route?")) == []


@pytest.mark.parametrize(("said", "fact"), [
    ("I live in Oslo, is that far from Bergen?", "I live in Oslo."),
    ("My son is 7, what books would he like?", "My son is 7."),
])
def test_a_statement_before_the_question_of_a_sentence_is_asserted(said, fact):
    assert [s for s, _ in extract_statements(session(said))] == [fact]


@pytest.mark.parametrize("said", ["I think it's in Paris, can you check?",
                                  "I need a hotel in Rome, any tips?"])
def test_a_guess_or_a_need_before_a_question_is_not(said):
    assert extract_statements(session(said)) == []


@pytest.mark.parametrize(("turns", "expected"), [
    # The correction gave its value; the word after it says why, and is no second value.
    (["My son's name is Calloway.", "Actually, correction: it's Callum. Autocorrect."],
     ["My son's name is Callum."]),
    # The correction gave none: the next sentence carries it.
    (["our cat is called Mochi", "no wait thats my sisters cat lol. ours is Pickle"],
     ["Our cat is called Pickle."]),
    (["Our dog is Max.", "sorry. Rex"], ["Our dog is Rex."]),
])
def test_a_correction_carries_to_the_next_sentence_only_when_it_said_no_value(turns, expected):
    stated = [s for s, _ in extract_statements(session(turns[0], "Okay.", turns[1]))]
    assert [s for s in stated if "sister" not in s] == expected


@pytest.mark.parametrize(("said", "expected"), [
    ("my sister lives in Oslo - any tips?", ["My sister lives in Oslo."]),
    ("I run a small candle shop called Wickwell \u2014 any ideas for a winter promo?",
     ["I run a small candle shop called Wickwell."]),
    ("real question: my boss is named Hallam Peyne and he wants a status update, help?",
     ["My boss is named Hallam Peyne and he wants a status update."]),
    # A hedge with a tag question asks for an opinion; it asserts nothing.
    ("i might name my next character Orrin Blackthorne, thoughts?", []),
    ("is it normal that my cat sleeps all day, any ideas?", []),
])
def test_a_statement_with_a_short_question_tagged_on_is_still_stated(said, expected):
    assert [s for s, _ in extract_statements(session(said))] == expected
