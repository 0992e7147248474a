"""Rebuilding a session's conversation from its turns (pure)."""

from store.transcripts import transcript


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
