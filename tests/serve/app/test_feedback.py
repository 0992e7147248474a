"""`POST /v1/feedback` with a fake engine and the real PostgreSQL: a rating on a completion by
the `id` the client got (plain or streamed), shown with its turn; bad input is a 400 and unknown
or another tenant's completions a 404, changing nothing; erasure takes feedback with its session.
The real-engine sibling is in tests/serve/test_chat.py."""

from __future__ import annotations

import orjson

from tests.serve.test_tenants import Tenant, assert_404

USER = [{"role": "user", "content": "What is the capital of Veloria?"}]


def _count(db) -> int:
    return db.execute("SELECT count(*) AS n FROM feedback").fetchone()["n"]


def _streamed_id(http) -> tuple[str, str]:
    with http.stream("POST", "/v1/chat/completions",
                     json={"model": "lucid", "messages": USER, "stream": True}) as response:
        events = [line for line in response.iter_lines() if line.startswith("data: {")]
        return orjson.loads(events[0][6:])["id"], response.headers["x-session-id"]


def test_feedback_on_a_completion_is_stored_with_its_turn(http, db):
    answer = http.post("/v1/chat/completions", json={"model": "lucid", "messages": USER})
    completion, session = answer.json()["id"], answer.headers["x-session-id"]
    given = http.post("/v1/feedback", json={"id": completion, "rating": -1,
                                            "text": "  It is Marenport, not Paris. "})
    assert given.status_code == 200, given.text
    body = given.json()
    assert body["object"] == "feedback" and body["id"].startswith("fb_")
    assert (body["completion_id"], body["rating"], body["text"], body["session_id"],
            body["turn"]) == (completion, -1, "It is Marenport, not Paris.", session, 1)
    streamed, streamed_session = _streamed_id(http)
    assert http.post("/v1/feedback", json={"id": streamed, "rating": 1}).json()["text"] is None
    [turn] = http.get(f"/admin/sessions/{session}").json()["turns"]
    assert turn["completion_id"] == completion
    assert [(f["rating"], f["text"]) for f in turn["feedback"]] == [
        (-1, "It is Marenport, not Paris.")]
    [turn] = http.get(f"/admin/sessions/{streamed_session}").json()["turns"]
    assert [(f["rating"], f["text"]) for f in turn["feedback"]] == [(1, None)]


def test_bad_feedback_is_a_400_naming_the_field_and_stores_nothing(http, db):
    completion = http.post("/v1/chat/completions",
                           json={"model": "lucid", "messages": USER}).json()["id"]
    before = _count(db)
    for body, param in (({"id": completion, "rating": 0}, "rating"),
                        ({"id": completion, "rating": "bad"}, "rating"),
                        ({"id": completion}, "rating"),
                        ({"rating": 1}, "id"),
                        ({"id": completion, "rating": 1, "text": "x" * 4001}, "text"),
                        ({"id": completion, "rating": 1, "stars": 5}, "stars")):
        response = http.post("/v1/feedback", json=body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error" and param in (error["param"] or ""), body
    assert _count(db) == before


def test_unknown_or_another_tenants_completion_is_a_404_on_id(http, db):
    a, b = Tenant(http), Tenant(http)
    theirs = a.chat("My locker code is 4411.").json()["id"]
    before = _count(db)
    for response in (b.post("/v1/feedback", json={"id": theirs, "rating": -1}),
                     http.post("/v1/feedback", json={"id": "chatcmpl-nope", "rating": 1})):
        assert_404(response)
        assert response.json()["error"]["param"] == "id"
    assert _count(db) == before
    assert a.post("/v1/feedback", json={"id": theirs, "rating": -1}).status_code == 200


def test_erasing_a_session_erases_its_feedback(http, db):
    answer = http.post("/v1/chat/completions", json={"model": "lucid", "messages": USER})
    http.post("/v1/feedback", json={"id": answer.json()["id"], "rating": -1, "text": "wrong"})
    before = _count(db)
    erased = http.delete(f"/admin/sessions/{answer.headers['x-session-id']}")
    assert erased.status_code == 200, erased.text
    assert _count(db) == before - 1
    assert_404(http.post("/v1/feedback", json={"id": answer.json()["id"], "rating": 1}))
