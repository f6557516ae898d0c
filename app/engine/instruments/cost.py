"""The unit of the compute budget, apart from the budget so the op table can use it: what a
numpy call costs, and what one evaluation of an op costs (budget.py counts runs with them)."""

from __future__ import annotations

from dataclasses import dataclass

#: element operations one numpy call costs beyond its arithmetic (about 10 µs of numpy and
#: interpreter overhead at the ~1e9 element operations per second one core does here)
CALL_COST = 10_000


@dataclass(frozen=True)
class Work:
    """What one evaluation of an op costs, in element operations with its numpy calls."""

    forward: int
    #: one VJP (one input's contribution)
    vjp: int
    #: one JVP (one input's tangent term)
    jvp: int
