"""A lecture hall through the nginx recipe (bench/classroom.py): 300 students join and answer
one question with two workers on one class database, one worker killed halfway; every answer
is stored exactly once and the histogram counts them all, on SQLite and on PostgreSQL. The
bench prints the latencies (p99 of the answer POSTs against its 250 ms target); the test
asserts no time (a loaded machine would fail it by chance)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import pgserver  # noqa: E402
from bench.classroom import class_database, classroom_load  # noqa: E402
from bench.load import NGINX, cluster  # noqa: E402

STUDENTS = 300


@pytest.mark.skipif(not Path(NGINX).exists(), reason="needs Debian's nginx (make test "
                                                      "installs it)")
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_three_hundred_students_a_killed_worker_and_every_answer_stored_once(kind):
    if kind == "postgresql" and pgserver.binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql; make test installs it)")
    with class_database(kind) as env, cluster(workers=2, env=env) as the:
        result = classroom_load(the, students=STUDENTS, seconds=10)
        assert the.workers[-1].poll() is not None  # the worker was killed halfway
    assert result.failures == [], result.failures[:10]
    assert (result.joined, result.answered) == (STUDENTS, STUDENTS)
    assert result.students_in_class == STUDENTS  # a retried join made no second student
    assert result.stored == STUDENTS  # a retried answer was stored once
    assert result.histogram_total == STUDENTS
