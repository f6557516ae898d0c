"""Fixtures of the class-mode tests: each runs on SQLite and on PostgreSQL.

One PostgreSQL server is started for the whole session (bench/pgserver.py: initdb + pg_ctl
into a temporary directory) and each test gets a fresh database on it; SQLite tests get a
fresh data directory. Without PostgreSQL's binaries the PostgreSQL cases are skipped, saying so.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.settings import Settings
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is beside app/, not a package of its own
    sys.path.insert(0, str(ROOT))
from bench import pgserver  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server():
    if pgserver.binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql; `make test` installs it)")
    with pgserver.postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> dict:
    """The settings that put class mode on one back-end: a data directory or a database URL."""
    if request.param == "sqlite":
        return {"data_dir": tmp_path / "data"}
    server = request.getfixturevalue("postgres_server")
    return {"data_dir": tmp_path / "unused", "database_url": pgserver.fresh_database(server)}


@pytest.fixture
def make_client(database):
    """Apps on the test's database (several: a restart is a new app on the same database)."""
    made = []

    def make(**settings) -> TestClient:
        app = create_app(Settings(**{**database, **settings}))
        made.append(app)
        return TestClient(app)

    yield make
    for app in made:
        app.state.classroom.db.dispose()


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()
