"""Routes of class mode: a teacher's class, students joining with a code, questions, answers.

Thin: each route reads its headers and body and calls the Classroom (app/classes/service.py).
Teacher routes take `Authorization: Bearer <teacher_token>` and address the class by its id;
student routes take the student's token and address it by its code. Every response is
`Cache-Control: no-store` (nothing here is immutable, unlike a run); the teacher's view of a
question carries an ETag, so a presenter polling every second is answered 304 while nothing
changed.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

import segno
from fastapi import FastAPI, Header, Path, Request
from starlette.responses import Response

from app.api.errors import error_response
from app.api.present import encode_json
from app.api.responses import serve
from app.api.routing import Resource
from app.api.schemas import (
    AnswerIn,
    AnswerStored,
    ClassCreate,
    ClassCreated,
    ClassInfo,
    ErrorBody,
    QuestionCreate,
    QuestionOut,
    QuestionStatus,
    ResultOut,
    StudentJoin,
    StudentJoined,
    StudentQuestionOut,
    error_responses,
)
from app.api.store import encoded
from app.classes.crud import ClassError
from app.classes.service import Classroom

router = Resource(prefix="/classes", tags=["classes"])

NO_STORE = {"Cache-Control": "no-store"}

Authorization = Annotated[str | None, Header(
    max_length=500, description="`Bearer <token>`: the teacher's (teacher routes) or the "
                                "student's (student routes)")]
IdempotencyKey = Annotated[str | None, Header(
    max_length=200, alias="Idempotency-Key",
    description="any unique text per attempt: a retry with the same key stores once and gets "
                "the same answer")]
CodePath = Annotated[str, Path(max_length=16, description="the class code (6 characters, "
                                                        "like K7M3QX)")]
ClassIdPath = Annotated[str, Path(max_length=64, description="the class id (teacher's)")]
QuestionIdPath = Annotated[str, Path(max_length=64, description="a question id")]

#: what the statuses of class mode mean (the others: app/api/schemas.py error_responses)
_MEANING = {
    401: "no token: send `Authorization: Bearer <token>`",
    403: "a token, but not the teacher's of this class (teacher routes) or not a student's of "
         "this class (student routes)",
    409: "a second answer (the first is kept), a closed question, or a result before the "
         "reveal",
}
ERRORS = {**error_responses(404, 413, 422),
          **{status: {"model": ErrorBody, "description": meaning}
             for status, meaning in _MEANING.items()}}
TEACHER_ERRORS = STUDENT_ERRORS = ERRORS


def classroom(request: Request) -> Classroom:
    return request.app.state.classroom


def _json(request: Request, document, status_code: int = 200, headers=None) -> Response:
    """A no-store JSON response with an ETag (304 for a GET whose If-None-Match matches)."""
    return serve(request, encoded(encode_json(document)), immutable=False,
                 status_code=status_code, headers={**NO_STORE, **(headers or {})})


def _base(request: Request) -> str:
    return str(request.base_url)


@router.post("", status_code=201, response_model=ClassCreated,
             responses=error_responses(404, 413, 422),
             summary="Create a class on a run: its code, join URL and the teacher token (once)")
async def create_class(request: Request, body: ClassCreate) -> Response:
    created = await classroom(request).create_class(body.run_id, body.title, body.self_paced,
                                                    _base(request))
    return _json(request, created, 201)


@router.get("/{code}", response_model=ClassInfo, responses=error_responses(404),
            summary="A class's public description (title, run, self-paced)")
async def read_class(request: Request, code: CodePath) -> Response:
    return _json(request, await classroom(request).info(code, _base(request)))


@router.get("/{code}/qr.svg", response_class=Response, responses={
    200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}},
          "description": "the QR code of the class's join_url"}, **error_responses(404)},
    summary="The QR code of the join URL, for the projector")
async def read_qr(request: Request, code: CodePath) -> Response:
    info = await classroom(request).info(code, _base(request))
    buffer = io.BytesIO()
    # a file of its own (its namespace, a viewBox to scale by): an <img> draws it
    segno.make(info["join_url"], error="m").save(buffer, kind="svg", scale=8, border=2,
                                                 xmldecl=False, omitsize=True)
    svg = buffer.getvalue()
    return Response(svg, media_type="image/svg+xml", headers=NO_STORE)


@router.post("/{code}/students", status_code=201, response_model=StudentJoined,
             responses=STUDENT_ERRORS, summary="Join a class: a student token and your own run")
async def join_class(request: Request, code: CodePath, body: StudentJoin,
                     idempotency_key: IdempotencyKey = None) -> Response:
    joined = await classroom(request).join(code, body.name, idempotency_key)
    return _json(request, joined, 201)


@router.post("/{class_id}/questions", status_code=201, response_model=QuestionOut,
             responses=TEACHER_ERRORS,
             summary="Ask the room a question at a step (closes the open one)")
async def create_question(request: Request, class_id: ClassIdPath, body: QuestionCreate,
                          authorization: Authorization = None) -> Response:
    asked = await classroom(request).ask(class_id, authorization, body.model_dump())
    return _json(request, asked, 201)


@router.get("/{code}/questions", response_model=list[QuestionOut], responses=STUDENT_ERRORS,
            summary="A student's list of the class's questions, each with `answered`")
async def read_questions(request: Request, code: CodePath,
                         authorization: Authorization = None) -> Response:
    return _json(request, await classroom(request).class_questions(code, authorization))


@router.get("/{code}/questions/current", response_model=StudentQuestionOut,
            responses={204: {"description": "no question is open"}, **STUDENT_ERRORS},
            summary="The open question with your own numbers (204 when none is open)")
async def read_current_question(request: Request, code: CodePath,
                                authorization: Authorization = None) -> Response:
    current = await classroom(request).current(code, authorization)
    if current is None:
        return Response(status_code=204, headers=NO_STORE)
    return _json(request, current)


@router.get("/{class_id}/questions/{question_id}", response_model=QuestionStatus,
            responses=TEACHER_ERRORS,
            summary="The teacher's view: students, answers, histogram (ETag: poll with "
                    "If-None-Match)")
async def read_question(request: Request, class_id: ClassIdPath, question_id: QuestionIdPath,
                        authorization: Authorization = None) -> Response:
    return _json(request, await classroom(request).status(class_id, question_id, authorization))


@router.post("/{class_id}/questions/{question_id}/reveal", response_model=QuestionOut,
             responses=TEACHER_ERRORS, summary="Reveal the answers (closes the question)")
async def reveal_question(request: Request, class_id: ClassIdPath, question_id: QuestionIdPath,
                          authorization: Authorization = None) -> Response:
    return _json(request, await classroom(request).reveal(class_id, question_id, authorization))


@router.post("/{code}/questions/{question_id}/answers", status_code=201,
             response_model=AnswerStored, responses=STUDENT_ERRORS,
             summary="Answer a question once (409 for a second answer; Idempotency-Key retries)")
async def create_answer(request: Request, code: CodePath, question_id: QuestionIdPath,
                        body: AnswerIn, authorization: Authorization = None,
                        idempotency_key: IdempotencyKey = None) -> Response:
    stored = await classroom(request).answer(code, question_id, authorization, body.answer,
                                             idempotency_key)
    return _json(request, stored, 201)


@router.get("/{code}/questions/{question_id}/result", response_model=ResultOut,
            responses=STUDENT_ERRORS,
            summary="Your result after the reveal: right or not, the answer, the step explained")
async def read_result(request: Request, code: CodePath, question_id: QuestionIdPath,
                      authorization: Authorization = None) -> Response:
    return _json(request, await classroom(request).result(code, question_id, authorization))


CSV_COLUMNS = ["student", "question", "node", "kind", "answer", "expected", "correct",
               "answered_at"]


@router.get("/{class_id}/answers.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "one row per student × question"}, **TEACHER_ERRORS},
    summary="The gradebook: one row per student and question")
async def read_gradebook(request: Request, class_id: ClassIdPath,
                         authorization: Authorization = None) -> Response:
    rows = await classroom(request).gradebook(class_id, authorization)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        # a cell a spreadsheet would run as a formula is written as text
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") and
                         not _is_number(c) else c for c in row])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={**NO_STORE, "Content-Disposition":
                             'attachment; filename="answers.csv"'})


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


async def _class_error(request: Request, error: ClassError) -> Response:
    return error_response(error.status, error.kind, error.message,
                          headers={**NO_STORE, **(error.headers or {})})


def install(app: FastAPI, classroom_: Classroom) -> None:
    """Class mode in `app`: its state and its errors (the router is included with the API's)."""
    app.state.classroom = classroom_
    app.add_exception_handler(ClassError, _class_error)
