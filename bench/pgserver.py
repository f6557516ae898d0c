"""A throwaway PostgreSQL for the tests and benches: initdb into a temporary directory, started
with pg_ctl on a free port of 127.0.0.1, stopped and removed at the end.

Debian's `postgresql` package provides the binaries (/usr/lib/postgresql/<version>/bin; `make
test` installs it). PostgreSQL refuses to run as root: as root, the server runs as the
`postgres` user the package creates. `fresh_database` makes one empty database per test.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.serving.devserver import HOST, free_port


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres() -> Iterator[str]:
    """A running PostgreSQL; yields the URL of its `postgres` database (user `gradwalk`)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    directory = tempfile.mkdtemp(prefix="gradwalk-pg-")
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = os.path.join(directory, "data")
    port = free_port()
    try:
        subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", data, "-A", "trust",
                                        "-U", "gradwalk", "--no-sync", "-E", "UTF8"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        options = (f"-p {port} -k {directory} -c listen_addresses={HOST} -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", data, "-o", options,
                                        "-l", os.path.join(directory, "log"), "-w", "start"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        yield f"postgresql://gradwalk@{HOST}:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", data, "-m", "immediate",
                                        "stop"]), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new empty database on the server; returns its URL."""
    import psycopg

    name = "gw_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server_url.replace("postgresql://", "postgresql://", 1),
                         autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name
