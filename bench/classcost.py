"""What one student costs a worker: CPU seconds of each class-mode request, against `/healthz`.

Starts one Gradwalk worker as the nginx recipe runs it (bench/load.py's `cluster`, one worker)
and talks to it directly, one request at a time, over one keep-alive connection
(bench/rawhttp.py): `/healthz` (the reference: the server's least work), then `students`
joins, each student's read of the open question, each student's answer. A phase's cost is the
worker's CPU time (user + system, from /proc) over the phase divided by its requests — CPU,
not wall time, so other processes move it less than they move latencies (still ±15 % between
two runs at a load of 10 on 2 cores: compare runs made one after the other) — and each is a
printed ratio to `/healthz`, measured in the same run. bench/classroom.py's latencies under load
follow from these costs: a worker serving a room spends them one after the other.

    python bench/classcost.py [--students 300] [--database sqlite|postgresql] [--spy FILE]

`--spy FILE` records the worker with py-spy during the students' phases (collapsed stacks).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/classcost.py` puts bench/ first on the import path (its http.py would shadow the
# standard library's): put the repository there instead, so app and bench come from this checkout
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from bench.classroom import QUESTION, RUN, class_database  # noqa: E402
from bench.load import cluster  # noqa: E402
from bench.rawhttp import Connection  # noqa: E402

#: the reference is asked this many times the students (it is short: the clock ticks 10 ms)
REFERENCE_TIMES = 5


def _py_spy() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "py-spy")
    return beside if os.path.exists(beside) else shutil.which("py-spy") or "py-spy"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _phases(base: str, pid: int, students: int) -> dict[str, float]:
    """CPU seconds per request of each phase."""
    conn = Connection(base)

    async def call(method, path, document=None, headers=None, expect=(200, 201)):
        body = None if document is None else json.dumps(document).encode()
        reply = await conn.request(method, path, body, headers)
        if reply.status not in expect:
            raise RuntimeError(f"{method} {path}: {reply.status} {reply.text[:300]}")
        return reply

    run = (await call("POST", "/api/v1/runs", RUN)).json()
    room = (await call("POST", "/api/v1/classes", {"run_id": run["run_id"]})).json()
    teacher = {"Authorization": f"Bearer {room['teacher_token']}"}
    code = room["code"]
    asked = (await call("POST", f"/api/v1/classes/{room['class_id']}/questions", QUESTION,
                        teacher)).json()
    answers = f"/api/v1/classes/{code}/questions/{asked['question_id']}/answers"
    # a first student warms what a worker makes once per class (the class's graph)
    warm = (await call("POST", f"/api/v1/classes/{code}/students", {"name": "warm"})).json()
    await call("GET", f"/api/v1/classes/{code}/questions/current",
               headers={"Authorization": f"Bearer {warm['student_token']}"})
    tokens: list[dict] = []
    phases = {
        "/healthz (reference)": lambda i: call("GET", "/healthz"),
        "join": lambda i: call("POST", f"/api/v1/classes/{code}/students", {"name": f"s{i}"},
                               {"Idempotency-Key": uuid.uuid4().hex}),
        "current question": lambda i: call("GET", f"/api/v1/classes/{code}/questions/current",
                                           headers=tokens[i]),
        "answer": lambda i: call("POST", answers, {"answer": 0.1 * i},
                                 {**tokens[i], "Idempotency-Key": uuid.uuid4().hex}),
    }
    out = {}
    for name, request in phases.items():
        count = REFERENCE_TIMES * students if name.startswith("/healthz") else students
        before = cpu_seconds(pid)
        for i in range(count):
            reply = await request(i)
            if name == "join":
                tokens.append({"Authorization": f"Bearer {reply.json()['student_token']}"})
        out[name] = (cpu_seconds(pid) - before) / count
    seen = (await call("GET", f"/api/v1/classes/{room['class_id']}/questions/"
                              f"{asked['question_id']}", headers=teacher)).json()
    if seen["answers"] != students:
        raise RuntimeError(f"{seen['answers']} answers stored, not {students}")
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--spy", help="record the worker with py-spy into this file")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        with class_database(kind) as env, cluster(workers=1, env=env) as the:
            pid = the.workers[0].pid
            spy = None
            if args.spy:
                spy = subprocess.Popen([_py_spy(), "record", "-r", "400",
                                        "-f", "raw", "-o", f"{args.spy}.{kind}", "-p", str(pid)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
            costs = asyncio.run(_phases(the.worker_urls[0], pid, args.students))
            if spy is not None:
                spy.send_signal(2)
                spy.wait()
        reference = costs["/healthz (reference)"]
        print(f"{kind}: worker CPU per request ({args.students} each, one at a time)")
        for name, seconds in costs.items():
            print(f"    {name:22} {seconds * 1000:6.2f} ms  {seconds / reference:5.1f}× /healthz")
        student = sum(v for k, v in costs.items() if k != "/healthz (reference)")
        print(f"    {'one student (3 requests)':22} {student * 1000:6.2f} ms  "
              f"{student / reference:5.1f}× /healthz")


if __name__ == "__main__":
    main()
