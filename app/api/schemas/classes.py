"""Class mode (app/api/classes.py; docs/json.md "Class mode"): a class on a run, its students,
its questions, their answers and the histogram the projector shows."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from app.api.deps import EXAMPLE_RUN_ID
from app.api.schemas.common import Out


class ClassCreate(BaseModel):
    """A class on a run: every student gets this run with a seed of their own."""

    # the example's run id is a real one (deps.EXAMPLE_RUN_ID); docs/json.md shows the rest
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"run_id": EXAMPLE_RUN_ID, "title": "Lecture 4: backpropagation"}]})

    run_id: str = Field(description="a run id from POST /api/v1/runs (reverse mode)",
                        max_length=16_000)
    title: str = Field("", max_length=200, description="shown to the students")
    self_paced: StrictBool = Field(False, description="homework: every question stays open, "
                                                      "each student sees their result on "
                                                      "answering")


class ClassCreated(Out):
    class_id: str = Field(description="the class in the teacher's URLs")
    code: str = Field(description="6 characters to read aloud (no 0, O, 1 or I)")
    teacher_token: str = Field(description="shown once: the teacher's `Authorization: Bearer`")
    join_url: str = Field(description="the students' page of the class (and its QR code)")
    title: str
    run_id: str
    self_paced: bool
    expires_at: str = Field(description="when the class is deleted (ISO 8601, UTC)")


class ClassInfo(Out):
    code: str
    title: str
    run_id: str
    self_paced: bool
    join_url: str
    expires_at: str


class StudentJoin(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Ada"}]})

    name: str = Field("", max_length=60, description="shown in the teacher's gradebook")


class StudentJoined(Out):
    student_id: str
    student_token: str = Field(description="the student's `Authorization: Bearer`")
    run_id: str = Field(description="the student's own run: the class's with their own seed")
    seed: int
    number: int = Field(description="1, 2, … in the order the students joined")


class QuestionCreate(BaseModel):
    """A question at a step of the class's run."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"iteration": 0, "step": 9, "node": "h", "kind": "gradient", "index": [0, 0]}]})

    iteration: int = Field(ge=0, lt=2**31, description="iteration t")
    step: int = Field(ge=0, lt=2**31, description="the step the question is asked at")
    node: str = Field(max_length=200, description="a node id of the graph")
    kind: Literal["gradient", "value", "sign", "larger", "shape", "rule", "backward"]
    index: list[Annotated[int, Field(ge=0, lt=2**31)]] | None = Field(
        None, max_length=32, description="gradient, value, sign: the element (one index per "
                                         "axis; default the first element)")
    input: str | None = Field(None, max_length=200, description="backward: the input whose "
                                                                "contribution is asked for "
                                                                "(default: the first)")


class QuestionOut(Out):
    question_id: str
    number: int
    iteration: int
    step: int
    node: str
    kind: str
    index: list[int]
    input: str | None = None
    prompt: str
    choices: list[str] | None = None
    open: bool
    revealed: bool


class StudentQuestionOut(QuestionOut):
    answered: bool
    yours: Any = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"answer": -0.125}]})

    answer: StrictFloat | StrictInt | StrictStr | list[StrictInt] = Field(
        description="a number (gradient, value), one of `choices` (sign, larger, rule), a "
                    "shape (a list, or text like '64x100'), or an expression (backward)")


class AnswerStored(Out):
    question_id: str
    answered_at: str
    yours: Any = Field(description="the answer as stored (normalised)")


class HistogramBin(Out):
    label: str
    low: float | None = None
    high: float | None = None
    count: int
    correct: int | None = Field(None, description="answers here that are right (after the "
                                                  "reveal)")
    right: bool | None = Field(None, description="a right answer of some student lies here "
                                                 "(after the reveal)")


class HistogramOut(Out):
    kind: Literal["numbers", "categories"]
    bins: list[HistogramBin]
    below: int = 0
    above: int = 0


class QuestionStatus(QuestionOut):
    students: int = Field(description="students in the class")
    answers: int = Field(description="answers so far")
    correct: int | None = Field(None, description="right answers (after the reveal)")
    histogram: HistogramOut


class ResultOut(Out):
    question_id: str
    correct: bool | None
    expected: Any
    yours: Any
    explanation: dict[str, Any]
