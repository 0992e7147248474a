"""Session threading digests (pure)."""

from serve.api.schemas import Message
from serve.chat.conversations import prefix_digests, turn_digest


def _m(role: str, content: str) -> Message:
    return Message(role=role, content=content)


def test_a_continuation_carries_the_earlier_turns_digest():
    asked = [_m("system", "be brief"), _m("user", "hi")]
    digest = turn_digest("u1", asked, "Hello!")
    follow = [*asked, _m("assistant", "Hello!"), _m("user", "how are you?")]
    assert prefix_digests("u1", follow) == [digest]


def test_whitespace_around_a_resent_answer_does_not_break_the_thread():
    asked = [_m("user", "hi")]
    follow = [*asked, _m("assistant", "  Hello!\n"), _m("user", "next")]
    assert prefix_digests(None, follow) == [turn_digest(None, asked, "Hello!")]


def test_user_roles_and_boundaries_change_the_digest():
    asked = [_m("user", "hi")]
    base = turn_digest("u1", asked, "yo")
    assert turn_digest("u2", asked, "yo") != base
    assert turn_digest("u1", [_m("system", "hi")], "yo") != base
    assert turn_digest("u1", [_m("user", "hiy")], "o") != base


def test_digests_for_every_assistant_prefix_shortest_first():
    conv = [_m("user", "a"), _m("assistant", "b"), _m("user", "c"), _m("assistant", "d"),
            _m("user", "e")]
    digests = prefix_digests(None, conv)
    assert digests == [turn_digest(None, conv[:1], "b"), turn_digest(None, conv[:3], "d")]
    assert prefix_digests(None, [_m("user", "only")]) == []
