"""Every configurable limit of the server, in one settings class read from GRADWALK_* variables.

Each setting is read from `GRADWALK_` + its name in capitals: `max_nodes` from
GRADWALK_MAX_NODES, `max_compute_seconds` from GRADWALK_MAX_COMPUTE_SECONDS. The engine's
limits are one setting per field of `app.engine.core.limits.Limits`, whose default and description
are written there only; the API's own (max_body_bytes, max_run_id_chars, cache_bytes) are
defined below.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from pydantic import Field, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.engine.core.limits import Limits


def _engine_limit_fields() -> dict:
    """One setting per field of `Limits`: its type, default and description; above zero."""
    types = typing.get_type_hints(Limits)
    return {
        limit.name: (types[limit.name],
                     Field(limit.default, gt=0, description=limit.metadata["description"]))
        for limit in dataclasses.fields(Limits)
    }


#: the engine's limits as settings, made from `Limits` itself (a new limit is written once)
_EngineLimitSettings = create_model(
    "_EngineLimitSettings", __base__=BaseSettings, **_engine_limit_fields()
)


class Settings(_EngineLimitSettings):
    """Limits and cache sizes; `GRADWALK_MAX_NODES=50` etc. override the defaults."""

    model_config = SettingsConfigDict(env_prefix="GRADWALK_", frozen=True, extra="ignore")

    # Enforced by the API (the engine's limits come from `Limits`, above).
    max_body_bytes: int = Field(64_000, ge=1, description="bytes of a request body")
    max_import_bytes: int = Field(8 * 2**20, ge=1, description="bytes of a model file posted "
                                  "to /api/v1/imports")
    max_run_id_chars: int = Field(16_000, ge=16, description="characters of a run id")

    # The per-worker cache (least recently used entries are dropped first).
    cache_bytes: int = Field(
        512 * 2**20, ge=0,
        description="bytes one worker keeps: runs, traced iterations and encoded responses",
    )

    # Where the routes' blocking work runs (app/api/compute.py).
    compute_threads: int = Field(
        2, ge=1, le=64, description="worker threads computing runs, traces and layouts"
    )
    light_threads: int = Field(
        1, ge=1, le=64, description="worker threads for light work only (a small run's build, "
                                    "trace or answer, counted before it starts): it never "
                                    "waits behind the heavy work of others"
    )
    layout_processes: int = Field(
        2, ge=0, le=64, description="processes drawing graphs never drawn before (seconds of "
                                    "pure Python for a few hundred nodes, which would hold the "
                                    "GIL the event loop needs); 0: in the computing thread",
    )
    gil_switch_ms: float = Field(
        0.5, ge=0.05, le=100,
        description="how long a thread computing may hold the GIL while another thread waits "
                    "for it (sys.setswitchinterval; Python's own is 5 ms): the event loop waits "
                    "on the computing threads for at most about this long each time it needs "
                    "the GIL, so /healthz and cached answers stay quick while runs are built",
    )
    max_queue: int = Field(
        64, ge=1, description="computations admitted at once (running or waiting); one more is "
                              "answered 503 with Retry-After",
    )

    # Class mode (app/classes): where its database lives and what one class may hold.
    data_dir: Path = Field(
        Path("data"), description="directory of the SQLite database of class mode (made on the "
                                  "first class request); relative paths from the working directory",
    )
    database_url: str | None = Field(
        None, description="a SQLAlchemy URL (postgresql://user:pass@host/db) for a database "
                          "shared by many workers and machines; default: SQLite in data_dir",
    )
    class_retention_days: int = Field(
        30, ge=1, le=3650, description="days a class (its students, questions and answers) is "
                                       "kept after it is created; then it is deleted",
    )
    max_students_per_class: int = Field(400, ge=1, le=100_000,
                                        description="students who may join one class")
    max_questions_per_class: int = Field(200, ge=1, le=10_000,
                                         description="questions one class may ask")
    max_answer_chars: int = Field(2000, ge=16, le=60_000,
                                  description="characters of one answer (a backward expression)")
    public_url: str | None = Field(
        None, description="the URL students open (https://gradwalk.example.org), for join_url "
                          "and its QR code; default: the URL the teacher's request came to",
    )

    def engine_limits(self) -> Limits:
        """The engine's view of these settings."""
        return Limits(**{limit.name: getattr(self, limit.name)
                         for limit in dataclasses.fields(Limits)})

    @property
    def max_run_id_json_bytes(self) -> int:
        """Decompression bound: the longest canonical description an allowed run can have.

        JSON escapes a character in at most 6 bytes; 4 KB covers everything but the source.
        """
        return 6 * self.max_source_chars + 4096
