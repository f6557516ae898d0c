"""A lecture hall through the nginx recipe: 300 students join a class and answer one question.

Starts two Gradwalk workers behind deploy/'s nginx (bench/load.py's `cluster`) on one class
database — SQLite in a temporary data directory, or a throwaway PostgreSQL (bench/pgserver.py)
— then a teacher opens a class and a question, and `students` simulated students arrive over
the first part of `seconds`: each joins, reads the question with their own numbers and answers
it (every POST with an Idempotency-Key, sent again on a failure, as a phone would), each student
on a keep-alive connection of their own (bench/rawhttp.py: a light client, so the figures are
the servers' and not this process's event loop). Halfway one worker is killed with SIGKILL.
Prints the answers the class holds (each student exactly once), the histogram's total, the
p50/p99 of the answer POSTs and the seconds it all took. Targets: 300 answers stored once, the
histogram counts 300, p99 ≤ 250 ms, all within 10 s, on both databases.
tests/classes/test_classroom_load.py runs the same and asserts them.

    python bench/classroom.py [--students 300] [--seconds 10] [--database sqlite|postgresql]
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/classroom.py` puts bench/ first on the import path (its http.py would shadow the
# standard library's): put the repository there instead, so app and bench come from this checkout
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

from bench import pgserver  # noqa: E402
from bench.load import Cluster, cluster, stop_proxy  # noqa: E402
from bench.rawhttp import Connection, HTTPFailure, Reply  # noqa: E402

#: the class's run: every student's own run is this with their own seed
RUN = {"preset": "logistic-regression", "iterations": 2}
#: the question: ∂loss/∂tmp1[0, 0] after the last step of iteration 0 (logistic regression)
QUESTION = {"iteration": 0, "step": 26, "node": "tmp1", "kind": "gradient", "index": [0, 0]}
#: attempts of one request before a student gives up (a killed worker costs one)
ATTEMPTS = 8


@dataclass
class ClassroomResult:
    joined: int = 0
    answered: int = 0
    #: seconds of every answer POST attempt that was answered (201 or an error status)
    answer_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    retries: int = 0
    seconds: float = 0.0
    #: what the teacher's view says at the end
    stored: int = 0
    histogram_total: int = 0
    students_in_class: int = 0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.answer_seconds)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _send(conn: Connection, result: ClassroomResult, method: str, path: str,
                body: bytes | None = None, headers: dict | None = None,
                timed: bool = False) -> Reply | None:
    """The request, sent again (same headers, same Idempotency-Key) until it is answered."""
    for attempt in range(ATTEMPTS):
        started = time.monotonic()
        try:
            response = await conn.request(method, path, body, headers)
        except HTTPFailure:
            response = None
        if timed and response is not None:
            result.answer_seconds.append(time.monotonic() - started)
        if response is not None and response.status < 500:
            return response
        result.retries += 1
        await asyncio.sleep(0.05 * (attempt + 1))
    result.failures.append(f"{method} {path}: no answer after {ATTEMPTS} attempts")
    return None


@dataclass
class Student:
    """One simulated student: their arrival, thinking time and requests' bodies and keys,
    all drawn before the clock starts (the client does as little as it can while timed)."""

    arrive: float
    think: float
    join: bytes
    join_key: str
    answer: bytes
    answer_key: str


def _students(count: int, seconds: float, seed: int) -> list[Student]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        own = random.Random(seed + i)
        # the students arrive over the first 60 % of the time
        out.append(Student(rng.uniform(0, 0.6 * seconds), own.uniform(0.2, 1.0),
                           json.dumps({"name": f"s{own.randrange(10**6)}"}).encode(),
                           uuid.uuid4().hex, json.dumps({"answer": own.gauss(0, 0.3)}).encode(),
                           uuid.uuid4().hex))
    return out


async def _student(base: str, code: str, question_id: str, me: Student,
                   result: ClassroomResult) -> None:
    await asyncio.sleep(me.arrive)
    conn = Connection(base)  # the student's phone: one keep-alive connection
    try:
        joined = await _send(conn, result, "POST", f"/api/v1/classes/{code}/students", me.join,
                             {"Idempotency-Key": me.join_key})
        if joined is None or joined.status != 201:
            result.failures.append(f"join: {None if joined is None else joined.text[:200]}")
            return
        result.joined += 1
        token = {"Authorization": f"Bearer {joined.json()['student_token']}"}
        current = await _send(conn, result, "GET", f"/api/v1/classes/{code}/questions/current",
                              headers=token)
        if current is None or current.status != 200:
            result.failures.append(f"current: {None if current is None else current.status}")
            return
        await asyncio.sleep(me.think)  # reading the question
        answered = await _send(conn, result, "POST",
                               f"/api/v1/classes/{code}/questions/{question_id}/answers",
                               me.answer, {**token, "Idempotency-Key": me.answer_key},
                               timed=True)
        if answered is None or answered.status != 201:
            result.failures.append(f"answer: {None if answered is None else answered.text[:200]}")
            return
        result.answered += 1
    finally:
        conn.close()


async def _hall(base: str, students: int, seconds: float, on_half, seed: int) -> ClassroomResult:
    result = ClassroomResult()
    hall = _students(students, seconds, seed)
    teacher = Connection(base)

    async def call(method: str, path: str, document=None, headers=None) -> Reply:
        body = None if document is None else json.dumps(document).encode()
        reply = await _send(teacher, result, method, path, body, headers)
        if reply is None or reply.status >= 300:
            raise RuntimeError(f"{method} {path}: {None if reply is None else reply.text}")
        return reply

    run = (await call("POST", "/api/v1/runs", RUN)).json()
    room = (await call("POST", "/api/v1/classes", {"run_id": run["run_id"]})).json()
    auth = {"Authorization": f"Bearer {room['teacher_token']}"}
    asked = await call("POST", f"/api/v1/classes/{room['class_id']}/questions", QUESTION, auth)
    question_id = asked.json()["question_id"]
    started = time.monotonic()
    tasks = [asyncio.ensure_future(_student(base, room["code"], question_id, me, result))
             for me in hall]
    await asyncio.sleep(seconds / 2)
    await asyncio.get_running_loop().run_in_executor(None, on_half)
    await asyncio.gather(*tasks)
    result.seconds = time.monotonic() - started
    seen = await call("GET", f"/api/v1/classes/{room['class_id']}/questions/{question_id}",
                      headers=auth)
    document = seen.json()
    result.stored = document["answers"]
    result.students_in_class = document["students"]
    shown = document["histogram"]
    result.histogram_total = sum(b["count"] for b in shown["bins"]) + shown["below"] + \
        shown["above"]
    teacher.close()
    return result


def classroom_load(the: Cluster, students: int = 300, seconds: float = 10.0, kill: bool = True,
                   seed: int = 0) -> ClassroomResult:
    """`students` students join and answer one question through `the` cluster; halfway its
    last worker is SIGKILLed."""
    def half():
        if kill:
            the.workers[-1].send_signal(signal.SIGKILL)

    done: list = []
    # a thread of its own: the caller may be inside an event loop (pytest-playwright's)
    runner = threading.Thread(
        target=lambda: done.append(asyncio.run(_hall(the.base, students, seconds, half, seed))))
    runner.start()
    runner.join()
    if not done:
        raise RuntimeError("the hall's event loop failed (see the thread's traceback above)")
    return done[0]


@contextmanager
def class_database(kind: str) -> Iterator[dict]:
    """The workers' environment for a class database of `kind`: sqlite or postgresql."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="gradwalk-classes-") as directory:
            yield {"GRADWALK_DATA_DIR": directory}
        return
    with pgserver.postgres() as server:
        yield {"GRADWALK_DATABASE_URL": pgserver.fresh_database(server)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        with class_database(kind) as env, cluster(workers=2, env=env) as the:
            r = classroom_load(the, args.students, args.seconds)
            stop_proxy(the)  # nginx writes out its log of every request
            time.sleep(1.5)
            at_proxy = sorted(seconds for seconds, _ in the.proxy_seconds())
        print(f"{kind}: {r.joined} joined, {r.answered} answered, {r.stored} stored "
              f"(class: {r.students_in_class} students), histogram {r.histogram_total}; "
              f"answer POST p50 {r.percentile(0.5) * 1000:.0f} ms, "
              f"p99 {r.percentile(0.99) * 1000:.0f} ms (target ≤ 250); {r.retries} retries; "
              f"{r.seconds:.1f} s (target ≤ {args.seconds:g}); {len(r.failures)} failures")
        if at_proxy:
            print(f"    as nginx timed them, all {len(at_proxy)} requests: p50 "
                  f"{at_proxy[len(at_proxy) // 2] * 1000:.0f} ms, p99 "
                  f"{at_proxy[int(0.99 * (len(at_proxy) - 1))] * 1000:.0f} ms "
                  f"(the rest is the clients' own event loop on this machine)")
        for failure in r.failures[:5]:
            print("   ", failure)


if __name__ == "__main__":
    main()
