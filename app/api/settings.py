"""Every configurable limit of the server, in one settings class read from GRADWALK_* variables.

The engine's own limits (tensor and graph sizes, iterations, source length, compute time) are
handed to it as an `app.engine.limits.Limits`; the rest (request body, run id length, cache
sizes) are enforced by the API itself.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.engine.limits import Limits


class Settings(BaseSettings):
    """Limits and cache sizes; `GRADWALK_MAX_NODES=50` etc. override the defaults."""

    model_config = SettingsConfigDict(env_prefix="GRADWALK_", frozen=True, extra="ignore")

    # Passed to the engine.
    max_tensor_elements: int = Field(1_000_000, ge=1, description="elements in any one tensor")
    max_total_elements: int = Field(4_000_000, ge=1, description="elements over all node values")
    max_nodes: int = Field(300, ge=1, description="nodes in a graph")
    max_iterations: int = Field(5_000, ge=1, description="training iterations of a run")
    max_source_chars: int = Field(20_000, ge=1, description="characters of expression source")
    max_compute_seconds: float = Field(20.0, gt=0, description="seconds of compute per request")

    # Enforced by the API.
    max_body_bytes: int = Field(64_000, ge=1, description="bytes of a request body")
    max_run_id_chars: int = Field(16_000, ge=16, description="characters of a run id")

    # The per-worker cache (least recently used entries are dropped first).
    cache_bytes: int = Field(
        512 * 2**20, ge=0,
        description="bytes one worker keeps: runs, traced iterations and encoded responses",
    )

    def engine_limits(self) -> Limits:
        """The engine's view of these settings."""
        return Limits(
            max_tensor_elements=self.max_tensor_elements,
            max_total_elements=self.max_total_elements,
            max_nodes=self.max_nodes,
            max_iterations=self.max_iterations,
            max_source_chars=self.max_source_chars,
            max_compute_seconds=self.max_compute_seconds,
        )

    @property
    def max_run_id_json_bytes(self) -> int:
        """Decompression bound: the longest canonical description an allowed run can have.

        JSON escapes a character in at most 6 bytes; 4 KB covers everything but the source.
        """
        return 6 * self.max_source_chars + 4096
