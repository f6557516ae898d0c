"""Class mode for one worker: the database (crud.py) and the runs (the RunStore) put together.

Each method is one route's work: database calls run in the thread pool, each in one short
session; the engine's work (a student's trace, grading) runs through the store's compute pool
(off the event loop, bounded queue). A student's read of the question and answer — the
requests a whole room sends at once — each leave the event loop once (`in_one_go`): read,
the work on the student's run and the write one after the other in one thread, in the compute
pool until the worker has seen that the class's runs are light, then in the thread pool. A
run's lazy work is serialised by its own lock (`_use_trace`). The routes (app/api/classes.py)
only translate HTTP.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from app.api import runids
from app.api.cache import LRU
from app.api.settings import Settings
from app.api.store import OVERHEAD_BYTES, RunStore
from app.classes import crud, grading, histogram, questions
from app.classes.crud import ClassError, aware
from app.classes.db import Database
from app.classes.models import Answer, Class, Question
from app.classes.own import Template
from app.engine.core.errors import InvalidRequestError
from app.engine.core.trace import Trace

T = TypeVar("T")
#: class mode's runs and traces may take this fraction of a worker's cache budget
CACHE_SHARE = 4
#: locks serialising the work on one run (striped: a run's lock is one of these)
RUN_LOCKS = 64
#: classes whose lane (light or not) a worker remembers
LANES_KEPT = 1024


def _iso(moment) -> str | None:
    return None if moment is None else aware(moment).isoformat().replace("+00:00", "Z")


def _cell(stored: str) -> str:
    """A stored answer as a gradebook cell: text as it is, a number as Python writes it, a
    shape as [64, 100]."""
    value = json.loads(stored)
    return value if isinstance(value, str) else json.dumps(value)


def student_seed(class_id: str, student_id: str) -> int:
    """The seed of a student's own run: the same class and student, the same seed."""
    digest = hashlib.sha256(f"gradwalk-class:{class_id}:{student_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def spec_of(question: Question) -> questions.Spec:
    return questions.Spec(question.id, question.iteration, question.step, question.node,
                          question.kind, tuple(json.loads(question.element)), question.input)


class Classroom:
    def __init__(self, settings: Settings, store: RunStore):
        self.settings = settings
        self.store = store
        self.db = Database(settings.data_dir, settings.database_url)
        #: the students' runs and traces this worker computed, within a share of its budget
        self.traces = LRU(settings.cache_bytes // CACHE_SHARE)
        #: the locks of the runs' computations, striped (`_use_trace`)
        self._run_locks = [threading.Lock() for _ in range(RUN_LOCKS)]
        #: class code -> whether its runs are light work (as this worker last found them)
        self._light: dict[str, bool] = {}

    # ----- plumbing -----

    async def read(self, work: Callable[..., T], *args) -> T:
        def run():
            with self.db.reading() as session:
                return work(session, *args)
        return await run_in_threadpool(run)

    async def write(self, work: Callable[..., T], *args) -> T:
        def run():
            with self.db.writing() as session:
                return work(session, *args)
        return await run_in_threadpool(run)

    def _trace(self, run_id: str, iteration: int) -> Trace:
        """A run's iteration, kept in this worker's own cache. Not the run store's: a class
        has a run per student, and the store would also lay out every one of them (the
        viewer's document), which a question never needs. A student's run is computed from
        the class's graph, parsed once (own.py), and its steps are presented only if read.
        The caller holds the run's lock (`_use_trace`)."""
        key = ("trace", run_id, iteration)
        found = self.traces.get(key)
        if found is not None:
            return found
        run = self.traces.get(("run", run_id))
        if run is None:
            spec = runids.decode(run_id, self.settings.max_run_id_chars,
                                 self.settings.max_run_id_json_bytes)
            canonical = spec.canonical()
            seed = canonical.pop("seed")
            shared = ("template", json.dumps(canonical, sort_keys=True))
            template = self.traces.get(shared)
            if template is None:
                template = Template(spec, self.store.limits)
                self.traces.put(shared, template, template.run.nbytes + OVERHEAD_BYTES)
            run = template.student(seed)
        trace = run.numbers(iteration)
        self.traces.put(("run", run_id), run, run.nbytes + OVERHEAD_BYTES)
        return self.traces.put(key, trace, trace.nbytes + OVERHEAD_BYTES)

    def _use_trace(self, run_id: str, iteration: int, use: Callable[[Trace], T]) -> T:
        """`use(trace)` of a run's iteration, holding the run's lock: a run trains lazily and
        presents its steps when first read, one thread at a time."""
        with self._run_locks[hash(run_id) % RUN_LOCKS]:
            return use(self._trace(run_id, iteration))

    async def on_trace(self, run_id: str, iteration: int, use: Callable[[Trace], T]) -> T:
        """`use(trace)` of a run's iteration, in the compute pool (one computation per run at
        a time: a run trains lazily)."""
        key = ("class", run_id, iteration, uuid.uuid4().hex)
        return await self.store.compute.run(
            key, lambda: self._use_trace(run_id, iteration, use), group=run_id)

    async def in_one_go(self, code: str, work: Callable[[], tuple[T, bool]]) -> T:
        """A student's request done in one hop off the event loop: its reads, the engine's
        work on the student's run and its write, one after the other in one thread (each hop
        waits for the event loop and a thread to be free, and a room of students keeps both
        busy). `work()` returns the response and whether the class's runs are light work
        (store.light). Until this worker has seen that they are, the request runs in the
        compute pool (bounded, watched); then in the database's thread pool, as a request
        whose engine work is a light run's."""
        light = self._light.get(code, False)
        if light:
            done, light = await run_in_threadpool(work)
        else:
            done, light = await self.store.compute.run(("class-request", uuid.uuid4().hex),
                                                        work)
        if len(self._light) >= LANES_KEPT and code not in self._light:
            self._light.clear()
        self._light[code] = light
        return done

    def is_light(self, run_id: str) -> bool:
        """Whether work on this run (its training and trace: a share of the run's counted
        cost) is light for the compute pool; False until this worker has the run."""
        run = self.traces.get(("run", run_id))
        if run is None:
            return False
        template = run.template.run
        return self.store.light(template, template.cost.total)

    def join_url(self, base: str, code: str) -> str:
        base = (self.settings.public_url or base).rstrip("/")
        return f"{base}/join?code={code}"

    def class_json(self, found: Class, base: str) -> dict:
        return {"code": found.code, "title": found.title, "run_id": found.run_id,
                "self_paced": found.self_paced, "join_url": self.join_url(base, found.code),
                "expires_at": _iso(found.expires_at)}

    # ----- classes and students -----

    async def create_class(self, run_id: str, title: str, self_paced: bool, base: str) -> dict:
        entry = await self.store.compute.run(("class-run", run_id),
                                             lambda: self.store.entry(run_id))
        if entry.run.spec.mode != "reverse":
            raise InvalidRequestError("a class asks about gradients: make the run in reverse "
                                      "mode (the default)", "run_id")

        def work(session):
            crud.purge_expired(session)
            return crud.create_class(session, entry.run_id, title, self_paced,
                                     self.settings.class_retention_days)

        found, token = await self.write(work)
        return {"class_id": found.id, "teacher_token": token, **self.class_json(found, base)}

    async def join(self, code: str, name: str, key: str | None) -> dict:
        def work(session):
            found = crud.class_by_code(session, code)
            spec = runids.decode(found.run_id, self.settings.max_run_id_chars,
                                 self.settings.max_run_id_json_bytes)

            def run_for(student_id: str):
                seed = student_seed(found.id, student_id)
                return seed, runids.encode(dataclasses.replace(spec, seed=seed))

            return crud.join(session, found, name, key, self.settings.max_students_per_class,
                             run_for)

        student, token = await self.write(work)
        return {"student_id": student.id, "student_token": token, "run_id": student.run_id,
                "seed": student.seed, "number": student.number}

    # ----- questions -----

    def question_json(self, question: Question, trace: Trace | None = None,
                      own_numbers: bool = False) -> dict:
        spec = spec_of(question)
        out = {"question_id": question.id, "number": question.number,
               "iteration": question.iteration, "step": question.step, "node": question.node,
               "kind": question.kind, "index": list(spec.element), "input": question.input,
               "prompt": question.prompt, "choices": None,
               "open": question.closed_at is None, "revealed": question.revealed_at is not None}
        if trace is not None:
            out["choices"] = questions.choices(trace, spec)
            if own_numbers:
                out["prompt"] = questions.prompt(trace, spec, own_numbers=True)
        return out

    async def ask(self, class_id: str, authorization: str | None, body: dict) -> dict:
        found = await self.read(crud.teacher_class, class_id, authorization)
        question_id = crud.new_id()
        spec = questions.Spec(question_id, body["iteration"], body["step"], body["node"],
                              body["kind"], tuple(body.get("index") or ()), body.get("input"))

        def prepare(trace: Trace):
            nonlocal spec
            if not spec.element and spec.kind in ("gradient", "value", "sign"):
                node = trace.graph.nodes.get(spec.node)
                spec = dataclasses.replace(spec, element=(0,) * len(node.shape if node else ()))
            questions.check(trace, spec)
            if spec.kind == "backward" and spec.input is None:
                spec = dataclasses.replace(spec, input=questions.backward_input(trace, spec))
            return questions.prompt(trace, spec, own_numbers=False), trace

        prompt, trace = await self.on_trace(found.run_id, spec.iteration, prepare)
        fields = {"iteration": spec.iteration, "step": spec.step, "node": spec.node,
                  "kind": spec.kind, "element": spec.element, "input": spec.input}

        def work(session):
            live = crud.teacher_class(session, class_id, authorization)
            return crud.open_question(session, live, fields, prompt,
                                      self.settings.max_questions_per_class, question_id)

        question = await self.write(work)
        return self.question_json(question, trace)

    async def status(self, class_id: str, question_id: str, authorization: str | None) -> dict:
        """The teacher's view of a question: counts and the histogram."""
        def work(session):
            found = crud.teacher_class(session, class_id, authorization)
            question = crud.question_of(session, found, question_id)
            return found, question, crud.count_students(session, found), \
                crud.answers(session, question)

        found, question, students, answers = await self.read(work)
        spec = spec_of(question)
        choices = await self.on_trace(found.run_id, spec.iteration,
                                      lambda trace: questions.choices(trace, spec))
        revealed = question.revealed_at is not None
        rows = [(json.loads(a.answer), a.correct, json.loads(a.expected))
                for a in sorted(answers, key=lambda a: a.id)]
        shown = histogram.numbers(rows, revealed) if spec.kind in ("gradient", "value") else \
            histogram.categories(rows, choices, revealed)
        out = self.question_json(question)
        out["choices"] = choices
        out.update(students=students, answers=len(answers),
                   correct=sum(a.correct for a in answers) if revealed else None,
                   histogram=shown)
        return out

    async def reveal(self, class_id: str, question_id: str, authorization: str | None) -> dict:
        def work(session):
            found = crud.teacher_class(session, class_id, authorization)
            return crud.reveal(session, crud.question_of(session, found, question_id))

        return self.question_json(await self.write(work))

    async def current(self, code: str, authorization: str | None) -> dict | None:
        def work():
            with self.db.reading() as session:
                found, student, _, _ = crud.student_view(session, code, authorization)
                rows = crud.open_questions_answered(session, found, student)
                # a self-paced student is asked the first open question they have not answered
                question, answer = next(((q, a) for q, a in rows
                                         if a is None or not found.self_paced), (None, None))
            if question is None:
                return None, self._light.get(code, False)
            out = self._use_trace(student.run_id, question.iteration,
                                  lambda trace: self.question_json(question, trace, True))
            out.update(answered=answer is not None,
                       yours=None if answer is None else json.loads(answer.answer))
            return out, self.is_light(student.run_id)

        return await self.in_one_go(code, work)

    # ----- answers -----

    async def answer(self, code: str, question_id: str, authorization: str | None, given,
                     key: str | None) -> dict:
        """Store a student's answer, graded on their own run — read, graded and written in
        one computation (in_one_go)."""
        limits = self.store.limits

        def grade(spec: questions.Spec, trace: Trace):
            answer = grading.read_answer(spec, given, questions.choices(trace, spec),
                                         self.settings.max_answer_chars)
            if spec.kind == "backward":
                grading.check_expression(trace, spec, answer, limits)
            right = questions.expected(trace, spec)
            return answer, right, grading.judge(trace, spec, answer, right, limits)

        def work():
            with self.db.reading() as session:
                _, student, question, before = crud.student_view(session, code, authorization,
                                                                 question_id)
            if before is not None:  # answered: a retry gets its answer, anything else a 409
                if key is None or before.idempotency_key != key:
                    raise ClassError(409, "conflict", "you have answered this question "
                                                      "already; your first answer is kept")
                return self.stored_json(before), self._light.get(code, False)
            if question.closed_at is not None:
                raise ClassError(409, "closed", "this question is closed: the teacher has "
                                                "moved on or revealed it")
            spec = spec_of(question)
            answer, right, correct = self._use_trace(student.run_id, spec.iteration,
                                                     lambda trace: grade(spec, trace))
            with self.db.writing() as session:
                stored = crud.record_answer(session, question, student, answer, right,
                                            correct, key)
            return self.stored_json(stored), self.is_light(student.run_id)

        return await self.in_one_go(code, work)

    @staticmethod
    def stored_json(answer: Answer) -> dict:
        return {"question_id": answer.question_id, "answered_at": _iso(answer.answered_at),
                "yours": json.loads(answer.answer)}

    async def result(self, code: str, question_id: str, authorization: str | None) -> dict:
        found, student, question, answer = await self.read(crud.student_view, code,
                                                           authorization, question_id)
        if question.revealed_at is None and not (found.self_paced and answer is not None):
            raise ClassError(409, "not_revealed", "the teacher has not revealed this question "
                                                  "yet" + (" (answer it first)"
                                                           if found.self_paced else ""))
        spec = spec_of(question)

        def explain(trace: Trace):
            right = json.loads(answer.expected) if answer is not None else \
                questions.expected(trace, spec)
            return right, questions.explanation(trace, spec)

        right, explanation = await self.on_trace(student.run_id, spec.iteration, explain)
        return {"question_id": question.id, "correct": None if answer is None else answer.correct,
                "expected": right, "yours": None if answer is None else json.loads(answer.answer),
                "explanation": explanation}

    async def gradebook(self, class_id: str, authorization: str | None) -> list[list]:
        def work(session):
            found = crud.teacher_class(session, class_id, authorization)
            return crud.gradebook(session, found)

        rows = []
        for student, question, answer in await self.read(work):
            rows.append([student.name or f"student {student.number}", question.number,
                         question.node, question.kind,
                         "" if answer is None else _cell(answer.answer),
                         "" if answer is None else _cell(answer.expected),
                         "" if answer is None else str(answer.correct).lower(),
                         "" if answer is None else _iso(answer.answered_at)])
        return rows

    async def info(self, code: str, base: str) -> dict:
        return self.class_json(await self.read(crud.class_by_code, code), base)

    async def class_questions(self, code: str, authorization: str | None) -> list[dict]:
        """A student's list of the class's questions (self-paced homework lists them all)."""
        def work(session):
            found, student, _, _ = crud.student_view(session, code, authorization)
            return [(q, crud.answer_of(session, q, student) is not None)
                    for q in crud.questions(session, found)]

        return [{**self.question_json(q), "answered": answered}
                for q, answered in await self.read(work)]
