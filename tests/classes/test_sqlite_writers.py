"""Two workers on one SQLite file write one after the other through the writers' queue
(app/classes/db.py), never through SQLite's busy handler: with the busy timeout at zero, a
writer that met another's open transaction would fail at once ("database is locked")."""

from __future__ import annotations

import threading

from app.classes import crud, db
from app.classes.db import Database
from app.classes.models import Class


def test_a_second_workers_writer_waits_its_turn(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 0)
    first, second = Database(tmp_path), Database(tmp_path)  # two workers' connections
    inside, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold():
        try:
            with first.writing() as session:
                crud.create_class(session, "run-1", "held", False, 1)
                inside.set()
                release.wait(30)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
            inside.set()

    def write():
        try:
            with second.writing() as session:
                crud.create_class(session, "run-2", "queued", False, 1)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(30)
    writer = threading.Thread(target=write)
    writer.start()
    writer.join(0.5)  # still waiting for its turn (on the old code: failed already)
    release.set()
    holder.join(30)
    writer.join(30)
    try:
        assert failures == []
        with second.reading() as session:
            assert sorted(session.query(Class.title).all()) == [("held",), ("queued",)]
    finally:
        first.dispose()
        second.dispose()


def test_writers_of_one_worker_take_turns_too(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 0)
    database = Database(tmp_path)
    failures: list[BaseException] = []

    def write(i: int):
        try:
            for j in range(10):
                with database.writing() as session:
                    crud.create_class(session, f"run-{i}-{j}", f"{i}-{j}", False, 1)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert failures == []
        with database.reading() as session:
            assert session.query(Class).count() == 80
    finally:
        database.dispose()
