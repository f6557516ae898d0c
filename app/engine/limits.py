"""The engine's limits on everything a user controls. The API builds one from its settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    #: elements in any one tensor (the seed network's largest, w1, has 100,000)
    max_tensor_elements: int = 1_000_000
    #: elements over all node values of a graph
    max_total_elements: int = 4_000_000
    #: nodes in a graph (leaves, constants and ops)
    max_nodes: int = 300
    #: training iterations of a run
    max_iterations: int = 5_000
    #: characters of expression source
    max_source_chars: int = 20_000
    #: seconds of computation for one request (training + tracing)
    max_compute_seconds: float = 20.0


DEFAULT_LIMITS = Limits()
