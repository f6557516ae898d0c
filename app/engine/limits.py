"""The engine's limits on everything a user controls: each limit is written here once.

Every field is a positive number with a one-line description. The API's settings
(app/api/settings.py) make one setting per field — `GRADWALK_` + the field's name in capitals,
e.g. `GRADWALK_MAX_NODES` — with this default and description, and build a `Limits` from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _limit(default: float, description: str):
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class Limits:
    #: the seed network's largest tensor, w1, has 100,000 elements
    max_tensor_elements: int = _limit(1_000_000, "elements in any one tensor")
    max_total_elements: int = _limit(4_000_000, "elements over all node values of a graph")
    max_nodes: int = _limit(300, "nodes in a graph (leaves, constants and ops)")
    max_iterations: int = _limit(5_000, "training iterations of a run")
    max_source_chars: int = _limit(20_000, "characters of expression source")
    max_compute_seconds: float = _limit(
        20.0, "seconds of computation for one request (training + tracing)"
    )

