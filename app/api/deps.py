"""Dependencies of the routes as `Annotated` aliases: the run store, path params."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Request

from app.api import runids
from app.api.store import RunStore
from app.engine.core.spec import RunSpec

#: a real run for the examples of /docs: micrograd's neuron, three iterations
EXAMPLE_RUN_ID = runids.encode(RunSpec(preset="micrograd-neuron", iterations=3))


def get_store(request: Request) -> RunStore:
    return request.app.state.store


StoreDep = Annotated[RunStore, Depends(get_store)]

RunIdPath = Annotated[
    str, Path(description="a run id from POST /api/v1/runs", examples=[EXAMPLE_RUN_ID])
]
IterationPath = Annotated[
    int, Path(ge=0, description="iteration t: parameters after t updates", examples=[1])
]
StepPath = Annotated[
    int, Path(ge=0, description="step k of the iteration (0 is load)", examples=[12])
]
NodePath = Annotated[str, Path(description="a node id of the run's graph", examples=["w1"])]
WhichPath = Annotated[
    Literal["value", "grad", "tangent"],
    Path(description="the node's value, ∂loss/∂node (reverse mode) or its tangent (forward mode)",
         examples=["grad"]),
]
