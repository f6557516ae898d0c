"""Ops the source defines: `def name(x): return …` and, optionally, `def name_backward(g, out, x)`.

A custom op is one node of the graph, and one Op like the registry's: its forward evaluates
its definition (a small graph of registry ops over its arguments); its VJP is the user's
backward when there is one — right or wrong, the run trains with it, which is the lesson — and
otherwise the reverse sweep through its definition; its JVP goes through the definition. Its
code is a call of functions the exported script defines from the same small graphs, so the
script still is the run. Every user backward is checked against central differences when the
run is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

import numpy as np

from app.engine.core.graph import Graph
from app.engine.core.schedule import Backward, Schedule
from app.engine.core.tape import Tape, forward
from app.engine.instruments import budget
from app.engine.ops.registry import Op, apply_jvp, op_flops

#: (shapes of the arguments) -> the definition's graph for them; its loss is the result
Instantiate = Callable[[tuple[tuple[int, ...], ...]], Graph]
#: (shapes of g, out, arguments) -> the backward's graph and the nodes it returns, in order
InstantiateBackward = Callable[[tuple[tuple[int, ...], ...]], tuple[Graph, list[str]]]

#: elements per argument compared in the check of a user backward, at most
CHECK_ELEMENTS = 48
#: the check passes under this relative error
CHECK_TOLERANCE = 1e-6


@dataclass
class BackwardCheck:
    ok: bool
    max_rel_error: float


@dataclass
class Definition:
    """What the language read: a definition, maybe its backward, and how to build them."""

    name: str
    args: list[str]
    instantiate: Instantiate
    #: the definitions its body and its backward call (what a recursion check follows)
    calls: set[str] = field(default_factory=set)
    #: the argument shapes of its first call: the op is made, and its backward checked, for them
    shapes: tuple | None = None
    #: the backward's parameters (g, out, then the arguments), or None without a backward
    backward_args: list[str] | None = None
    instantiate_backward: InstantiateBackward | None = None
    #: the backward's returned expressions, as source text
    backward_text: list[str] = field(default_factory=list)
    #: the names the backward reads (what its VJP saves from the forward pass)
    backward_reads: set[str] = field(default_factory=set)
    check: BackwardCheck | None = None

    @property
    def has_backward(self) -> bool:
        return self.instantiate_backward is not None


class _Cache:
    """Instantiations per shapes (the same definition may be called with several)."""

    def __init__(self, make):
        self.make = make
        self.found: dict = {}

    def __call__(self, shapes):
        shapes = tuple(tuple(s) for s in shapes)
        if shapes not in self.found:
            self.found[shapes] = self.make(shapes)
        return self.found[shapes]


def leaf_values(graph: Graph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arguments' values and the definition's constants."""
    values = dict(inputs)
    for nid in graph.order:
        node = graph.nodes[nid]
        if node.kind == "const":
            values[nid] = np.array(node.init["value"], dtype=np.float64)
    return values


def evaluate(graph: Graph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every node's value of a definition's graph from its arguments' values."""
    values = leaf_values(graph, inputs)
    for node in graph.ops:
        values[node.id] = forward(graph, values, node.id)
    return values


def _shapes(*arrays) -> tuple:
    return tuple(np.shape(a) for a in arrays)


def make_op(d: Definition, shapes: tuple, helpers: tuple[str, ...]) -> Op:
    """The Op of a definition, first called with arguments of `shapes`: forward, VJP and JVP
    evaluated on its graphs; its LaTeX shows the user's backward expression."""
    graphs = _Cache(d.instantiate)
    backwards = _Cache(d.instantiate_backward) if d.has_backward else None
    arity = len(d.args)

    def run_forward(*xs):
        graph = graphs(_shapes(*xs))
        return evaluate(graph, dict(zip(d.args, xs, strict=True)))[graph.loss]

    def through_definition(g, xs):
        graph = graphs(_shapes(*xs))
        inputs = leaf_values(graph, dict(zip(d.args, xs, strict=True)))
        schedule = Schedule(graph, d.args, output=graph.loss)
        schedule.without_updates()
        grads = Tape(schedule, inputs, 0.0, cotangent=np.asarray(g, dtype=np.float64),
                     summaries=False).grads
        return [grads.get(a, np.zeros(np.shape(x))) for a, x in zip(d.args, xs, strict=True)]

    def users_backward(g, out, xs):
        graph, outputs = backwards(_shapes(g, out, *xs))
        values = evaluate(graph, dict(zip(d.backward_args, (g, out, *xs), strict=True)))
        return [values[o] for o in outputs]

    def vjp_rule(index):
        if backwards is not None:
            return lambda g, out, *xs, **_: users_backward(g, out, xs)[index]
        return lambda g, out, *xs, **_: through_definition(g, xs)[index]

    def jvp_rule(index):
        def rule(t, out, *xs, **_):
            graph = graphs(_shapes(*xs))
            values = evaluate(graph, dict(zip(d.args, xs, strict=True)))
            tangents = {d.args[index]: t}
            for nid in graph.order:
                node = graph.nodes[nid]
                if node.kind == "op":
                    tangents[nid] = apply_jvp(graph.op(nid),
                                              [tangents.get(i) for i in node.inputs],
                                              values[nid], [values[i] for i in node.inputs],
                                              node.attrs)
            found = tangents.get(graph.loss)
            return np.zeros(np.shape(out)) if found is None else found
        return rule

    def shape(*shapes, **_):
        return graphs(shapes).nodes[graphs(shapes).loss].shape

    def count_flops(shapes):
        graph = graphs(shapes)
        return sum(op_flops(graph.op(n.id), n.shape, *(graph.nodes[i].shape for i in n.inputs))
                   for n in graph.ops)

    def count_work(shapes):
        """Every op the definition runs, nested definitions with theirs (each counted once per
        shapes: a body built once is charged for each time it runs)."""
        through = budget.graph_work(graphs(shapes))
        if backwards is None:
            return through
        out = graphs(shapes).nodes[graphs(shapes).loss].shape
        users = budget.graph_work(backwards((out, out, *shapes))[0]).forward
        return budget.Work(through.forward, users, through.jvp)

    flops_of, work_of = _Cache(count_flops), _Cache(count_work)

    fn = script_name(d.name)
    n = _tex_name(d.name).replace("{", "{{").replace("}", "}}")  # as a template
    #: ∂name/∂(argument i), as a template
    local = tuple("\\frac{{\\partial " + n + "}}{{\\partial {" + str(i) + "}}}"
                  for i in range(arity))
    slots = ", ".join(f"{{{i}}}" for i in range(arity))
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    pick = (lambda i: f"[{i}]") if arity > 1 else (lambda i: "")
    if d.has_backward:
        contrib = backward_latex(d, shapes)
        code_vjp = tuple(f"{fn}_backward({{g}}, {{out}}, {args}){pick(i)}"
                         for i in range(arity))
        reads = d.backward_reads
        saves = (("out",) if d.backward_args[1] in reads else ()) + tuple(
            str(i) for i, a in enumerate(d.backward_args[2:]) if a in reads)
    else:
        contrib = tuple("{g}\\," + local[i] for i in range(arity))
        code_vjp = tuple(f"{fn}_vjp({{g}}, {args}){pick(i)}" for i in range(arity))
        saves = tuple(map(str, range(arity)))
    return Op(
        name=d.name, arity=arity, forward=run_forward,
        vjp=tuple(vjp_rule(i) for i in range(arity)),
        shape=shape,
        latex=f"{n}({slots})",
        local=local,
        contrib=contrib,
        code=f"{fn}({args})",
        code_vjp=code_vjp,
        jvp=tuple(jvp_rule(i) for i in range(arity)),
        tangent=tuple(t + "\\,{t}" for t in local),
        code_jvp=tuple(f"{fn}_jvp_{i}({{t}}, {args})" for i in range(arity)),
        saves=saves, flops=lambda out, *shapes: flops_of(shapes),
        work=lambda out, *shapes: work_of(shapes), call_like=True, helpers=helpers,
        syntax="custom", script=script_functions(d, shapes),
        routes=(f"{d.name} routes the gradient by your backward, "
                f"{', '.join(d.backward_text)}." if d.has_backward else
                f"{d.name} routes the gradient through its definition, op by op."),
    )


def backward_latex(d: Definition, shapes: tuple) -> tuple[str, ...]:
    """The LaTeX templates of the user's backward expressions: {g}, {out}, {0}, … stand for the
    upstream gradient, the output and the arguments, as in the registry's templates."""
    from app.engine.presenter.notation import Notation  # notation does not import this module

    graph = d.instantiate(shapes)
    out_shape = graph.nodes[graph.loss].shape
    bgraph, outputs = d.instantiate_backward((out_shape, out_shape, *shapes))
    tex = Notation(bgraph)
    slots = ["g", "out", *map(str, range(len(d.args)))]
    tokens = {}
    for leaf, slot in zip(d.backward_args, slots, strict=True):
        token = f"\u27e6{slot}\u27e7"
        tex._symbols[leaf] = token
        tokens[token] = "{" + slot + "}"
    templates = []
    for o in outputs:
        text = tex.symbol(o) if bgraph.nodes[o].is_leaf else tex.formula(o)
        text = text.replace("{", "{{").replace("}", "}}")
        for token, slot in tokens.items():
            text = text.replace(token, slot)
        templates.append(text)
    return tuple(templates)


def _tex_name(name: str) -> str:
    escaped = name.replace("_", "\\_")
    return f"\\mathrm{{{escaped}}}"


def check_cost(op: Op, shapes: tuple) -> int:
    """What check_backward costs: a forward pass, then per argument its VJP and two forward
    passes per element compared."""
    work = budget.op_work(op, op.shape(*shapes), *shapes)
    return work.forward + sum(work.vjp + 2 * min(prod(s), CHECK_ELEMENTS) * work.forward
                              for s in shapes)


def check_backward(d: Definition, op: Op, shapes: tuple, seed: int = 0) -> BackwardCheck:
    """The user's VJP against central differences of ⟨g, f(x)⟩, on random inputs of the
    call's shapes (a sample of elements per argument)."""
    rs = np.random.RandomState(seed)
    xs = [rs.randn(*s) for s in shapes]
    with np.errstate(all="ignore"):
        out = op.forward(*xs)
        g = rs.randn(*np.shape(out))
        worst = 0.0
        for index, x in enumerate(xs):
            users = np.asarray(op.vjp[index](g, out, *xs), dtype=np.float64)
            if users.shape != x.shape:
                return BackwardCheck(False, float("inf"))
            positions = list(np.ndindex(*x.shape))
            if len(positions) > CHECK_ELEMENTS:
                chosen = rs.choice(len(positions), CHECK_ELEMENTS, replace=False)
                positions = [positions[i] for i in sorted(chosen)]
            numeric, mine = [], []
            for pos in positions:
                budget.check_time("the check of your backward")
                h = 1e-6 * max(1.0, abs(float(x[pos])))
                ahead, behind = [a.copy() for a in xs], [a.copy() for a in xs]
                ahead[index][pos] += h
                behind[index][pos] -= h
                numeric.append((np.sum(g * op.forward(*ahead)) -
                                np.sum(g * op.forward(*behind))) / (2 * h))
                mine.append(float(users[pos]))
            numeric, mine = np.array(numeric), np.array(mine)
            scale = max(np.max(np.abs(numeric)), np.max(np.abs(mine)), 1e-12)
            error = float(np.max(np.abs(numeric - mine)) / scale)
            worst = max(worst, error if np.isfinite(error) else float("inf"))
    return BackwardCheck(worst <= CHECK_TOLERANCE, worst)


def script_name(name: str) -> str:
    """The name of a definition's function in the exported script: its own, unless a helper
    of the script has it (`winners` → `winners_`)."""
    from app.engine.presenter.codegen import HELPER_NAMES  # codegen imports nothing of this module

    while name in HELPER_NAMES:
        name += "_"
    return name


def script_functions(d: Definition, shapes: tuple) -> str:
    """The Python functions the exported script defines for one custom op: its forward, its
    backward (the user's, or the reverse sweep through the definition as statements) and one
    JVP per argument — from the same graphs, with the same code templates, and the script's
    names of their variables (codegen.ScriptNames: an argument may be called `t` or `np`)."""
    from app.engine.presenter import codegen  # codegen imports nothing of this module

    graph = d.instantiate(shapes)
    own = codegen.names(graph)
    fn = script_name(d.name)
    args = ", ".join(codegen.var(graph, a) for a in d.args)
    lines = [f"def {fn}({args}):"]
    lines += [f"    {codegen.forward_code(graph, n.id)}" for n in graph.ops]
    lines += [f"    return {codegen.var(graph, graph.loss)}", ""]
    if d.has_backward:
        bgraph, outputs = d.instantiate_backward(
            (graph.nodes[graph.loss].shape, graph.nodes[graph.loss].shape, *shapes))
        backward_args = ", ".join(codegen.var(bgraph, a) for a in d.backward_args)
        lines.append(f"def {fn}_backward({backward_args}):")
        lines += [f"    {codegen.forward_code(bgraph, n.id)}" for n in bgraph.ops]
        returned = ", ".join(codegen.var(bgraph, o) for o in outputs)
        lines += [f"    return {returned}" if len(outputs) == 1 else f"    return ({returned})",
                  ""]
    else:
        schedule = Schedule(graph, d.args, output=graph.loss)
        lines.append(f"def {fn}_vjp({own.g}, {args}):")
        lines += [f"    {codegen.forward_code(graph, n.id)}" for n in graph.ops]
        lines.append(f"    {codegen.grad_var(graph, graph.loss)} = {own.g}")
        for event in schedule.of(Backward):
            for send in event.sends:
                lines.append(f"    {codegen.contribution_code(graph, send.edge, send.accumulate)}")
        grads = [codegen.grad_var(graph, a) if a in schedule.grad_nodes and any(
            s.edge.source == a for e in schedule.of(Backward) for s in e.sends)
            else f"np.zeros_like({codegen.var(graph, a)})" for a in d.args]
        lines += [f"    return {grads[0]}" if len(grads) == 1 else
                  f"    return ({', '.join(grads)})", ""]
    for index, arg in enumerate(d.args):
        lines.append(f"def {fn}_jvp_{index}({own.dot}, {args}):")
        lines += [f"    {codegen.forward_code(graph, n.id)}" for n in graph.ops]
        live = {arg}
        lines.append(f"    {codegen.tangent_var(graph, arg)} = {own.dot}")
        for n in graph.ops:
            flags = [i in live for i in n.inputs]
            text = codegen.tangent_code(graph, n.id, flags)
            if text is not None:
                lines.append(f"    {text}")
                live.add(n.id)
        result = codegen.tangent_var(graph, graph.loss) if graph.loss in live else \
            f"np.zeros_like({codegen.var(graph, graph.loss)})"
        lines += [f"    return {result}", ""]
    return "\n".join(lines)
