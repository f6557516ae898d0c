"""A run: the body that creates it (POST /api/v1/runs), the run document with its graph, the
graph drawn with groups collapsed (…/layout), and the losses of its iterations (…/losses)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.api.schemas.common import Number, Out, Shape

# ----- The body that creates a run -----


class DirectionIn(BaseModel):
    """One element of one leaf: its tangent is 1, every other leaf element's 0."""

    model_config = ConfigDict(extra="forbid")

    leaf: str = Field(description="an input or parameter of the graph", max_length=64)
    index: list[Annotated[int, Field(ge=0, lt=2**31)]] = Field(
        [], max_length=32, description="one index per axis of the leaf; [] for a scalar leaf"
    )


class RunCreate(BaseModel):
    """A run: a preset (with its parameters) or a source text; seed, learning rate, iterations."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"preset": "pytorch-numpy-two-layer", "params": {"N": 64, "H": 100}, "seed": 0},
                {
                    "source": "a = input(value=2.0)\nb = param(value=-3.0)\nloss = tanh(a * b)",
                    "seed": 1,
                    "lr": 0.1,
                    "iterations": 3,
                },
            ]
        },
    )

    preset: str | None = Field(None, description="id of a preset (GET /api/v1/presets)")
    params: dict[str, int | float] | None = Field(
        None, description="the preset's parameters; omitted ones take their defaults"
    )
    source: str | None = Field(None, description="expression source; the last assignment is the loss")
    seed: int | None = Field(
        None, ge=0, le=2**32 - 1,
        description="numpy RandomState seed of the leaves (default: the preset's, or 0)",
    )
    lr: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="SGD learning rate (default: the preset's)"
    )
    mode: Literal["reverse", "forward"] = Field(
        "reverse",
        description="reverse: gradients of the loss (backward sweep); forward: tangents along "
        "`direction` (one forward sweep computes values and tangents together)",
    )
    direction: DirectionIn | None = Field(
        None,
        description="forward mode only: the leaf element whose tangent is 1 "
        "(default: the first parameter's first element)",
    )
    iterations: int | None = Field(
        None, ge=1, description="training iterations (default: the preset's)"
    )
    input_grads: StrictBool | None = Field(
        None,
        description="whether the backward pass also computes the gradients of the data inputs "
        "(∂loss/∂x); false prunes the backward work that only serves them (default: the "
        "preset's `input_grads`; true for a source)",
    )


# ----- The run document -----


class NodeOut(Out):
    id: str
    label: str
    kind: Literal["input", "param", "labels", "const", "op"]
    op: str | None
    inputs: list[str]
    shape: Shape
    line: int | None = Field(description="its line in the source (null: made by the server)")
    attrs: dict[str, Any] = Field(description="the op's attributes (axis, keepdims, p, key…); "
                                  "{} for a leaf")
    groups: list[str] = Field(description="the `with group(...)` blocks around the node, "
                              "outermost first; [] outside any group")
    short: str = Field(description="the label cut to fit a node box, distinct from every "
                       "other node's (the full label is `label`)")
    gradient: str | None = Field(description="the node's gradient as the steps write it "
                                 "(∂J/∂(y_pred - y)); null when the run never computes one")
    x: float
    y: float


class EdgeOut(Out):
    id: str
    source: str
    target: str
    index: int
    points: list[list[float]] = Field(description="polyline from source to target")


class GraphOut(Out):
    loss: str
    width: float
    height: float
    nodes: list[NodeOut]
    edges: list[EdgeOut]
    found_groups: list[str] = Field([], description="groups Gradwalk found in a large graph "
                                    "typed without any (the same block of statements "
                                    "repeated: \"layer 1\", \"layer 2\"…), in order; [] "
                                    "when the source writes its own")


class LayoutNodeOut(NodeOut):
    kind: Literal["input", "param", "labels", "const", "op", "group"]
    members: list[str] | None = Field(None, description="a collapsed group: the ids of the "
                                      "nodes inside it, in order")
    stack: list[str] | None = Field(None, description="a stack of identical collapsed groups "
                                    "in a row (`?stacked=true`): their names, in order")


class LayoutOut(GraphOut):
    """The run's graph with some groups collapsed, drawn: shaped like the run's `graph`."""

    nodes: list[LayoutNodeOut]
    collapsed: list[str] = Field(description="the groups drawn as one node each (a group "
                                 "inside another collapsed group is not listed)")


class BackwardCheckOut(Out):
    ok: bool = Field(description="the relative error is under 1e-6")
    max_rel_error: Number = Field(description="the user's VJP against central differences, "
                                  "on random inputs of the call's shapes")


class CustomOpOut(Out):
    name: str
    has_backward: bool = Field(description="the source defines NAME_backward")
    check: BackwardCheckOut | None = Field(description="null without a backward")


class RunOut(Out):
    run_id: str = Field(description="self-contained id: the same body always gives the same id")
    source: str
    preset: str | None
    params: dict[str, int | float] | None
    seed: int
    lr: float
    iterations: int
    mode: Literal["reverse", "forward"]
    direction: DirectionIn | None = Field(description="forward mode: the leaf element whose "
                                          "tangent is 1; null in reverse mode")
    input_grads: bool = Field(description="the backward pass also computes the data inputs' "
                              "gradients (∂loss/∂x)")
    custom_ops: list[CustomOpOut] = Field(description="ops the source defines with `def`")
    steps_per_iteration: int
    phases: dict[str, list[int]] = Field(
        description="the run's phases in order, each [first step, last step]"
    )
    quantities: list[str] = Field(
        description="what each node of a state carries besides its status: value, grad, …"
    )
    graph: GraphOut


class LossesOut(Out):
    iterations: int
    start: int | None = Field(None, description="a page (`?start=&stop=`) only: its first "
                              "iteration")
    stop: int | None = Field(None, description="a page only: the iteration after its last")
    losses: list[Number]
