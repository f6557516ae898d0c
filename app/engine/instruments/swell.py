"""Symbolic differentiation against the tape (D2L 4.7): expression swell, measured.

SymPy differentiates the loss written out as one expression of the leaf elements (symbolic.py
writes it) with respect to one element; the answer says how big the derivative's expression
tree is, how big it is once common subexpressions are found again (CSE), and how many
operations the reverse sweep ran for the whole gradient — the tape does each shared
subexpression once by construction. The symbolic derivative's value is compared with the tape's
entry. Every request is bounded before any SymPy work (`bound`: the scalar operations of
writing the loss out, its leaf elements, and the nodes of its expression, tallied): a request
past a bound is a 413 that says which, and what to reduce.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import sympy

from app.engine.core.errors import InvalidRequestError, LimitError
from app.engine.core.graph import Graph
from app.engine.core.limits import Limits
from app.engine.core.schedule import Backward, Forward, Schedule
from app.engine.core.tape import Tape
from app.engine.instruments.algebras import SympyAlgebra, TallyAlgebra
from app.engine.instruments.evaluate import evaluate
from app.engine.instruments.symbolic import differentiable, expand, leaf_symbols
from app.engine.ops.registry import op_flops
from app.engine.presets import check_sweep

#: nodes of the derivative's expression written out in LaTeX, at most: its first ones in
#: order, the rest ⋯ (and the answer says so)
LATEX_NODES = 300
#: values of a size in one sweep, at most
MAX_SWEEP_VALUES = 12
#: a sweep differentiates values while their tallies add up to at most this many times
#: max_symbolic_nodes (deep-tanh's depths 1 … 8 add up to 7,172 of 8,000)
SWEEP_NODES = 2
_ELIDED = sympy.Symbol("⋯")


@dataclass
class Estimate:
    """What writing the loss out costs, counted before it is written."""

    #: scalar operations (the ops' FLOPs from the shapes)
    work: int
    #: leaf elements the loss is written in (one SymPy symbol each)
    leaves: int
    #: nodes of the loss's expression tree, tallied (None: not tallied, past the work bound)
    nodes: int | None


def estimate(graph: Graph, leaves: dict[str, np.ndarray], limits: Limits) -> Estimate:
    """What writing `graph`'s loss out costs, from the shapes and one tally of sizes (no
    expression is built); the tally only when the scalar operations are within their bound."""
    needed = graph.ancestors(graph.loss)
    work = sum(op_flops(graph.op(n.id), n.shape, *(graph.nodes[i].shape for i in n.inputs))
               for n in graph.ops if n.id in needed)
    count = sum(graph.nodes[leaf].size for leaf in differentiable(graph) if leaf in needed)
    nodes = expand(graph, leaves, TallyAlgebra)[graph.loss][()].nodes \
        if work <= limits.max_symbolic_work else None
    return Estimate(work, count, nodes)


def bound(graph: Graph, leaves: dict[str, np.ndarray], limits: Limits) -> Estimate:
    """The estimate of writing `graph`'s loss out, or LimitError naming the bound it passes
    and what to reduce."""
    return refuse(estimate(graph, leaves, limits), limits)


def refuse(found: Estimate, limits: Limits) -> Estimate:
    """`found`, or LimitError naming the first bound it passes."""
    if found.nodes is None:
        raise LimitError("max_symbolic_work", limits.max_symbolic_work, found.work,
                         "for symbolic differentiation (scalar operations of writing the loss "
                         "out element by element; reduce the batch, the widths or the depth)")
    if found.leaves > limits.max_symbolic_leaves:
        raise LimitError("max_symbolic_leaves", limits.max_symbolic_leaves, found.leaves,
                         "for symbolic differentiation (leaf elements, one symbol each, that "
                         "the loss is written in; reduce the batch or the widths)")
    if found.nodes > limits.max_symbolic_nodes:
        raise LimitError("max_symbolic_nodes", limits.max_symbolic_nodes, found.nodes,
                         "for symbolic differentiation (nodes of the loss written as one "
                         "expression, tallied before it is written: each layer multiplies "
                         "them, because a shared subexpression is written again wherever it "
                         "is used; reduce the depth, the widths or the batch)")
    return found


def tree_nodes(expr) -> int:
    """Nodes of `expr` as a tree: every operator and atom, a shared subexpression counted
    every time it occurs (computed on the shared form, so a huge tree costs little)."""
    sizes: dict = {}
    stack = [expr]
    while stack:
        e = stack[-1]
        if e in sizes:
            stack.pop()
            continue
        pending = [a for a in e.args if a not in sizes]
        if pending:
            stack.extend(pending)
            continue
        sizes[e] = 1 + sum(sizes[a] for a in e.args)
        stack.pop()
    return sizes[expr]


def shared_nodes(expr) -> int:
    """Nodes after common-subexpression elimination: every distinct subexpression once (the
    expression as the graph it is, each repeated part computed once and reused — what the
    tape does by construction). SymPy's own `cse` also splits sums and products to share
    parts of them, and on Max and Heaviside it takes seconds; this is linear in the graph."""
    seen = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if e not in seen:
            seen.add(e)
            stack.extend(e.args)
    return len(seen)


def _cut(e, budget: list[int]):
    """`e` written in preorder until `budget[0]` nodes are spent, the rest ⋯ (the unwritten
    terms of a sum or product one ⋯ together)."""
    if budget[0] <= 0:
        return _ELIDED
    budget[0] -= 1
    if not e.args:
        return e
    args = []
    for a in e.args:
        if budget[0] <= 0 and args and isinstance(e, (sympy.Add, sympy.Mul)):
            args.append(_ELIDED)
            break
        args.append(_cut(a, budget))
    try:
        return e.func(*args, evaluate=False)
    except TypeError:  # a class that takes no `evaluate` (a Piecewise pair)
        try:
            return e.func(*args)
        except (TypeError, ValueError):
            return _ELIDED
    except ValueError:
        return _ELIDED


def shortened(expr, nodes: int, limit: int = LATEX_NODES):
    """(expr to print, nodes it shows): the whole of it, or its first `limit` nodes."""
    if nodes <= limit:
        return expr, nodes
    budget = [limit]
    return _cut(expr, budget), limit - budget[0]


def _tex_names(where: dict) -> dict:
    """LaTeX of each leaf symbol: w1[0,3] as w1_{0,3}."""
    def name(leaf: str, index) -> str:
        base = "\\mathit{" + leaf.replace("_", "\\_") + "}"
        return base + ("_{" + ",".join(map(str, index)) + "}" if index else "")
    return {symbol: name(*at) for symbol, at in where.items()} | {_ELIDED: "\\cdots"}


@dataclass
class Sizes:
    #: nodes of the derivative's expression tree
    expression: int
    #: nodes after common-subexpression elimination
    with_cse: int
    #: nodes of the run's graph
    graph: int
    #: operations the reverse sweep runs for the whole gradient (forward ops + backward sends)
    tape_ops: int
    #: nodes of the loss's own expression tree (what was differentiated), and its tally
    loss: int
    estimate: int


@dataclass
class SymbolicDerivative:
    wrt: str
    index: list[int]
    latex: str
    #: the LaTeX shows the top levels only (nodes_shown of sizes.expression)
    latex_shortened: bool
    nodes_shown: int
    sizes: Sizes
    #: leaf elements the loss is written in, and those left in the derivative
    leaves: int
    derivative_leaves: int
    value: float
    autodiff: float
    rel_error: float
    seconds: dict[str, float]


def check_element(graph: Graph, wrt: str, index: tuple[int, ...]) -> None:
    """`wrt[index]` names an element of an input or parameter, or InvalidRequestError."""
    leaves = differentiable(graph)
    if wrt not in leaves:
        raise InvalidRequestError(f"{wrt!r} is not an input or parameter of the graph; "
                                  f"those are: {', '.join(leaves)}", "wrt")
    shape = graph.nodes[wrt].shape
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape,
                                                                         strict=False)):
        where = f"of shape {list(shape)}" if shape else "a scalar: no index"
        raise InvalidRequestError(f"{list(index)} is not an element of {wrt} ({where})",
                                  "index")


def _written(graph: Graph, leaves: dict):
    """(loss as one SymPy expression, leaf symbols, symbol -> (leaf, index))."""
    symbols = leaf_symbols(graph)
    loss = expand(graph, leaves, SympyAlgebra, symbols)[graph.loss][()]
    where = {s: (leaf, idx) for leaf, array in symbols.items()
             for idx, s in np.ndenumerate(array)}
    return loss, symbols, where


def tape_schedule(graph: Graph, wrt: str) -> Schedule:
    """The reverse sweep for the whole gradient: every parameter's, and `wrt`'s."""
    schedule = Schedule(graph, [*(p.id for p in graph.parameters), wrt])
    schedule.without_updates()
    return schedule


def tape_ops(schedule: Schedule) -> int:
    return len(schedule.of(Forward)) + sum(len(e.sends) for e in schedule.of(Backward))


def derivative(graph: Graph, leaves: dict[str, np.ndarray], wrt: str,
               index: tuple[int, ...], limits: Limits) -> SymbolicDerivative:
    """∂loss/∂wrt[index] by SymPy, its sizes, its value at `leaves`, and the tape's entry."""
    check_element(graph, wrt, index)
    estimate = bound(graph, leaves, limits)
    seconds = {}
    start = time.perf_counter()
    loss, symbols, where = _written(graph, leaves)
    seconds["write"] = time.perf_counter() - start
    start = time.perf_counter()
    d = sympy.diff(loss, symbols[wrt][index])
    seconds["differentiate"] = time.perf_counter() - start
    start = time.perf_counter()
    with_cse = shared_nodes(d)
    seconds["cse"] = time.perf_counter() - start
    nodes = tree_nodes(d)
    shown, nodes_shown = shortened(d, nodes)
    latex = sympy.latex(shown, symbol_names=_tex_names(where), order="none")
    start = time.perf_counter()
    value = evaluate(d, {s: leaves[where[s][0]][where[s][1]] for s in d.free_symbols})
    seconds["evaluate"] = time.perf_counter() - start
    schedule = tape_schedule(graph, wrt)
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        grads = Tape(schedule, leaves, 0.0, summaries=False).grads
    seconds["reverse"] = time.perf_counter() - start
    autodiff = float(np.asarray(grads.get(wrt, np.zeros(graph.nodes[wrt].shape)))[index])
    scale = max(abs(value), abs(autodiff))
    return SymbolicDerivative(
        wrt=wrt, index=list(index), latex=latex, latex_shortened=nodes_shown < nodes,
        nodes_shown=nodes_shown,
        sizes=Sizes(expression=nodes, with_cse=with_cse,
                    graph=len(graph.nodes), tape_ops=tape_ops(schedule),
                    loss=tree_nodes(loss), estimate=estimate.nodes),
        leaves=estimate.leaves, derivative_leaves=len(d.free_symbols), value=value, autodiff=autodiff,
        rel_error=0.0 if scale == 0 else abs(value - autodiff) / scale, seconds=seconds,
    )


@dataclass
class SweepPoint:
    value: float
    #: the derivative measured: ∂loss/∂ this leaf's first element
    wrt: str
    graph: int
    tape_ops: int
    #: the tally of the loss's expression (None past the bound on scalar operations)
    estimate: int | None
    #: the derivative's sizes (None past a bound: `over` names it)
    expression: int | None
    with_cse: int | None
    over: str | None


def first_element(graph: Graph) -> tuple[str, tuple[int, ...]]:
    """The first parameter's first element (the first input's, without parameters)."""
    wrt = (graph.parameters or [graph.nodes[n] for n in differentiable(graph)])[0]
    return wrt.id, (0,) * len(wrt.shape)


def sizes_of(graph: Graph, leaves: dict[str, np.ndarray], limits: Limits,
             spent: int = 0) -> SweepPoint:
    """The sizes for ∂loss/∂(first element), and no numerics beyond them: past a bound only
    the tape's and the tally (`over` names the bound). `spent`: the tallies a sweep has
    differentiated already; together they stay within SWEEP_NODES × max_symbolic_nodes."""
    wrt, index = first_element(graph)
    point = SweepPoint(0, wrt, len(graph.nodes), tape_ops(tape_schedule(graph, wrt)), None,
                       None, None, None)
    found = estimate(graph, leaves, limits)
    point.estimate = found.nodes
    try:
        refuse(found, limits)
    except LimitError as error:
        point.over = error.limit
        return point
    if spent + found.nodes > SWEEP_NODES * limits.max_symbolic_nodes:
        point.over = "max_symbolic_nodes"
        return point
    loss, symbols, _ = _written(graph, leaves)
    d = sympy.diff(loss, symbols[wrt][index])
    point.expression = tree_nodes(d)
    point.with_cse = shared_nodes(d)
    return point


def sweep(preset_id: str, vary: str, values: list, params: dict,
          limits: Limits) -> list[SweepPoint]:
    """The sizes for each value of the preset's integer parameter `vary` (the others as
    given or at their defaults)."""
    from app.engine.core.spec import RunSpec
    from app.engine.core.training import init_leaves
    from app.engine.language.parser import parse

    check_sweep(preset_id, vary, values, MAX_SWEEP_VALUES)
    points, spent = [], 0
    for value in values:
        spec = RunSpec(preset=preset_id, params={**params, vary: value})
        source, numbers, _, _, seed = spec.resolved()
        graph = parse(source, limits, numbers)
        point = sizes_of(graph, init_leaves(graph, seed), limits, spent)
        point.value = numbers[vary]
        if point.expression is not None:
            spent += point.estimate
        points.append(point)
    return points
