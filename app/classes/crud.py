"""Every query of class mode: functions over a Session, apart from the routes. No engine, no HTTP.

Each function is one short transaction's worth of work (the routes open the session: reads
with `Database.reading`, writes with `Database.writing`), so two workers sharing one SQLite
file wait for each other only for milliseconds. Failures are ClassError (401/403/404/409) or
the engine's LimitError (413), with a message a person can act on.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.classes.models import CODE_ALPHABET, CODE_LENGTH, Answer, Class, Question, Student
from app.engine.core.errors import LimitError, NotFoundError


class ClassError(Exception):
    """A refusal of class mode: status, kind and a message (the JSON error body's)."""

    def __init__(self, status: int, kind: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.kind, self.message, self.headers = status, kind, message, headers


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: every time here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def new_id() -> str:
    return uuid.uuid4().hex


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# ----- classes -----

def purge_expired(session: Session) -> int:
    """Delete every class past its retention (students, questions, answers go with it)."""
    expired = select(Class.id).where(Class.expires_at < now())
    ids = list(session.scalars(expired))
    if not ids:
        return 0
    session.execute(delete(Answer).where(Answer.question_id.in_(
        select(Question.id).where(Question.class_id.in_(ids)))))
    session.execute(delete(Question).where(Question.class_id.in_(ids)))
    session.execute(delete(Student).where(Student.class_id.in_(ids)))
    session.execute(delete(Class).where(Class.id.in_(ids)))
    return len(ids)


def create_class(session: Session, run_id: str, title: str, self_paced: bool,
                 retention_days: int) -> tuple[Class, str]:
    """A new class with a fresh code; returns it and its teacher token (stored hashed only)."""
    token = new_token()
    created = now()
    taken = set(session.scalars(select(Class.code)))
    code = new_code()
    while code in taken:  # 32^6 codes: a second draw is rare, a third rarer still
        code = new_code()
    found = Class(id=new_id(), code=code, title=title, run_id=run_id, self_paced=self_paced,
                  teacher_token_hash=token_hash(token), created_at=created,
                  expires_at=created + timedelta(days=retention_days))
    session.add(found)
    session.flush()
    return found, token


def _live(found: Class | None, what: str, name: str) -> Class:
    if found is None or aware(found.expires_at) < now():
        raise NotFoundError(what, name, "classes are made by POST /api/v1/classes and kept "
                                        "for the server's retention period")
    return found


# The statements a student's requests run, built once with bound parameters: SQLAlchemy then
# neither rebuilds them nor recomputes their cache keys on every request.
_BY_CODE = select(*Class.__table__.columns).where(Class.code == bindparam("code"))
_STUDENT_ON = (Student.class_id == Class.id) & (Student.token_hash == bindparam("token_hash"))
#: a student's every request reads its class, itself, the question and its answer: as plain
#: rows of the tables (SQLAlchemy Core), each column labelled by its table — loading them as
#: the ORM's objects cost a third more CPU, and nothing changes or lazily loads them later
_VIEW_TABLES = (Class.__table__, Student.__table__, Question.__table__, Answer.__table__)
_VIEW_COLUMNS = [column.label(f"{table.name}_{column.name}") for table in _VIEW_TABLES
                 for column in table.columns]


def _slices(tables) -> list[tuple[list[str], slice]]:
    """Each table's column names and where its columns are in a row of the view (read by
    position: mapping a row by name cost more than the query)."""
    out, start = [], 0
    for table in tables:
        out.append(([column.name for column in table.columns],
                    slice(start, start + len(table.columns))))
        start += len(table.columns)
    return out


_VIEW_SLICES = _slices(_VIEW_TABLES)
_STUDENT_QUESTION_VIEW = (
    select(*_VIEW_COLUMNS)
    .select_from(Class)
    .outerjoin(Student, _STUDENT_ON)
    .outerjoin(Question, (Question.id == bindparam("question_id")) &
               (Question.class_id == Class.id))
    .outerjoin(Answer, (Answer.question_id == Question.id) & (Answer.student_id == Student.id))
    .where(Class.code == bindparam("code")))
_QUESTION_ANSWER = (Question.__table__, Answer.__table__)
_OPEN_ANSWERED = (
    select(*[column for table in _QUESTION_ANSWER for column in table.columns])
    .outerjoin(Answer, (Answer.question_id == Question.id) &
               (Answer.student_id == bindparam("student_id")))
    .where(Question.class_id == bindparam("class_id"), Question.closed_at.is_(None))
    .order_by(Question.number))
_OPEN_ANSWERED_SLICES = _slices(_QUESTION_ANSWER)
_CLASS_SLICE = _slices([Class.__table__])[0]
_LOCK = select(Class.id).where(Class.id == bindparam("class_id")).with_for_update()
_JOINED_WITH_KEY = select(Student).where(Student.class_id == bindparam("class_id"),
                                         Student.idempotency_key == bindparam("key"))
_STUDENTS = select(func.count()).select_from(Student) \
    .where(Student.class_id == bindparam("class_id"))
# Inserts into the tables themselves (SQLAlchemy Core): every value is given, and the ORM's
# bulk-insert machinery for an entity cost a third more CPU per write transaction.
_ADD_STUDENT = insert(Student.__table__)
_ADD_ANSWER = insert(Answer.__table__)
#: SQLite and PostgreSQL insert an answer or, when a unique constraint refuses it (answered
#: already, or the key used), do nothing — in one statement, no savepoint to roll back to
#: (RETURNING its id says whether it was inserted: psycopg's row count for it is -1)
_ADD_ANSWER_OR_NOT = {
    dialect.__name__.rsplit(".", 1)[-1]:
        dialect.insert(Answer.__table__).on_conflict_do_nothing().returning(Answer.__table__.c.id)
    for dialect in (sqlite, postgresql)}


def class_by_code(session: Session, code: str) -> SimpleNamespace:
    """The live class of a code, as a plain row (read-only, like student_view's)."""
    row = session.connection().execute(_BY_CODE, {"code": code.upper()}).first()
    names, _ = _CLASS_SLICE
    return _live(None if row is None else _plain(tuple(row), names), "class code", code)


def class_by_id(session: Session, class_id: str) -> Class:
    return _live(session.get(Class, class_id), "class", class_id)


def _bearer(authorization: str | None, who: str) -> str:
    if not authorization or not authorization.startswith("Bearer ") or \
            not authorization[7:].strip():
        raise ClassError(401, "unauthorized",
                         f"this needs the {who} token: send `Authorization: Bearer <token>`",
                         {"WWW-Authenticate": "Bearer"})
    return authorization[7:].strip()


def teacher_class(session: Session, class_id: str, authorization: str | None) -> Class:
    """The class, when `authorization` carries its teacher token (401 without, 403 wrong)."""
    found = class_by_id(session, class_id)
    token = _bearer(authorization, "teacher")
    if not secrets.compare_digest(token_hash(token), found.teacher_token_hash):
        raise ClassError(403, "forbidden", "this is not the teacher token of this class")
    return found


# ----- students -----

def _lock(session: Session, found: Class) -> None:
    """Hold the class's row until the transaction ends, so two joins (or two questions) of
    one class count and number one after the other (PostgreSQL; a SQLite writer holds the
    whole database already)."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(_LOCK, {"class_id": found.id})


def join(session: Session, found: Class, name: str, key: str | None, max_students: int,
         run_for) -> tuple[Student, str]:
    """A new student of `found` (their run: `run_for(student_id) -> (seed, run_id)`); a retry
    with the same Idempotency-Key gives the same student with a new token (the old one is
    revoked: only the client holding the key could have received it)."""
    token = new_token()
    _lock(session, found)
    if key is not None:
        again = session.scalars(_JOINED_WITH_KEY, {"class_id": found.id, "key": key}).first()
        if again is not None:
            again.token_hash = token_hash(token)
            return again, token
    count = session.scalar(_STUDENTS, {"class_id": found.id})
    if count >= max_students:
        raise LimitError("max_students_per_class", max_students, count + 1,
                         "(students in one class); the class is full")
    student_id = new_id()
    seed, run_id = run_for(student_id)
    fields = {"id": student_id, "class_id": found.id, "number": count + 1, "name": name,
              "token_hash": token_hash(token), "seed": seed, "run_id": run_id,
              "idempotency_key": key, "joined_at": now()}
    session.execute(_ADD_STUDENT, fields)
    return Student(**fields), token


def student_view(session: Session, code: str, authorization: str | None,
                 question_id: str | None = None) -> tuple[SimpleNamespace, SimpleNamespace,
                                                          SimpleNamespace | None,
                                                          SimpleNamespace | None]:
    """The class of `code`, the student whose token `authorization` carries, and (with
    `question_id`) that question of the class and the student's answer to it — in one query,
    as plain rows with the models' attribute names (read-only: nothing is saved through
    them), refusing in this order: an unknown code (404), no token (401), a token not of this
    class (403), an unknown question (404)."""
    token = authorization[7:].strip() if authorization and authorization.startswith("Bearer ") \
        else ""
    row = session.connection().execute(_STUDENT_QUESTION_VIEW, {
        "code": code.upper(), "token_hash": token_hash(token),
        "question_id": question_id}).first()
    found, student, question, answer = (None,) * 4 if row is None else \
        (_plain(row[part], names) for names, part in _VIEW_SLICES)
    found = _live(found, "class code", code)
    _bearer(authorization, "student")
    if student is None:
        raise ClassError(403, "forbidden", "this is not a student token of this class: join "
                                           "with POST /api/v1/classes/{code}/students")
    if question_id is not None and question is None:
        raise _no_question(question_id)
    return found, student, question, answer


def _plain(values: tuple, names: list[str]) -> SimpleNamespace | None:
    """One table's columns of a row, as attributes named like the model's (None for the
    missing side of an outer join: its id is None)."""
    plain = dict(zip(names, values, strict=True))
    return None if plain["id"] is None else SimpleNamespace(**plain)


def count_students(session: Session, found: Class) -> int:
    return session.scalar(select(func.count()).select_from(Student)
                          .where(Student.class_id == found.id))


def students(session: Session, found: Class) -> list[Student]:
    return list(session.scalars(select(Student).where(Student.class_id == found.id)
                                .order_by(Student.number)))


# ----- questions -----

def open_question(session: Session, found: Class, fields: dict, prompt: str,
                  max_questions: int, question_id: str) -> Question:
    """A new open question; it closes the one open before (all stay open in a self-paced
    class)."""
    _lock(session, found)
    count = session.scalar(select(func.count()).select_from(Question)
                           .where(Question.class_id == found.id))
    if count >= max_questions:
        raise LimitError("max_questions_per_class", max_questions, count + 1,
                         "(questions one class may ask)")
    moment = now()
    if not found.self_paced:
        session.execute(update(Question).where(Question.class_id == found.id,
                                               Question.closed_at.is_(None))
                        .values(closed_at=moment))
    question = Question(id=question_id, class_id=found.id, number=count + 1,
                        element=json.dumps(list(fields.pop("element"))), prompt=prompt,
                        opened_at=moment, **fields)
    session.add(question)
    session.flush()
    return question


def _no_question(question_id: str) -> NotFoundError:
    return NotFoundError("question", question_id, "questions are made by the teacher with "
                                                  "POST /api/v1/classes/{class_id}/questions")


def question_of(session: Session, found: Class, question_id: str) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.class_id != found.id:
        raise _no_question(question_id)
    return question


def open_questions_answered(session: Session, found, student) -> list[tuple]:
    """The open questions of the class, each with the student's answer (or None), as plain
    rows (read-only, like student_view's)."""
    rows = session.connection().execute(_OPEN_ANSWERED, {"student_id": student.id,
                                                         "class_id": found.id})
    return [tuple(_plain(row[part], names) for names, part in _OPEN_ANSWERED_SLICES)
            for row in rows]


def questions(session: Session, found: Class) -> list[Question]:
    return list(session.scalars(select(Question).where(Question.class_id == found.id)
                                .order_by(Question.number)))


def reveal(session: Session, question: Question) -> Question:
    if question.revealed_at is None:
        question.revealed_at = now()
    if question.closed_at is None:
        question.closed_at = question.revealed_at
    return question


# ----- answers -----

def answer_of(session: Session, question: Question, student: Student) -> Answer | None:
    return session.scalars(select(Answer).where(Answer.question_id == question.id,
                                                Answer.student_id == student.id)).first()


def record_answer(session: Session, question: Question, student: Student, answer, expected,
                  correct: bool, key: str | None) -> Answer:
    """Store a student's one answer to a question. A retry with the answer's Idempotency-Key
    gives the stored answer back; any other second answer is a 409 (the first is kept). The
    row is inserted first (the table's unique constraints decide, in one statement), and only
    a refused insert looks up what is stored."""
    row = Answer(id=new_id(), question_id=question.id, student_id=student.id,
                 answer=json.dumps(answer), expected=json.dumps(expected), correct=correct,
                 idempotency_key=key, answered_at=now())
    values = {"id": row.id, "question_id": row.question_id, "student_id": row.student_id,
              "answer": row.answer, "expected": row.expected, "correct": row.correct,
              "idempotency_key": row.idempotency_key, "answered_at": row.answered_at}
    refused = None
    or_not = _ADD_ANSWER_OR_NOT.get(session.get_bind().dialect.name)
    if or_not is not None:
        if session.connection().execute(or_not, values).first() is not None:
            return row
    else:  # another database: the insert in a savepoint, its refusal caught
        try:
            with session.begin_nested():
                session.execute(_ADD_ANSWER, values)
            return row
        except IntegrityError as error:  # answered already, or this key was used
            refused = error
    stored = answer_of(session, question, student)
    if stored is None and key is not None:
        stored = session.scalars(select(Answer).where(Answer.student_id == student.id,
                                                      Answer.idempotency_key == key)).first()
        if stored is not None and stored.question_id != question.id:
            raise ClassError(409, "conflict", "this Idempotency-Key was used for an answer to "
                                              "another question; send a new key")
    if stored is None:  # refused by a constraint, yet nothing it guards is stored
        raise refused or ClassError(409, "conflict", "this answer could not be stored; send it "
                                                     "again with a new Idempotency-Key")
    if key is not None and stored.idempotency_key == key:
        return stored
    raise ClassError(409, "conflict", "you have answered this question already; your first "
                                      "answer is kept")


def answers(session: Session, question: Question) -> list[Answer]:
    return list(session.scalars(select(Answer).where(Answer.question_id == question.id)))


def gradebook(session: Session, found: Class) -> list[tuple[Student, Question, Answer | None]]:
    """Every student × question of the class, with the answer where there is one."""
    rows = session.execute(
        select(Student, Question, Answer)
        .join(Question, Question.class_id == Student.class_id)
        .outerjoin(Answer, (Answer.question_id == Question.id) &
                   (Answer.student_id == Student.id))
        .where(Student.class_id == found.id)
        .order_by(Student.number, Question.number))
    return [tuple(row) for row in rows]
