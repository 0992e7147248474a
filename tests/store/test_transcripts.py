"""Rebuilding a session's conversation from its turns (pure)."""

from store.transcripts import excerpt, transcript, with_feedback


def _turn(seq, messages, response):
    return {"seq": seq, "messages": messages, "response": response}


def test_continuing_turns_add_only_new_messages():
    first = [{"role": "user", "content": "hi"}]
    second = [*first, {"role": "assistant", "content": "hello "}, {"role": "user", "content": "?"}]
    out = transcript([_turn(1, first, "hello"), _turn(2, second, "!")])
    assert [(m["role"], m["content"]) for m in out] == [
        ("user", "hi"), ("assistant", "hello"), ("user", "?"), ("assistant", "!")]


def test_turns_that_send_only_the_latest_message_are_appended_whole():
    out = transcript([_turn(1, [{"role": "user", "content": "a"}], "b"),
                      _turn(2, [{"role": "user", "content": "c"}], "d")])
    assert [m["content"] for m in out] == ["a", "b", "c", "d"]


def _turns() -> list[dict]:
    ask = {"role": "user", "content": "What is the capital of Veloria?"}
    again = {"role": "user", "content": "And its river?"}
    return [{"seq": 1, "messages": [ask], "response": "Paris."},
            {"seq": 2, "messages": [ask, {"role": "assistant", "content": "Paris."}, again],
             "response": "The Seine."}]


def test_a_down_rated_answer_gives_way_to_what_the_user_said_of_it():
    rated = with_feedback(transcript(_turns()), [{"seq": 1, "text": "It is Marenport."}])
    assert [(m["role"], m["content"]) for m in rated] == [
        ("user", "What is the capital of Veloria?"), ("user", "It is Marenport."),
        ("user", "And its river?"), ("assistant", "The Seine.")]
    assert rated[1]["feedback"] is True
    silent = with_feedback(transcript(_turns()), [{"seq": 2, "text": None}])
    assert "The Seine." not in [m["content"] for m in silent]  # never read, nor replayed
    assert with_feedback(transcript(_turns()), []) == transcript(_turns())


def test_an_excerpt_is_the_rated_turn_and_the_feedback_only():
    [first, _] = _turns()
    assert excerpt({**first, "text": "Marenport"}) == [
        {"role": "user", "content": "What is the capital of Veloria?"},
        {"role": "user", "content": "Marenport", "feedback": True}]
