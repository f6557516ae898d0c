"""Helpers of the class-mode tests: a class on a run, students joining, answering."""

from __future__ import annotations

from fastapi.testclient import TestClient

API = "/api/v1"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def new_run(client: TestClient, **body) -> dict:
    response = client.post(f"{API}/runs", json=body or {"preset": "logistic-regression",
                                                         "iterations": 3})
    assert response.status_code == 201, response.text
    return response.json()


def new_class(client: TestClient, run_id: str, **extra) -> dict:
    response = client.post(f"{API}/classes", json={"run_id": run_id, "title": "Lecture", **extra})
    assert response.status_code == 201, response.text
    return response.json()


def join(client: TestClient, code: str, name: str = "", key: str | None = None) -> dict:
    headers = {"Idempotency-Key": key} if key else {}
    response = client.post(f"{API}/classes/{code}/students", json={"name": name},
                           headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def ask(client: TestClient, room: dict, **question) -> dict:
    response = client.post(f"{API}/classes/{room['class_id']}/questions",
                           headers=bearer(room["teacher_token"]), json=question)
    assert response.status_code == 201, response.text
    return response.json()


def answer(client: TestClient, room: dict, student: dict, question_id: str, value,
           key: str | None = None):
    headers = bearer(student["student_token"])
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"{API}/classes/{room['code']}/questions/{question_id}/answers",
                       headers=headers, json={"answer": value})


def reveal(client: TestClient, room: dict, question_id: str) -> dict:
    response = client.post(f"{API}/classes/{room['class_id']}/questions/{question_id}/reveal",
                           headers=bearer(room["teacher_token"]))
    assert response.status_code == 200, response.text
    return response.json()


def result(client: TestClient, room: dict, student: dict, question_id: str):
    return client.get(f"{API}/classes/{room['code']}/questions/{question_id}/result",
                      headers=bearer(student["student_token"]))


def status(client: TestClient, room: dict, question_id: str, **headers):
    return client.get(f"{API}/classes/{room['class_id']}/questions/{question_id}",
                      headers={**bearer(room["teacher_token"]), **headers})
