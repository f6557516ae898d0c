"""The database of class mode: its engine, sessions and migrations.

SQLite by default — a file `gradwalk.sqlite3` in the `data_dir` setting, in WAL mode with a busy
timeout, so several workers on one machine share it with nothing else to set up — or any
database `GRADWALK_DATABASE_URL` names (PostgreSQL through psycopg 3), shared by workers on many
machines. The schema is Alembic's (migrations/, inside the package), brought up to date when a
worker first needs the database; workers starting together take turns (a file lock for SQLite,
an advisory lock for PostgreSQL). A write transaction on SQLite begins IMMEDIATE, so two
workers' writers never fail on a stale snapshot, and it first takes its turn in a queue of the
machine's writers (a thread lock in the worker, then an exclusive `flock` on a file beside the
database): SQLite's own busy handler polls, sleeping up to 100 ms between tries while newer
writers pass, which under a room of students answering at once made some wait seconds; a
writer waiting in the queue is woken the moment the one before it commits.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "gradwalk.sqlite3"
#: milliseconds a SQLite writer waits for another worker's transaction before giving up
BUSY_TIMEOUT_MS = 10_000
#: threads that may hold a connection at once: starlette's thread pool (anyio's default, 40),
#: where every database call runs; PostgreSQL keeps 10 open and opens the rest when needed, so
#: no request waits for a connection while a thread is free
THREADS = 40
#: PostgreSQL advisory lock held while migrating (any number; this one spells "gradwalk")
MIGRATION_LOCK = 0x67726164


def database_url(data_dir: Path, url: str | None) -> str:
    """The SQLAlchemy URL: `url` with psycopg 3 as PostgreSQL's driver, or the SQLite file."""
    if url:
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+psycopg://" + url[len(plain):]
        return url
    return f"sqlite:///{Path(data_dir).resolve() / SQLITE_FILE}"


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                              "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by sqlite3
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        writing = connection.get_execution_options().get("gradwalk_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


class Database:
    """One worker's connection to the class database, made (and migrated) on first use."""

    def __init__(self, data_dir: Path, url: str | None = None):
        self.data_dir = Path(data_dir)
        self.url = database_url(self.data_dir, url)
        self._engine: Engine | None = None
        #: the engine as write transactions use it (SQLite: BEGIN IMMEDIATE), made once
        self._writer_bind: Engine | None = None
        self._lock = threading.Lock()
        #: SQLite: this worker's writers, one at a time (then the machine's, by _writers_file)
        self._writer = threading.Lock()
        self._writers_file = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    if self.is_sqlite:
                        self.data_dir.mkdir(parents=True, exist_ok=True)
                        engine = _sqlite_engine(self.url)
                    else:
                        engine = create_engine(self.url, pool_pre_ping=True, pool_size=10,
                                               max_overflow=THREADS - 10)
                    self._migrate(engine)
                    self._writer_bind = engine.execution_options(gradwalk_write=True)
                    self._engine = engine
        return self._engine

    def _migrate(self, engine: Engine) -> None:
        """Bring the schema to Alembic's head, one worker at a time."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        if self.is_sqlite:
            with open(self.data_dir / (SQLITE_FILE + ".migrate-lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                with engine.connect() as connection:
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    connection.commit()
            return
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": MIGRATION_LOCK})
                connection.commit()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads (no commit)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose transaction is committed at the end (rolled back on an error)."""
        self.engine  # noqa: B018 (made on first use)
        with self._turn(), Session(self._writer_bind, expire_on_commit=False) as session, \
                session.begin():
            yield session

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """SQLite: wait for this writer's turn among the machine's (see the module's text)."""
        if not self.is_sqlite:
            yield
            return
        with self._writer:
            if self._writers_file is None:
                self._writers_file = open(self.data_dir / (SQLITE_FILE + ".write-lock"), "a")
            fcntl.flock(self._writers_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._writers_file, fcntl.LOCK_UN)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._writers_file is not None:
            self._writers_file.close()
            self._writers_file = None
