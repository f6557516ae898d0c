"""The class-mode API on both databases: who may do what, one answer per student and question,
Idempotency-Key retries, closed questions, the gradebook, self-paced homework, restarts,
limits, headers and the schema against the migrations."""

from __future__ import annotations

import asyncio
import csv
import io
import re

import httpx
import pytest

from app.classes.models import CODE_ALPHABET
from tests.api.apihelpers import run_coroutine

from .helpers import API, answer, ask, bearer, join, new_class, new_run, result, reveal, status

QUESTION = {"iteration": 0, "step": 3, "node": "tmp1", "kind": "value", "index": [0, 0]}
#: logistic regression's backward has reached tmp1 by its last step (an update)
SIGN = {**QUESTION, "kind": "sign", "step": 26}


@pytest.fixture
def room(client) -> dict:
    return new_class(client, new_run(client)["run_id"])


def test_a_class_has_a_code_to_read_aloud_a_join_url_and_a_hashed_teacher_token(client, room):
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{6}}", room["code"])
    assert not set(room["code"]) & set("0O1I")
    assert room["join_url"].endswith(f"/join?code={room['code']}")
    info = client.get(f"{API}/classes/{room['code']}")
    assert info.status_code == 200 and info.headers["cache-control"] == "no-store"
    assert "teacher_token" not in info.json() and info.json()["title"] == "Lecture"
    stored = client.app.state.classroom.db
    with stored.reading() as session:
        from app.classes.models import Class
        found = session.get(Class, room["class_id"])
        assert room["teacher_token"] not in found.teacher_token_hash
        assert len(found.teacher_token_hash) == 64
    qr = client.get(f"{API}/classes/{room['code']}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.startswith("<svg") and qr.headers["cache-control"] == "no-store"
    # an image file of its own: without its namespace a browser's <img> draws nothing
    assert 'xmlns="http://www.w3.org/2000/svg"' in qr.text and "viewBox" in qr.text


def test_teacher_routes_need_the_teacher_token(client, room):
    student = join(client, room["code"])
    url = f"{API}/classes/{room['class_id']}/questions"
    assert client.post(url, json=QUESTION).status_code == 401
    assert client.post(url, json=QUESTION, headers=bearer("nope")).status_code == 403
    assert client.post(url, json=QUESTION,
                       headers=bearer(student["student_token"])).status_code == 403
    other = new_class(client, room["run_id"])
    assert client.post(url, json=QUESTION,
                       headers=bearer(other["teacher_token"])).status_code == 403
    asked = ask(client, room, **QUESTION)
    for path in (f"questions/{asked['question_id']}", "answers.csv"):
        response = client.get(f"{API}/classes/{room['class_id']}/{path}")
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["kind"] == "unauthorized"
    assert client.post(f"{API}/classes/{room['class_id']}/questions/{asked['question_id']}"
                       f"/reveal", headers=bearer("x")).status_code == 403
    assert client.post(f"{API}/classes/nosuchclass/questions", json=QUESTION,
                       headers=bearer(room["teacher_token"])).status_code == 404


def test_student_routes_need_a_student_of_this_class(client, room):
    asked = ask(client, room, **QUESTION)
    other_room = new_class(client, room["run_id"])
    stranger = join(client, other_room["code"])
    current = f"{API}/classes/{room['code']}/questions/current"
    assert client.get(current).status_code == 401
    assert client.get(current, headers=bearer(stranger["student_token"])).status_code == 403
    assert client.get(current, headers=bearer(room["teacher_token"])).status_code == 403
    assert answer(client, room, stranger, asked["question_id"], 1.0).status_code == 403
    assert client.get(f"{API}/classes/ZZZZZZ/questions/current",
                      headers=bearer(stranger["student_token"])).status_code == 404
    assert client.post(f"{API}/classes/ZZZZZZ/students", json={}).status_code == 404
    assert client.get(f"{API}/classes/ZZZZZZ").json()["error"]["kind"] == "not_found"


def test_one_answer_per_student_and_question_and_retries_store_once(client, room):
    student = join(client, room["code"])
    asked = ask(client, room, **QUESTION)
    first = answer(client, room, student, asked["question_id"], 0.5, key="attempt-1")
    assert first.status_code == 201
    retry = answer(client, room, student, asked["question_id"], 0.5, key="attempt-1")
    assert retry.status_code == 201 and retry.json() == first.json()
    second = answer(client, room, student, asked["question_id"], 0.7, key="attempt-2")
    assert second.status_code == 409 and second.json()["error"]["kind"] == "conflict"
    assert answer(client, room, student, asked["question_id"], 0.7).status_code == 409
    seen = status(client, room, asked["question_id"]).json()
    assert seen["answers"] == 1 and seen["correct"] is None  # not before the reveal
    reveal(client, room, asked["question_id"])
    assert result(client, room, student, asked["question_id"]).json()["yours"] == 0.5


def test_concurrent_retries_store_once(client, room):
    student = join(client, room["code"])
    asked = ask(client, room, **QUESTION)
    url = f"{API}/classes/{room['code']}/questions/{asked['question_id']}/answers"
    headers = {**bearer(student["student_token"]), "Idempotency-Key": "same"}

    async def race():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            sent = [http.post(url, json={"answer": 0.25}, headers=headers) for _ in range(6)]
            return await asyncio.gather(*sent)

    responses = run_coroutine(race())
    assert [r.status_code for r in responses] == [201] * 6
    assert len({r.json()["answered_at"] for r in responses}) == 1
    assert status(client, room, asked["question_id"]).json()["answers"] == 1


def test_opening_a_question_closes_the_one_before(client, room):
    student = join(client, room["code"])
    first = ask(client, room, **QUESTION)
    second = ask(client, room, **SIGN)
    late = answer(client, room, student, first["question_id"], 1.0)
    assert late.status_code == 409 and late.json()["error"]["kind"] == "closed"
    current = client.get(f"{API}/classes/{room['code']}/questions/current",
                         headers=bearer(student["student_token"]))
    assert current.json()["question_id"] == second["question_id"]
    assert current.json()["choices"] == ["−", "0", "+"]
    assert current.headers["cache-control"] == "no-store"
    assert result(client, room, student, second["question_id"]).status_code == 409
    reveal(client, room, second["question_id"])
    assert client.get(f"{API}/classes/{room['code']}/questions/current",
                      headers=bearer(student["student_token"])).status_code == 204


def test_bad_answers_and_questions_are_refused_clearly(client, room):
    student = join(client, room["code"])
    asked = ask(client, room, **QUESTION)
    for bad in ("lots", True, {"a": 1}, [1, 2], None):
        response = answer(client, room, student, asked["question_id"], bad)
        assert response.status_code == 422, (bad, response.text)
    too_long = answer(client, room, student, asked["question_id"], "1" * 3000)
    assert too_long.status_code == 413 and too_long.json()["error"]["limit"] == \
        "max_answer_chars"
    assert answer(client, room, student, asked["question_id"], "−0.5").status_code == 201
    url = f"{API}/classes/{room['class_id']}/questions"
    for bad, field in (({**QUESTION, "node": "nope"}, "node"),
                       ({**QUESTION, "index": [99, 0]}, "index"),
                       ({**QUESTION, "step": 9999}, "step"),
                       ({**QUESTION, "kind": "gradient", "step": 1}, "step"),
                       ({**QUESTION, "kind": "larger", "node": "p"}, "node")):
        response = client.post(url, json=bad, headers=bearer(room["teacher_token"]))
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["field"] == field, response.text
    huge = client.post(url, json={**QUESTION, "iteration": 99},
                       headers=bearer(room["teacher_token"]))
    assert huge.status_code in (404, 422)


def test_students_per_class_are_bounded(make_client):
    client = make_client(max_students_per_class=2)
    room = new_class(client, new_run(client)["run_id"])
    join(client, room["code"]), join(client, room["code"])
    full = client.post(f"{API}/classes/{room['code']}/students", json={})
    assert full.status_code == 413
    assert full.json()["error"]["limit"] == "max_students_per_class"
    assert "full" in full.json()["error"]["message"]


def test_the_teacher_view_has_an_etag_for_cheap_polling(client, room):
    student = join(client, room["code"])
    asked = ask(client, room, **QUESTION)
    first = status(client, room, asked["question_id"])
    assert first.headers["cache-control"] == "no-store" and first.headers["etag"]
    same = status(client, room, asked["question_id"], **{"If-None-Match": first.headers["etag"]})
    assert same.status_code == 304
    answer(client, room, student, asked["question_id"], 1.0)
    changed = status(client, room, asked["question_id"],
                     **{"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["answers"] == 1
    assert changed.json()["students"] == 1


def test_the_gradebook_has_a_row_per_student_and_question(client, room):
    ada, bob = join(client, room["code"], "Ada"), join(client, room["code"], "=cmd()")
    first = ask(client, room, **QUESTION)
    answer(client, room, ada, first["question_id"], 0.5)
    second = ask(client, room, **SIGN)
    answer(client, room, bob, second["question_id"], "+")
    response = client.get(f"{API}/classes/{room['class_id']}/answers.csv",
                          headers=bearer(room["teacher_token"]))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["student", "question", "node", "kind", "answer", "expected", "correct",
                       "answered_at"]
    assert len(rows) == 5
    assert [r[:2] for r in rows[1:]] == [["Ada", "1"], ["Ada", "2"], ["'=cmd()", "1"],
                                        ["'=cmd()", "2"]]
    assert rows[1][4] == "0.5" and rows[1][6] in ("true", "false") and rows[2][4] == ""
    assert rows[4][4] == "'+" and rows[4][5] in ("'+", "−", "0")


def test_a_self_paced_class_keeps_every_question_open_and_reveals_on_answering(client):
    room = new_class(client, new_run(client)["run_id"], self_paced=True)
    student = join(client, room["code"])
    first = ask(client, room, **QUESTION)
    second = ask(client, room, **SIGN)
    listed = client.get(f"{API}/classes/{room['code']}/questions",
                        headers=bearer(student["student_token"])).json()
    assert [q["open"] for q in listed] == [True, True]
    current = client.get(f"{API}/classes/{room['code']}/questions/current",
                         headers=bearer(student["student_token"])).json()
    assert current["question_id"] == first["question_id"]
    assert result(client, room, student, second["question_id"]).status_code == 409
    assert answer(client, room, student, second["question_id"], "+").status_code == 201
    mine = result(client, room, student, second["question_id"])
    assert mine.status_code == 200 and mine.json()["correct"] in (True, False)
    assert answer(client, room, student, first["question_id"], 0.1).status_code == 201
    assert client.get(f"{API}/classes/{room['code']}/questions/current",
                      headers=bearer(student["student_token"])).status_code == 204


def test_a_restart_loses_nothing(make_client):
    before = make_client()
    room = new_class(before, new_run(before)["run_id"])
    student = join(before, room["code"], "Ada")
    asked = ask(before, room, **QUESTION)
    assert answer(before, room, student, asked["question_id"], 0.5, key="k").status_code == 201
    before.app.state.classroom.db.dispose()
    after = make_client()  # a new process on the same database
    assert answer(after, room, student, asked["question_id"], 0.5, key="k").status_code == 201
    seen = status(after, room, asked["question_id"]).json()
    assert (seen["students"], seen["answers"]) == (1, 1)
    reveal(after, room, asked["question_id"])
    assert result(after, room, student, asked["question_id"]).json()["yours"] == 0.5


def test_expired_classes_are_gone(make_client):
    client = make_client()
    room = new_class(client, new_run(client)["run_id"])
    join(client, room["code"])
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from app.classes.models import Class, Student
    db = client.app.state.classroom.db
    with db.writing() as session:
        session.execute(update(Class).values(expires_at=datetime.now(UTC) - timedelta(days=1)))
    assert client.get(f"{API}/classes/{room['code']}").status_code == 404
    new_class(client, room["run_id"])  # creating a class purges the expired ones
    with db.reading() as session:
        assert session.query(Class).count() == 1 and session.query(Student).count() == 0


def test_the_migrations_make_exactly_the_models(client, room):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.classes.models import Base
    with client.app.state.classroom.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
