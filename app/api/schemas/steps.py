"""An iteration's documents: its steps (…/steps), the state after one step (…/steps/{k}), the
iteration document that carries every step compactly (…/iterations/{t}), one tensor in full,
and one element of a backward step written as its sum (…/steps/{k}/element)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from app.api.schemas.common import Number, Out, Shape


class ContributionOut(Out):
    edge: str
    to: str
    accumulate: bool
    shape: Shape
    latex: str
    code: str
    arrived: int = Field(description="this is the arrived-th contribution to `to`'s gradient")
    expected: int = Field(description="of this many")
    gradient: str = Field(description="`to`'s gradient as the narration writes it: ∂J/∂(y_pred - y)")


Phase = Annotated[str, Field(description="one of the run's `phases`: load, forward, seed, …")]


class StepOut(Out):
    index: int
    phase: Phase
    node: str | None
    edges: list[str]
    narration: str
    latex: str
    mathml: str
    code: str
    lines: list[int]
    memory_bytes: int
    held: list[str]
    contributions: list[ContributionOut]
    rule: str = Field(description="backward: how the op routes the gradient (its gate "
                      "pattern), and the fan-out's when a contribution is added with +=")


class StepsOut(Out):
    iteration: int
    steps: list[StepOut]


class SummaryOut(Out):
    shape: Shape
    dtype: str
    size: int
    min: Number | None
    max: Number | None
    mean: Number | None
    std: Number | None
    norm: Number | None
    nan: int
    inf: int
    values: Number | list | None
    heatmap: dict | None
    histogram: dict | None


class NodeStateOut(Out):
    """A node's fields are the run's `quantities` (value and grad, or value and tangent); a
    reverse-mode run adds the gradient's status."""

    value: SummaryOut | None
    grad: SummaryOut | None = None
    tangent: SummaryOut | None = Field(None, description="forward mode: the node's derivative "
                                       "along the run's direction")
    grad_status: Literal["none", "partial", "complete"] | None = None
    received: int | None = None
    expected: int | None = None
    updated: bool | None = None


class StateOut(Out):
    iteration: int
    step: int
    phase: Phase
    node: str | None
    edges: list[str]
    loss: Number | None
    memory_bytes: int
    nodes: dict[str, NodeStateOut]


class LayerNormOut(Out):
    name: str = Field(description="the layer: its innermost group, or a parameter in none")
    params: list[str] = Field(description="its parameters, in declaration order")
    norm: Number = Field(description="√(Σ ‖∂loss/∂p‖²) over its parameters")
    step: int = Field(description="the first step after which the norm is known")


#: a text of the iteration document: [template in `texts`, slot 0, slot 1, …]
TextRef = Annotated[list[int | str], Field(description="[template, slot 0, …]: the template's "
                                           "strings with each number n replaced by slot n")]


class HeldDelta(Out):
    keep: int = Field(description="how many of the previous step's `held` come first")
    add: list[str] = Field(description="the nodes held after them")


class CompactContributionOut(ContributionOut):
    latex: TextRef  # type: ignore[assignment]
    code: TextRef  # type: ignore[assignment]
    gradient: TextRef  # type: ignore[assignment]


class CompactStepOut(StepOut):
    """A Step with its texts as template references and `held` as a change of the previous."""

    narration: TextRef  # type: ignore[assignment]
    latex: TextRef  # type: ignore[assignment]
    mathml: TextRef  # type: ignore[assignment]
    code: TextRef  # type: ignore[assignment]
    rule: TextRef  # type: ignore[assignment]
    held: HeldDelta  # type: ignore[assignment]
    contributions: list[CompactContributionOut]  # type: ignore[assignment]


class IterationOut(Out):
    iteration: int
    loss: Number = Field(description="the loss of this iteration (before its update)")
    texts: list[list[str | int]] = Field(
        description="the steps' text templates: strings, and numbers that stand for a slot"
    )
    steps: list[CompactStepOut] = Field(description="what …/steps serves, texts as templates")
    tensors: list[list] = Field(
        description="every summary any state of the iteration shows, each once: row i is id "
        "`ti`, the Summary's fields in order (shape, dtype, size, min, max, mean, std, norm, "
        "nan, inf, values, heatmap [rows, cols, cells], histogram [edges, counts])"
    )
    changes: list[dict[str, dict[str, Any]]] = Field(
        description="per step k, node -> the fields step k changed, summaries by their id "
        "(`t12`: row 12 of `tensors`); merging changes[0..k] field by field gives the `nodes` "
        "of …/steps/{k}"
    )
    layers: list[LayerNormOut] = Field(
        description="per layer (group) with a trained parameter, input side first: the norm "
        "of the loss's gradient with respect to its parameters; empty in forward mode"
    )


class TensorOut(Out):
    node: str
    which: Literal["value", "grad", "tangent"]
    iteration: int
    step: int
    shape: Shape
    dtype: str
    values: Number | list = Field(description="nested lists in the tensor's shape")


class ElementTermOut(Out):
    index: list[int] = Field(description="the element m of the op's output")
    upstream: Number = Field(description="∂loss/∂out[m]")
    local: Number = Field(description="∂out[m]/∂input[index]: the op's JVP with a one-hot tangent")
    product: Number


class ElementOut(Out):
    """One element of a backward step's contribution, written as the sum it is."""

    iteration: int
    step: int
    node: str = Field(description="the op node whose backward step this is")
    to: str = Field(description="the input whose gradient receives the contribution")
    index: list[int] = Field(description="the input's element, one whole number per axis")
    chosen: Literal["asked", "largest"] = Field(
        description="asked: the index given; largest: the element with the largest contribution")
    terms: list[ElementTermOut] = Field(description="the terms in the output's element order, "
                                                    "at most 12 (the sum is over all)")
    count: int = Field(description="how many terms the sum has")
    total: Number = Field(description="the sum of every term")
    contribution: Number = Field(description="the tape's contribution to this element (equal "
                                             "to total up to round-off)")
    latex: str
    mathml: str
