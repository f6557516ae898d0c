"""Pydantic v2 models of everything the API receives and sends (docs/json.md, field by field).

Requests are validated with these models. Responses are encoded once from the engine's dicts
and cached as bytes, so the response models document them (OpenAPI, schemathesis) without
re-validating each one. They name every field a response carries and forbid any other, so a
field the engine adds is added here too (tests/api/test_schemas.py fetches every document of
every preset and validates it; docs/json.md documents each field).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from app.api.deps import EXAMPLE_RUN_ID

#: a JSON number, or "NaN" / "Infinity" / "-Infinity" for the non-finite ones
Number = float | str
Shape = list[int]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----- Properties to receive via API on creation -----


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


# ----- Presets -----


class PresetParamOut(_Out):
    name: str
    kind: Literal["int", "float", "choice"] = Field(
        description="a choice's value is the index of one of its `options`, from 0")
    default: float
    min: float | None
    max: float | None
    description: str
    options: list[str] | None = Field(None, description="a choice's options, by index")


class PresetSummary(_Out):
    id: str
    title: str
    description: str
    params: list[PresetParamOut]
    lr: float
    iterations: int
    seed: int
    input_grads: bool = Field(description="the runs' default: whether the backward pass also "
                              "computes the data inputs' gradients (as the source text does)")


class PresetDetail(PresetSummary):
    source: str


class SourceDefaults(_Out):
    seed: int
    lr: float
    iterations: int
    input_grads: bool


class PresetList(_Out):
    presets: list[PresetSummary]
    source_defaults: SourceDefaults = Field(
        description="what a run of your own `source` uses for the seed, lr, iterations and "
                    "input_grads its request leaves out")


# ----- Runs -----


class NodeOut(_Out):
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


class EdgeOut(_Out):
    id: str
    source: str
    target: str
    index: int
    points: list[list[float]] = Field(description="polyline from source to target")


class GraphOut(_Out):
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


class BackwardCheckOut(_Out):
    ok: bool = Field(description="the relative error is under 1e-6")
    max_rel_error: Number = Field(description="the user's VJP against central differences, "
                                  "on random inputs of the call's shapes")


class CustomOpOut(_Out):
    name: str
    has_backward: bool = Field(description="the source defines NAME_backward")
    check: BackwardCheckOut | None = Field(description="null without a backward")


class RunOut(_Out):
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


class ContributionOut(_Out):
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


class StepOut(_Out):
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


class StepsOut(_Out):
    iteration: int
    steps: list[StepOut]


class SummaryOut(_Out):
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


class NodeStateOut(_Out):
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


class StateOut(_Out):
    iteration: int
    step: int
    phase: Phase
    node: str | None
    edges: list[str]
    loss: Number | None
    memory_bytes: int
    nodes: dict[str, NodeStateOut]


class LayerNormOut(_Out):
    name: str = Field(description="the layer: its innermost group, or a parameter in none")
    params: list[str] = Field(description="its parameters, in declaration order")
    norm: Number = Field(description="√(Σ ‖∂loss/∂p‖²) over its parameters")
    step: int = Field(description="the first step after which the norm is known")


#: a text of the iteration document: [template in `texts`, slot 0, slot 1, …]
TextRef = Annotated[list[int | str], Field(description="[template, slot 0, …]: the template's "
                                           "strings with each number n replaced by slot n")]


class HeldDelta(_Out):
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


class IterationOut(_Out):
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


class TensorOut(_Out):
    node: str
    which: Literal["value", "grad", "tangent"]
    iteration: int
    step: int
    shape: Shape
    dtype: str
    values: Number | list = Field(description="nested lists in the tensor's shape")


class CheckOut(_Out):
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


class ParamCheckOut(_Out):
    leaf: str
    direction: CheckOut = Field(description="along a random unit direction v (from the run's "
                                "seed): ⟨∂L/∂p, v⟩ against (L(p + h·v) − L(p − h·v)) / 2h")
    entries: list[EntryCheckOut] = Field(description="the entries of largest |gradient|")


class SweepOut(_Out):
    leaf: str = Field(description="the first parameter whose float64 error falls as h² at large "
                      "h (else the first parameter)")
    h: list[float] = Field(description="10^-1 … 10^-12, half decades, and the checks' h")
    rel_error: list[Number]
    best_h: float
    best_rel_error: Number
    truncation: bool = Field(description="whether `leaf` shows a truncation arm (error ∝ h²); "
                             "false: no parameter does, the loss is (piecewise) quadratic "
                             "along every one")


class GradCheckOut(_Out):
    dtype: Literal["float64", "float32"]
    h: float = Field(description="the h of the direction and entry checks: ε^(1/3)")
    tolerance: float = Field(description="a relative error under it is good")
    params: list[ParamCheckOut]
    sweep: SweepOut | None = Field(description="one parameter's direction over h")


class HeldOut(_Out):
    node: str
    label: str
    bytes: int
    first: int = Field(description="the step from which it is held")
    released: int | None = Field(description="the step that lets it go")


class MemoryOut(_Out):
    bytes_after: list[int] = Field(description="bytes held for the backward pass after each step")
    peak_bytes: int
    peak_step: int = Field(description="the first step at the peak")
    nodes: list[HeldOut] = Field(description="every intermediate held, in graph order")


class MemorySweepOut(_Out):
    vary: str
    values: list[int | float]
    peak_bytes: list[int] = Field(description="the ledger's peak for each value")


class SweepsOut(_Out):
    sweeps: int = Field(description="sweeps needed for the whole Jacobian")
    flops_per_sweep: int = Field(description="counted from the shapes")
    seconds_per_sweep: float = Field(description="measured on this server")
    seconds_total: float = Field(description="seconds_per_sweep × sweeps")
    measured_all: bool = Field(description="every sweep was timed (else a sample, extrapolated)")
    timed: int = Field(description="sweeps timed: at most as many as fit in 1/64 of the "
                       "compute budget (max_compute)")
    cost_per_sweep: int = Field(description="the compute budget's count of one sweep (element "
                                "operations, numpy calls included)")


class ModesOut(_Out):
    of: str
    wrt: list[str]
    outputs: int = Field(description="elements of `of`: reverse mode needs one sweep each")
    inputs: int = Field(description="elements of the `wrt` leaves: forward mode needs one "
                        "sweep each")
    forward: SweepsOut
    reverse: SweepsOut


class LossesOut(_Out):
    iterations: int
    start: int | None = Field(None, description="a page (`?start=&stop=`) only: its first "
                              "iteration")
    stop: int | None = Field(None, description="a page only: the iteration after its last")
    losses: list[Number]


# ----- Errors -----


class ErrorDetail(_Out):
    """What went wrong; beside status, kind and message, the fields of its kind."""

    status: int
    kind: str = Field(description="source, limit, not_found, invalid_request, validation, http, "
                      "busy, internal, unsupported_model, and class mode's own")
    message: str
    line: int | None = Field(None, description="source: the line")
    column: int | None = Field(None, description="source: the column")
    detail: str | None = Field(None, description="source: the message without its place")
    limit: str | None = Field(None, description="limit: the limit's name")
    value: Number | None = Field(None, description="limit: the limit's setting")
    actual: Number | None = Field(None, description="limit: what was asked for, where known")
    what: str | None = Field(None, description="not_found: what kind of thing is unknown")
    name: Any = Field(None, description="not_found: the unknown name or number")
    available: str | None = Field(None, description="not_found: what exists")
    field: str | None = Field(None, description="invalid_request, validation: the field")
    errors: list[dict[str, str]] | None = Field(None, description="validation: every problem, "
                                                "each a field and a message")
    retry_after: int | None = Field(None, description="busy: seconds to wait, as Retry-After")
    error_id: str | None = Field(None, description="internal: the id in the server's log")
    problems: list[str] | None = Field(None, description="unsupported_model: each part of the "
                                       "model the importer could not write")


class ErrorBody(_Out):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict:
    """OpenAPI `responses=` entries for the given error statuses."""
    meaning = {
        404: "unknown run, preset, iteration, step or node; `available` says what exists",
        413: "over a limit; `limit` names it, `value` is its setting",
        422: "invalid source (`line`, `column`) or request (`field`)",
        503: "busy (the queue is full, or the watchdog stopped the work): nothing is wrong "
             "with the request; send it again after `Retry-After` seconds",
    }
    # every route that computes can be busy
    return {status: {"model": ErrorBody, "description": meaning[status]}
            for status in (*statuses, 503)}


# ----- The OpenAPI schema as strict as the server -----
#
# What a pydantic model cannot say, because it depends on this server's limits or on each
# preset: exactly one of `preset` and `source`; each preset's own parameters and bounds;
# iterations up to the limit (and required when the default is over it); `lr` up to its
# maximum; a direction only in forward mode; a run id's form and length. A body the schema
# accepts is refused only for what no schema can see: the source's own errors and the sizes
# its shapes multiply to, the body's bytes, a direction outside the graph, the length of the
# source a preset writes from its parameters (deep-mlp's depth).

#: a source's named numbers, as RunSpec.resolved checks them
_FREE_PARAM_NAME = "^[A-Za-z][A-Za-z0-9_]{0,31}$"
_FREE_PARAM_BOUND = 1e12
_SOURCE_ITERATIONS = 100


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _described(original: dict, schema: dict) -> dict:
    """`schema` with the generated property's title and description."""
    kept = {k: original[k] for k in ("title", "description") if k in original}
    return {**schema, **kept}


def _run_create_variants(properties: dict, settings) -> list[dict]:
    from app.engine.core.run import MAX_FREE_PARAMS, MAX_LR
    from app.engine.presets import PRESETS

    special = ("preset", "source", "params", "iterations", "lr", "mode", "direction")
    common = {k: v for k, v in properties.items() if k not in special}
    common["lr"] = _described(properties["lr"], _nullable(
        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_LR}))
    bounded = {"type": "integer", "minimum": 1, "maximum": settings.max_iterations}

    def base(key: str, value: dict, params: dict, default_iterations: int,
             input_grads: bool) -> dict:
        over = default_iterations > settings.max_iterations  # the default would be refused
        props = {key: value, **common,
                 "input_grads": {**properties["input_grads"], "default": input_grads},
                 "params": _described(properties["params"], _nullable(params)),
                 "iterations": _described(properties["iterations"],
                                          bounded if over else _nullable(bounded))}
        return {"type": "object", "additionalProperties": False, "properties": props,
                "required": [key, "iterations"] if over else [key]}

    bases = []
    for preset in PRESETS.values():
        params = {
            p.name: {"type": "number" if p.kind == "float" else "integer",
                     "minimum": p.min, "maximum": p.max, "description": p.description + (
                         f" ({', '.join(f'{i}: {o}' for i, o in enumerate(p.options))})"
                         if p.options else "")}
            for p in preset.params
        }
        bases.append(base("preset", _described(properties["preset"], {"const": preset.id}),
                          {"type": "object", "additionalProperties": False,
                           "properties": params}, preset.iterations, preset.input_grads))
    bases.append(base(
        "source",
        _described(properties["source"],
                   {"type": "string", "maxLength": settings.max_source_chars}),
        {"type": "object", "maxProperties": MAX_FREE_PARAMS,
         "propertyNames": {"pattern": _FREE_PARAM_NAME},
         "additionalProperties": {"type": "number", "minimum": -_FREE_PARAM_BOUND,
                                  "maximum": _FREE_PARAM_BOUND}},
        _SOURCE_ITERATIONS, True,
    ))
    if "mode" not in properties:
        return bases
    variants = []
    for variant in bases:  # a direction only in forward mode
        reverse = {**variant["properties"],
                   "mode": _described(properties["mode"], {"enum": ["reverse"]}),
                   "direction": {"type": "null"}}
        variants.append({**variant, "properties": reverse})
        forward = {**variant["properties"],
                   "mode": _described(properties["mode"], {"const": "forward"}),
                   "direction": properties["direction"]}
        variants.append({**variant, "properties": forward,
                         "required": [*variant["required"], "mode"]})
    return variants


def strict_openapi(schema: dict, settings) -> dict:
    """The generated OpenAPI `schema` made as strict as this server (`settings`' limits)."""
    from app.api.runids import VERSION

    components = schema.get("components", {}).get("schemas", {})
    run = components.get("RunCreate")
    if run is not None and "properties" in run:
        components["RunCreate"] = {
            **{k: v for k, v in run.items()
               if k not in ("properties", "additionalProperties", "type", "required")},
            "oneOf": _run_create_variants(run["properties"], settings),
        }
    bounds = {
        "run_id": {"maxLength": settings.max_run_id_chars,
                   "pattern": f"^{VERSION}\\.[A-Za-z0-9_-]+$"},
        "t": {"maximum": settings.max_iterations - 1},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] in bounds:
                    parameter["schema"] = {**parameter["schema"], **bounds[parameter["name"]]}
    return schema


# ----- Symbolic differentiation (app/api/symbolic.py) -----


class SymbolicSizesOut(_Out):
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


class SymbolicSecondsOut(_Out):
    write: float = Field(description="writing the loss out as one SymPy expression")
    differentiate: float = Field(description="SymPy's diff")
    cse: float = Field(description="finding the shared subexpressions again")
    evaluate: float = Field(description="evaluating the derivative at the run's numbers")
    reverse: float = Field(description="the tape's reverse sweep for the whole gradient")


class SymbolicOut(_Out):
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


class SymbolicPointOut(_Out):
    value: int | float
    graph: int
    tape_ops: int
    estimate: int | None = Field(description="the loss's nodes, tallied (null past "
                                 "max_symbolic_work)")
    expression: int | None = Field(description="the derivative's nodes (null past a bound)")
    with_cse: int | None
    over: str | None = Field(description="the bound this value passes, if any")


class SymbolicSweepOut(_Out):
    vary: str
    wrt: str = Field(description="the derivative measured: ∂loss/∂ this leaf's first element")
    points: list[SymbolicPointOut]
    bounds: dict[str, int]
# ----- Class mode (app/api/classes.py; docs/json.md "Class mode") -----


class ClassCreate(BaseModel):
    """A class on a run: every student gets this run with a seed of their own."""

    # the example's run id is a real one (deps.EXAMPLE_RUN_ID); docs/json.md shows the rest
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"run_id": EXAMPLE_RUN_ID, "title": "Lecture 4: backpropagation"}]})

    run_id: str = Field(description="a run id from POST /api/v1/runs (reverse mode)",
                        max_length=16_000)
    title: str = Field("", max_length=200, description="shown to the students")
    self_paced: StrictBool = Field(False, description="homework: every question stays open, "
                                                      "each student sees their result on "
                                                      "answering")


class ClassCreated(_Out):
    class_id: str = Field(description="the class in the teacher's URLs")
    code: str = Field(description="6 characters to read aloud (no 0, O, 1 or I)")
    teacher_token: str = Field(description="shown once: the teacher's `Authorization: Bearer`")
    join_url: str = Field(description="the students' page of the class (and its QR code)")
    title: str
    run_id: str
    self_paced: bool
    expires_at: str = Field(description="when the class is deleted (ISO 8601, UTC)")


class ClassInfo(_Out):
    code: str
    title: str
    run_id: str
    self_paced: bool
    join_url: str
    expires_at: str


class StudentJoin(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Ada"}]})

    name: str = Field("", max_length=60, description="shown in the teacher's gradebook")


class StudentJoined(_Out):
    student_id: str
    student_token: str = Field(description="the student's `Authorization: Bearer`")
    run_id: str = Field(description="the student's own run: the class's with their own seed")
    seed: int
    number: int = Field(description="1, 2, … in the order the students joined")


class QuestionCreate(BaseModel):
    """A question at a step of the class's run."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"iteration": 0, "step": 9, "node": "h", "kind": "gradient", "index": [0, 0]}]})

    iteration: int = Field(ge=0, lt=2**31, description="iteration t")
    step: int = Field(ge=0, lt=2**31, description="the step the question is asked at")
    node: str = Field(max_length=200, description="a node id of the graph")
    kind: Literal["gradient", "value", "sign", "larger", "shape", "rule", "backward"]
    index: list[Annotated[int, Field(ge=0, lt=2**31)]] | None = Field(
        None, max_length=32, description="gradient, value, sign: the element (one index per "
                                         "axis; default the first element)")
    input: str | None = Field(None, max_length=200, description="backward: the input whose "
                                                                "contribution is asked for "
                                                                "(default: the first)")


class QuestionOut(_Out):
    question_id: str
    number: int
    iteration: int
    step: int
    node: str
    kind: str
    index: list[int]
    input: str | None = None
    prompt: str
    choices: list[str] | None = None
    open: bool
    revealed: bool


class StudentQuestionOut(QuestionOut):
    answered: bool
    yours: Any = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"answer": -0.125}]})

    answer: StrictFloat | StrictInt | StrictStr | list[StrictInt] = Field(
        description="a number (gradient, value), one of `choices` (sign, larger, rule), a "
                    "shape (a list, or text like '64x100'), or an expression (backward)")


class AnswerStored(_Out):
    question_id: str
    answered_at: str
    yours: Any = Field(description="the answer as stored (normalised)")


class HistogramBin(_Out):
    label: str
    low: float | None = None
    high: float | None = None
    count: int
    correct: int | None = Field(None, description="answers here that are right (after the "
                                                  "reveal)")
    right: bool | None = Field(None, description="a right answer of some student lies here "
                                                 "(after the reveal)")


class HistogramOut(_Out):
    kind: Literal["numbers", "categories"]
    bins: list[HistogramBin]
    below: int = 0
    above: int = 0


class QuestionStatus(QuestionOut):
    students: int = Field(description="students in the class")
    answers: int = Field(description="answers so far")
    correct: int | None = Field(None, description="right answers (after the reveal)")
    histogram: HistogramOut


class ResultOut(_Out):
    question_id: str
    correct: bool | None
    expected: Any
    yours: Any
    explanation: dict[str, Any]


# ----- One element at a time (GET …/steps/{k}/element) -----

class ElementTermOut(_Out):
    index: list[int] = Field(description="the element m of the op's output")
    upstream: Number = Field(description="∂loss/∂out[m]")
    local: Number = Field(description="∂out[m]/∂input[index]: the op's JVP with a one-hot tangent")
    product: Number


class ElementOut(_Out):
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
