"""Rewordings: the common other ways of asking a derived question, same answer and checker."""

from dream.questions import derive
from dream.rewordings import learning_topic, place_kind


def asked(statement: str) -> dict[str, dict]:
    return {d.question: d.checker for d in derive([statement])}


def reworded(statement: str) -> dict[str, str]:
    return {d.question: d.extra["reworded_from"] for d in derive([statement])
            if "reworded_from" in d.extra}


def test_names_are_asked_every_common_way_with_the_same_checker():
    got = asked("My dog is called Pemberton.")
    for question in ("What did I name my dog?", "What do I call my dog?", "What's my dog called?",
                     "What is my dog's name?", "What is the name of my dog?"):
        assert got[question] == {"type": "contains_any", "values": ["Pemberton"]}, question
    assert "What did we name our project?" in asked("Our project is code-named Bluefinch.")


def test_favourites_places_and_birthplaces():
    assert {"Which board game do I like best?", "What board game do I like the most?",
            "What is my favorite board game?"} <= set(asked("My favourite board game is Quortle."))
    assert {"Which village did my grandmother grow up in?", "Where is my grandmother from?"} <= \
        set(asked("My grandmother grew up in Tallowmere, a village in the hills."))
    assert {"Which town do I live in?", "Where do I live?"} <= \
        set(asked("I live in Grindlewick, a small town by the sea."))
    born = asked("I was born in the town of Osterlay.")
    assert {"Where am I from?", "What is my hometown?", "Which town was I born in?"} <= set(born)
    assert all(c == {"type": "contains_any", "values": ["Osterlay"]} for c in born.values())


def test_a_job_at_a_place_gives_the_workplace_too():
    got = asked("I work as a beekeeper at Hollowmere Farm.")
    assert got["What is my job?"] == {"type": "contains_any", "values": ["beekeeper"]}
    assert got["Where do I work?"] == {"type": "contains_any", "values": ["Hollowmere Farm"]}
    assert got["What is my occupation?"] == got["What is my job?"]


def test_people_by_relation_are_asked_by_name():
    assert "What is my best friend's name?" in asked("My best friend is Tobiah Quill.")


def test_rewordings_name_their_source_and_never_repeat_it():
    got = reworded("My cat is named Biscotti.")
    assert got and set(got.values()) <= {"What is my cat's name?", "What is the name of my cat?"}
    assert not set(got) & set(got.values())


def test_no_kind_of_place_no_kind_question():
    assert place_kind("I live in Oslo") is None
    assert not any(q.startswith("Which") for q in asked("I live in Oslo."))
    assert place_kind("Tallowmere, a village in the hills") == "village"


def test_nothing_derived_nothing_reworded():
    assert asked("The weather was nice.") == {}


def test_everyday_words_for_the_same_person_or_thing():
    got = asked("My grandmother grew up in Tallowmere, a village in the hills.")
    assert {"Where is my grandma from?", "Where did my granny grow up?"} <= set(got)
    assert got["Where is my grandma from?"] == got["Where did my grandmother grow up?"]
    assert "What is my mother's name?" in asked("My mum is called Ada.")
    assert "What is my mum's name?" in asked("My mother is called Ada.")
    # A person is not "named" by the user, and nothing unrelated gets a synonym.
    assert "What did I name my mum?" not in asked("My mum is called Ada.")
    assert "What did I name my daughter?" in asked("My daughter is called Ines.")  # but a child
    assert not any("mother" in q for q in asked("My dog is called Pemberton."))


def test_a_make_someone_drives_is_their_car_and_a_name_they_call_it_a_nickname():
    got = asked("I drive a green Volvo that I call Old Fennick.")
    for question in ("What do I call my car?", "What is my car's name?",
                     "What nickname did I give my Volvo?", "What is my Volvo's nickname?"):
        assert got[question] == {"type": "contains_any", "values": ["Old Fennick"]}, question
    assert not any("car" in q.split() for q in asked("I own a green Volvo that I call Fen."))
    assert not any("nickname" in q for q in asked("My dog's name is Pemberton."))


def test_people_in_a_role_are_asked_by_what_they_do_and_what_they_teach():
    got = {d.question: d.checker for d in derive(["I'm learning to play the zither.",
                                                   "My teacher is Mrs. Okonkwo-Baird."])}
    for question in ("Who teaches me?", "Who teaches me the zither?", "Who is my zither teacher?",
                     "What is my zither teacher's name?"):
        assert got[question] == got["Who is my teacher?"], question
    tutor = {d.question for d in derive(["I am studying Portuguese.", "My tutor is Ana Lima."])}
    assert {"Who tutors me?", "Who teaches me Portuguese?", "Who is my Portuguese tutor?"} <= tutor
    assert not any("teaches" in q for q in asked("My teacher is Mrs. Okonkwo-Baird.")
                   if q != "Who teaches me?")
    assert learning_topic(["I like tea.", "I'm learning to play the zither."]) == "the zither"
    assert learning_topic(["I am learning that the world is a very strange and big place."]) \
        is None
