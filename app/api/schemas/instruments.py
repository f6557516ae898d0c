"""The instruments' documents: the gradient check, the memory held for backward (and its sweep
over a preset's parameter), forward against reverse mode, and symbolic differentiation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.schemas.common import Number, Out


class CheckOut(Out):
    autodiff: Number
    numerical: Number
    rel_error: Number = Field(description="|autodiff − numerical| / max(|autodiff|, |numerical|)")
    roundoff: Number = Field(description="the estimated round-off of the central difference, "
                             "ε·(|L(p + h·v)| + |L(p − h·v)|) / 2h")
    verdict: Literal["good", "roundoff", "bad"] = Field(
        description="good: rel_error under the tolerance; roundoff: over it, but "
        "|autodiff − numerical| is at most 10 × roundoff, so the finite difference is the "
        "inaccurate side; bad: autodiff and the difference disagree beyond both")


class EntryCheckOut(CheckOut):
    index: list[int]


class ParamCheckOut(Out):
    leaf: str
    direction: CheckOut = Field(description="along a random unit direction v (from the run's "
                                "seed): ⟨∂L/∂p, v⟩ against (L(p + h·v) − L(p − h·v)) / 2h")
    entries: list[EntryCheckOut] = Field(description="the entries of largest |gradient|")


class SweepOut(Out):
    leaf: str = Field(description="the first parameter whose float64 error falls as h² at large "
                      "h (else the first parameter)")
    h: list[float] = Field(description="10^-1 … 10^-12, half decades, and the checks' h")
    rel_error: list[Number]
    best_h: float
    best_rel_error: Number
    truncation: bool = Field(description="whether `leaf` shows a truncation arm (error ∝ h²); "
                             "false: no parameter does, the loss is (piecewise) quadratic "
                             "along every one")


class GradCheckOut(Out):
    dtype: Literal["float64", "float32"]
    h: float = Field(description="the h of the direction and entry checks: ε^(1/3)")
    tolerance: float = Field(description="a relative error under it is good")
    params: list[ParamCheckOut]
    sweep: SweepOut | None = Field(description="one parameter's direction over h")


class HeldOut(Out):
    node: str
    label: str
    bytes: int
    first: int = Field(description="the step from which it is held")
    released: int | None = Field(description="the step that lets it go")


class MemoryOut(Out):
    bytes_after: list[int] = Field(description="bytes held for the backward pass after each step")
    peak_bytes: int
    peak_step: int = Field(description="the first step at the peak")
    nodes: list[HeldOut] = Field(description="every intermediate held, in graph order")


class MemorySweepOut(Out):
    vary: str
    values: list[int | float]
    peak_bytes: list[int] = Field(description="the ledger's peak for each value")


class SweepsOut(Out):
    sweeps: int = Field(description="sweeps needed for the whole Jacobian")
    flops_per_sweep: int = Field(description="counted from the shapes")
    seconds_per_sweep: float = Field(description="measured on this server")
    seconds_total: float = Field(description="seconds_per_sweep × sweeps")
    measured_all: bool = Field(description="every sweep was timed (else a sample, extrapolated)")
    timed: int = Field(description="sweeps timed: at most as many as fit in 1/64 of the "
                       "compute budget (max_compute)")
    cost_per_sweep: int = Field(description="the compute budget's count of one sweep (element "
                                "operations, numpy calls included)")


class ModesOut(Out):
    of: str
    wrt: list[str]
    outputs: int = Field(description="elements of `of`: reverse mode needs one sweep each")
    inputs: int = Field(description="elements of the `wrt` leaves: forward mode needs one "
                        "sweep each")
    forward: SweepsOut
    reverse: SweepsOut


class SymbolicSizesOut(Out):
    expression: int = Field(description="nodes of the derivative's expression tree (a shared "
                            "subexpression counted every time it occurs)")
    with_cse: int = Field(description="nodes after common-subexpression elimination: every "
                          "distinct subexpression once")
    graph: int = Field(description="nodes of the run's graph")
    tape_ops: int = Field(description="operations reverse mode ran for the whole gradient "
                          "(forward ops + backward sends)")
    loss: int = Field(description="nodes of the loss's own expression tree")
    estimate: int = Field(description="the loss's nodes as tallied before it was written "
                          "(what max_symbolic_nodes bounds)")


class SymbolicSecondsOut(Out):
    write: float = Field(description="writing the loss out as one SymPy expression")
    differentiate: float = Field(description="SymPy's diff")
    cse: float = Field(description="finding the shared subexpressions again")
    evaluate: float = Field(description="evaluating the derivative at the run's numbers")
    reverse: float = Field(description="the tape's reverse sweep for the whole gradient")


class SymbolicOut(Out):
    wrt: str
    index: list[int]
    iteration: int
    derivative_latex: str = Field(description="the derivative's LaTeX; past `latex_nodes` "
                                  "nodes its first nodes only, the rest \\cdots")
    derivative_mathml: str
    latex_shortened: bool = Field(description="the LaTeX shows `nodes_shown` of "
                                  "`size.expression` nodes")
    nodes_shown: int
    latex_nodes: int = Field(description="the bound on nodes written out")
    size: SymbolicSizesOut
    leaves: int = Field(description="leaf elements (symbols) the loss is written in")
    derivative_leaves: int = Field(description="symbols left in the derivative")
    value: Number = Field(description="the symbolic derivative evaluated at the run's numbers")
    autodiff: Number = Field(description="the tape's entry of ∂loss/∂wrt")
    rel_error: Number
    seconds: SymbolicSecondsOut
    bounds: dict[str, int] = Field(description="the bounds checked before any work")


class SymbolicPointOut(Out):
    value: int | float
    graph: int
    tape_ops: int
    estimate: int | None = Field(description="the loss's nodes, tallied (null past "
                                 "max_symbolic_work)")
    expression: int | None = Field(description="the derivative's nodes (null past a bound)")
    with_cse: int | None
    over: str | None = Field(description="the bound this value passes, if any")


class SymbolicSweepOut(Out):
    vary: str
    wrt: str = Field(description="the derivative measured: ∂loss/∂ this leaf's first element")
    points: list[SymbolicPointOut]
    bounds: dict[str, int]
