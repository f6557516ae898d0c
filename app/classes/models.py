"""The tables of class mode as SQLAlchemy 2 typed models. No queries here (crud.py).

Every table has a retention rule: a class carries `expires_at` (created + the retention
setting), and its students, questions and answers are deleted with it (ON DELETE CASCADE).
Secrets are stored hashed (sha256 of a token the client holds); answers are unique per student
and question, and per student and Idempotency-Key, so a retried POST can never store twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: the characters of a class code: easy to read aloud, no 0/O/1/I
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
#: hex of a sha256
HASH_CHARS = 64
ID_CHARS = 32
MAX_TITLE_CHARS = 200
MAX_NAME_CHARS = 60
MAX_IDEMPOTENCY_KEY_CHARS = 200


class Base(DeclarativeBase):
    pass


class Class(Base):
    __tablename__ = "classes"

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_CHARS), default="")
    #: the class's run: every student's run is this one with a seed of their own
    run_id: Mapped[str] = mapped_column(Text)
    self_paced: Mapped[bool] = mapped_column(Boolean, default=False)
    teacher_token_hash: Mapped[str] = mapped_column(String(HASH_CHARS))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the retention rule: the class and everything in it is deleted after this
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Student(Base):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("class_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"),
                                          index=True)
    #: 1, 2, … in the order they joined (the gradebook's order)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(MAX_NAME_CHARS), default="")
    token_hash: Mapped[str] = mapped_column(String(HASH_CHARS), unique=True)
    #: the seed of the student's own run (derived from class and student)
    seed: Mapped[int] = mapped_column(BigInteger)
    run_id: Mapped[str] = mapped_column(Text)
    #: the join's Idempotency-Key: a retry re-issues the token of the same student
    idempotency_key: Mapped[str | None] = mapped_column(String(MAX_IDEMPOTENCY_KEY_CHARS))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("class_id", "number"),)

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"),
                                          index=True)
    #: 1, 2, … in the order they were asked
    number: Mapped[int] = mapped_column(Integer)
    iteration: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    node: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: JSON: the element asked about ([] for a scalar)
    element: Mapped[str] = mapped_column(Text, default="[]")
    #: backward: the input whose contribution is asked for
    input: Mapped[str | None] = mapped_column(String(200))
    #: the prompt as the teacher's run writes it
    prompt: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("student_id", "question_id"),
                      UniqueConstraint("student_id", "idempotency_key"))

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"),
                                             index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"),
                                            index=True)
    #: JSON of the answer as normalised (a number, "+", a node id, [3, 4], an expression)
    answer: Mapped[str] = mapped_column(Text)
    #: JSON of the right answer in the student's own run
    expected: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean)
    idempotency_key: Mapped[str | None] = mapped_column(String(MAX_IDEMPOTENCY_KEY_CHARS))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
