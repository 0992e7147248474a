"""Sentence and passage types: only the user's own assertions may become insights. Each type has
examples that are it and look-alikes that are not (lowercase and typos on purpose)."""

from __future__ import annotations

import pytest

from dream.sentence_types import (
    ASSERTION,
    EXERCISE,
    FEEDBACK,
    HYPOTHETICAL,
    QUESTION,
    QUOTED,
    REPORTED,
    REQUEST,
    ROLE_PLAY,
    SARCASM,
    passages,
    sentence_type,
    user_sentences,
)

CASES = {
    QUESTION: ["How tall is the Eiffel tower", "wondering if the pool opens on sundays",
               "do you know a good dentist near grunerlokka", "Is it ok to freeze rice?",
               "just curious whether cats can eat cheese", "I was wondering what time it closes",
               "my flight is at 6, will I make it?", "whats the best way to store basil",
               "hows the weather in lima in june"],
    REQUEST: ["Write me a limerick about otters.", "pls translate this into german",
              "recommend me a thriller", "explain quantum tunneling simply",
              "I need help with a cover letter", "something shorter", "even simpler please",
              "maybe something like Captain Ironwood", "a version where the knight loses",
              "add more emojis"],
    HYPOTHETICAL: ["If I had a horse I'd call it Thunder.",
                   "if i won the lottery i would buy a boat",
                   "I'd move to Lisbon if my job allowed it.", "Suppose my rent was 2000 a month.",
                   "imagine I lived on Mars", "What if my brother were taller than me",
                   "I wish I had a sister.", "Would you still help me if I were a cat",
                   "hypothetically my salary is 90k",
                   "If we ever get a parrot it will be named Kiwi."],
    ROLE_PLAY: ["You are a grumpy medieval innkeeper.", "you're a pirate captain named Redbeard",
                "Let's pretend we're astronauts on the moon.", "play the role of my landlord",
                "Act as the interviewer for a junior developer job.", "Stay in character please.",
                "In this story the king has three daughters.", "lets do a mock interview",
                "You'll be the examiner and I'll answer.",
                "role play: you're a barista and i'm ordering", "be my strict piano teacher",
                "can we play twenty questions"],
    EXERCISE: ["Solve 3x + 5 = 20.", "Exercise 4: a rectangle is 8 cm wide.",
               "A train leaves Leeds at 9am going 90 km/h.", "quiz me on french verbs",
               "homework question: what is the derivative of x^2", "Find the area of the triangle.",
               "riddle: what has keys but no locks", "True or false: whales are fish.",
               "riddle #3: what gets wetter as it dries",
               "chess puzzle: white to move and mate in two"],
    QUOTED: ['"We regret to inform you that your order is delayed."',
             'My neighbour wrote "the fence is on my land" on a note.',
             "'Meet me at noon.'", 'she texted: "running late, start without me"'],
    SARCASM: ["Oh I just love doing taxes /s", "yeah right, like I'm the pope",
              "Sure, because I have a private jet.", "I'm a famous astronaut lol jk",
              "Mondays are my favourite day... NOT!", "I'm totally a morning person, just kidding",
              "My commute is amazing 🙄", "love waiting 40 minutes for a bus (not)",
              "my boss is super organised, yeah sure.", "oh totally, best meeting of my life",
              "queueing at the post office is my passion (sarcasm, obviously)"],
    REPORTED: ["my flatmate said that the landlord is selling the building",
               "according to my dentist, flossing twice a day is overkill",
               "my grandad swears he met the queen in 1962", "I was told the office reopens in may",
               "a guy at the gym told me creatine causes hair loss",
               "My son thinks dinosaurs still exist.", "Everyone keeps saying rents will halve."],
    FEEDBACK: ["thank you, that did the trick", "that was really helpful",
               "perfect, your fix works now", "thx it worked like a charm"],
}
ASSERTIONS = ["I live in Tromso with my two cats.", "my brother is called Ole and he's 41",
              "I play the role of Hamlet in our school play.", "I have homework due Friday.",
              "My interviewer at the bank was kind.", "You're a lifesaver!",
              "I'll be a dad in May.", 'My favourite book is "The Hobbit".',
              "If it helps, my daughter is 9.", "A friend of mine has 3 kids.",
              "I'm not sure I like Mondays.", "No dogs are allowed in my building.",
              "My insurance claims were rejected twice.", "I think my landlord lives in Spain.",
              "My mom says hi.", "My boss said yes to my holiday.", "Correct, I live in Oslo.",
              "The meeting got pushed again 🙄", "More than 3 people live in my flat.",
              "I bought a new bike, it works great.", "It was raining all week in Bergen."]


@pytest.mark.parametrize(("kind", "sentence"),
                         [(kind, s) for kind, sentences in CASES.items() for s in sentences])
def test_each_type_is_recognised(kind, sentence):
    assert sentence_type(sentence) == kind


@pytest.mark.parametrize("sentence", ASSERTIONS)
def test_look_alikes_stay_assertions(sentence):
    assert sentence_type(sentence) == ASSERTION


def test_a_pasted_email_is_not_the_users_until_they_turn_back():
    message = ("My landlord sent me this email:\n\nDear tenant,\nRent will rise to 1450 in June. "
               "The boiler gets replaced in July.\nKind regards,\nPeter Moss\n\n"
               "How should I answer? I've rented the flat since 2018.")
    assert user_sentences(message) == ["How should I answer?", "I've rented the flat since 2018."]
    assert {kind for sentence, kind in passages(message)[:6]} == {QUOTED}


def test_a_letter_without_an_intro_ends_at_its_sign_off():
    message = "Hi Marta,\nthe meeting moved to friday at 10.\nBest,\nJonas\nmy name is Lena btw"
    assert user_sentences(message) == ["my name is Lena btw"]


def test_pasted_material_runs_to_the_end_of_the_message():
    message = ("I drive a Volvo. Here is the article: Electric cars now make up 80% of sales. "
               "Prices fell by 12% last year.")
    assert user_sentences(message) == ["I drive a Volvo."]


def test_reported_words_stay_quoted_but_the_user_speaks_again_after():
    message = ('My boss wrote: "everyone gets a 5% raise in March." Is that normal? '
               "I have worked there for six years.")
    assert user_sentences(message) == ["Is that normal?", "I have worked there for six years."]
    assert user_sentences("My mom always says: eat your greens. I'm 12.") == ["I'm 12."]
    assert user_sentences("> the parcel arrives tuesday\nI ordered it for my son.") == [
        "I ordered it for my son."]


def test_a_role_play_set_up_covers_its_paragraph_until_the_user_steps_out():
    message = ("I teach maths. You are a pirate captain. Your ship has 40 cannons and a parrot "
               "called Polly. Anyway, I live in Hull.\n\nmy son is 8")
    assert user_sentences(message) == ["I teach maths.", "Anyway, I live in Hull.", "my son is 8"]


def test_a_homework_passage_and_a_word_problem_are_exercises():
    message = ("here's my homework: a tank holds 200 litres. It drains 5 litres a minute. "
               "When is it empty?\n\nI'm in year 8")
    assert user_sentences(message) == ["I'm in year 8"]
    problem = "Sally has 12 pears and gives 5 to Tom. How many pears does Sally have left?"
    assert [kind for _, kind in passages(problem)] == [EXERCISE, QUESTION]
    # One number and a question about it: the user's own fact, not a word problem.
    assert user_sentences("Zentrix makes 300 drones a year. How many is that a month?")[0] == \
        "Zentrix makes 300 drones a year."


def test_a_tag_takes_back_the_sentence_before_it():
    assert passages("I adore traffic jams. lol jk. My car is red.") == [
        ("I adore traffic jams.", SARCASM), ("lol jk.", SARCASM), ("My car is red.", ASSERTION)]
    assert user_sentences("I love being ill /s My cough started Monday.") == [
        "My cough started Monday."]


def test_ordinary_messages_keep_every_sentence():
    message = "I'm Dana.\nI live in Perth and work at a bakery. My dog is Rex!"
    assert user_sentences(message) == ["I'm Dana.", "I live in Perth and work at a bakery.",
                                       "My dog is Rex!"]
    assert [kind for _, kind in passages("Where is Perth? Tell me.")] == [QUESTION, REQUEST]
    assert passages("") == []


def test_greeting_the_assistant_by_name_is_not_a_letter():
    assert user_sentences("Hi Lucid, I'm Dana and I bake bread.\nThanks!") == [
        "Hi Lucid, I'm Dana and I bake bread.", "Thanks!"]


def test_material_after_a_label_or_a_task_on_text_is_not_the_users():
    assert user_sentences("text from my landlord: the boiler is fixed. I pay 900 a month.") == []
    assert user_sentences("proofread this: their going to the park tomorow") == []
    assert user_sentences("I'm a nurse. rephrase: The ward closes at nine.") == ["I'm a nurse."]


def test_an_eye_roll_or_a_not_after_a_glowing_claim_takes_it_back():
    assert user_sentences("Best weekend ever. \U0001F644 My car broke down.") == [
        "\U0001F644 My car broke down."]
    assert user_sentences("i adore filling in forms. not. my accountant is Priya") == [
        "my accountant is Priya"]
    # An eye-roll after a complaint keeps the complaint: it is what the user means.
    assert user_sentences("My landlord raised the rent again. \U0001F644")[0] == \
        "My landlord raised the rent again."


@pytest.mark.parametrize("said", [
    "that answer was too long and kinda wrong about the mortgage thing",
    "your last reply was wrong",
    "the email you wrote sounds way too formal",
    "this code doesnt compile on my laptop",
    "your poem is lovely but too short",
])
def test_a_remark_on_the_assistants_output_asserts_nothing_about_the_user(said):
    assert sentence_type(said) == FEEDBACK


@pytest.mark.parametrize("said", ["The code for our gate is 4410.", "this code is for the gym",
                                  "My answer was B."])
def test_a_code_or_answer_of_the_users_own_is_still_asserted(said):
    assert sentence_type(said) == ASSERTION
