"""Writers of two workers on one SQLite class database: how long a write transaction waits.

Two processes (two workers) of 8 threads each (a worker's thread pool) write 40 classes each,
one short transaction at a time, into one fresh data directory — the write pattern of a room
joining and answering at once. Prints the p50, p99 and longest seconds of a write (waiting for
its turn included) and the whole run's. app/classes/db.py queues the writers (a thread lock,
then `flock`); without the queue, SQLite's busy handler polls, and some writers waited seconds.

    python bench/sqlite_writers.py
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time

THREADS, WRITES = 8, 40


def _worker(directory: str, out: multiprocessing.Queue) -> None:
    from app.classes import crud
    from app.classes.db import Database

    database = Database(directory)
    seconds: list[float] = []

    def writer(i: int) -> None:
        for j in range(WRITES):
            started = time.perf_counter()
            with database.writing() as session:
                crud.create_class(session, f"run-{os.getpid()}-{i}-{j}", "", False, 1)
            seconds.append(time.perf_counter() - started)
            time.sleep(0.005)  # a request's work between two writes

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(seconds)


def main() -> None:
    from app.classes.db import Database

    with tempfile.TemporaryDirectory(prefix="gradwalk-writers-") as directory:
        schema = Database(directory)
        schema.engine.dispose()  # the schema, made before the clock starts
        out: multiprocessing.Queue = multiprocessing.Queue()
        workers = [multiprocessing.Process(target=_worker, args=(directory, out))
                   for _ in range(2)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        seconds = sorted(out.get() + out.get())
        for worker in workers:
            worker.join()
    n = len(seconds)
    print(f"{n} writes by 2 workers × {THREADS} threads in {time.perf_counter() - started:.1f} s: "
          f"p50 {seconds[n // 2] * 1000:.0f} ms, p99 {seconds[int(0.99 * n)] * 1000:.0f} ms, "
          f"longest {seconds[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
