"""Graph -> numpy statements, and the standalone script that reproduces a run's losses.

Statements are named after the graph's variables, in the seed script's style: `h = x @ w1`,
`grad_w1 = x.T @ grad_h` (`grad_v` is the gradient of the loss with respect to v). Every
statement comes from the op registry's code templates; the script is the same statements the
presenter shows, in the schedule's order (schedule.py), so each step knows its lines in the script.

The script is the run for every name the language allows: a user's name that the script uses
itself (numpy's `np`, a builtin it calls, a helper, a definition's `f_vjp`, a named number
`grad_x`) is renamed in the script (`np_`, `n_grad_x`), and the script's own variables (the
learning rate, the RandomState, the loop variable) take names no node has (ScriptNames).
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field

from app.engine.core.graph import Edge, Graph
from app.engine.core.schedule import Backward, Event, EventReader, Forward, Schedule, Seed, Update
from app.engine.core.shapes import reduce_code
from app.engine.ops.helpers import SCRIPT_HELPERS
from app.engine.ops.registry import num, render

#: a contribution that is another gradient itself, or a view of it (`.T`)
_ALIAS = re.compile(r"grad_\w+(\.T)*")
#: a function the script defines (helpers, the source's own functions)
_TOP_LEVEL_DEF = re.compile(r"^def\s+(\w+)", re.MULTILINE)
#: the names the helpers define (functions, their imports and globals)
HELPER_NAMES = frozenset(
    name for text in SCRIPT_HELPERS.values()
    for groups in re.findall(r"^def (\w+)|^(\w+) =|^import (\w+)", text, re.MULTILINE)
    for name in groups if name)
#: every name the script uses beside the user's: numpy, Python's builtins and keywords, the
#: helpers; `grad_` and `dot_` begin its gradients and tangents
VOCABULARY = frozenset({"np"} | HELPER_NAMES | set(dir(builtins)) | set(keyword.kwlist))
PREFIXES = ("grad_", "dot_")


def definition_functions(name: str, arity: int) -> set[str]:
    """The functions the script defines for a definition `name` of `arity` arguments."""
    return {name, f"{name}_backward", f"{name}_vjp",
            *(f"{name}_jvp_{i}" for i in range(arity))}


class ScriptNames:
    """The script's name of every node of a graph, and the names of its own variables."""

    def __init__(self, graph: Graph):
        functions = set()
        for op in graph.custom.values():  # the functions the script defines for them
            functions |= set(_TOP_LEVEL_DEF.findall(op.script))
        used = VOCABULARY | functions
        taken = set(used) | set(graph.nodes)
        self.of: dict[str, str] = {}
        for nid in graph.order:
            name = nid
            if nid in used or nid.startswith(PREFIXES):
                name = f"n_{nid}" if nid.startswith(PREFIXES) else f"{nid}_"
                while name in taken:
                    name += "_"
                taken.add(name)
            self.of[nid] = name
        taken |= {prefix + name for name in self.of.values() for prefix in PREFIXES}
        self.lr = _free_name(taken, "learning_rate", "lr", "step_size")
        self.rs = _free_name(taken | {self.lr}, "rs", "rng", "random_state")
        self.t = _free_name(taken | {self.lr, self.rs}, "t", "it", "iteration")
        #: the upstream gradient of a definition's VJP and the tangent of its JVPs
        self.g = _free_name(taken, "g")
        self.dot = _free_name(taken | {self.g}, "t")


def names(graph: Graph) -> ScriptNames:
    """The graph's ScriptNames, made once (a graph never changes)."""
    found = graph.__dict__.get("_script_names")
    if found is None:
        found = graph.__dict__["_script_names"] = ScriptNames(graph)
    return found


def var(graph: Graph, nid: str) -> str:
    """The python name (or literal) of a node's value in the script."""
    node = graph.nodes[nid]
    if node.kind == "const" and not node.named:
        value = node.init["value"]
        return num(value) if value >= 0 else f"({num(value)})"
    return names(graph).of[nid]


def grad_var(graph: Graph, nid: str) -> str:
    return f"grad_{names(graph).of[nid]}"


def _fmt(graph: Graph, nid: str) -> dict:
    node = graph.nodes[nid]
    return graph.op(nid).fmt(**node.attrs)


def forward_code(graph: Graph, nid: str) -> str:
    node = graph.nodes[nid]
    inputs = [var(graph, i) for i in node.inputs]
    return f"{var(graph, nid)} = {render(graph.op(nid).code, _fmt(graph, nid), inputs)}"


def contribution_code(graph: Graph, edge: Edge, accumulate: bool) -> str:
    """`grad_src = ...` (first contribution) or `grad_src += ...` for one backward edge."""
    node = graph.nodes[edge.target]
    op = graph.op(node.id)
    inputs = [var(graph, i) for i in node.inputs]
    expr = render(op.code_vjp[edge.index], _fmt(graph, node.id), inputs,
                  g=grad_var(graph, node.id), out=var(graph, node.id))
    in_shape = graph.nodes[edge.source].shape
    expr = reduce_code(expr, node.shape if op.broadcasts else in_shape, in_shape)
    if not accumulate and _ALIAS.fullmatch(expr) and len(graph.edges_out[edge.source]) > 1:
        # `grad_a = grad_h` names the same array: a later `grad_a += ...` would change
        # grad_h too (and every other name of it), so a gradient that may be added to owns
        # its array
        expr += ".copy()"
    return f"{grad_var(graph, edge.source)} {'+=' if accumulate else '='} {expr}"


def tangent_var(graph: Graph, nid: str) -> str:
    return f"dot_{names(graph).of[nid]}"


def tangent_code(graph: Graph, nid: str, live: list[bool]) -> str | None:
    """`dot_h = dot_x @ w1 + x @ dot_w1`: the tangent of op `nid` from the inputs whose
    tangent is live (non-zero); None when none is."""
    node = graph.nodes[nid]
    op = graph.op(nid)
    inputs = [var(graph, i) for i in node.inputs]
    terms = [render(op.code_jvp[index], _fmt(graph, nid), inputs, t=tangent_var(graph, i),
                    out=var(graph, nid))
             for index, i in enumerate(node.inputs) if live[index]]
    if not terms:
        return None
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    if op.broadcasts and any(graph.nodes[i].shape != node.shape
                             for index, i in enumerate(node.inputs) if live[index]):
        # a tangent only a smaller input carries is broadcast to the output's shape, as the
        # tape's (apply_jvp): `dot_v = dot_a` would keep a's shape
        text = f"np.broadcast_to({text}, {tuple(node.shape)!r})"
    return f"{tangent_var(graph, nid)} = {text}"


def seed_code(graph: Graph) -> str:
    return f"{grad_var(graph, graph.loss)} = np.float64(1.0)"


def update_code(graph: Graph, pid: str) -> str:
    return f"{var(graph, pid)} -= {names(graph).lr} * {grad_var(graph, pid)}"


def leaf_code(graph: Graph, leaf: str) -> list[str]:
    """The statements that draw `leaf` from the script's RandomState."""
    node = graph.nodes[leaf]
    nid, rs = var(graph, leaf), names(graph).rs
    init = node.init
    dims = ", ".join(str(n) for n in node.shape)
    if init["dist"] == "value":
        return [f"{nid} = np.float64({num(init['value'])})"]
    if init["dist"] == "normal":
        scale = f" * {num(init['scale'])}" if "scale" in init else ""
        if not node.shape:  # rs.randn() is a Python float: no .size, no .T
            return [f"{nid} = np.float64({rs}.randn()){scale}"]
        return [f"{nid} = {rs}.randn({dims}){scale}"]
    if init["dist"] == "onehot":
        rows, classes = node.shape
        return [f"{nid} = np.zeros(({dims}))",
                f"{nid}[np.arange({rows}), {rs}.randint({classes}, size={rows})] = 1.0"]
    if init["dist"] in ("zeros", "ones"):
        return [f"{nid} = np.{init['dist']}(({dims}{',' if len(node.shape) == 1 else ''}))"]
    if init["dist"] == "uniform":
        size = f"({dims}{',' if len(node.shape) == 1 else ''})"
        return [f"{nid} = {rs}.uniform({num(init['low'])}, {num(init['high'])}, "
                f"size={size})"]
    if init["dist"] == "dropout":  # as training.init_leaves draws it
        p = num(init["p"])
        return [f"{nid} = np.asarray({rs}.rand({dims}) >= {p}, dtype=np.float64) / (1 - {p})"]
    if init["dist"] == "labels":
        size = dims if len(node.shape) == 1 else f"({dims})"  # ids (B, T) of an embedding
        return [f"{nid} = {rs}.randint({init['classes']}, size={size}).astype(np.float64)"]
    return [f"{nid} = ({rs}.rand({dims}) < 0.5).astype(np.float64)"]


def _free_name(taken, *candidates: str) -> str:
    """The first candidate not `taken` (else the last with underscores): the script's own
    variables never take a user's name."""
    for name in candidates:
        if name not in taken:
            return name
    name = candidates[-1]
    while name in taken:
        name += "_"
    return name


@dataclass
class Script:
    text: str
    #: ("load", None) / ("forward", nid) / ("seed", loss) / ("backward", nid) /
    #: ("update", pid) -> 1-based line numbers of that step's statements
    lines: dict[tuple[str, str | None], list[int]] = field(default_factory=dict)


def script(schedule: Schedule, seed: int, lr: float, iterations: int,
           title: str = "your graph") -> Script:
    """A standalone numpy script: same RandomState order, then the schedule's forward,
    manual backward and SGD statements."""
    graph = schedule.graph
    out: list[str] = []
    lines: dict[tuple[str, str | None], list[int]] = {}

    def emit(text: str, key=None, indent: int = 0) -> None:
        out.append("    " * indent + text)
        if key is not None:
            lines.setdefault(key, []).append(len(out))

    emit(f'"""Generated by Gradwalk from {title}: prints the loss of every iteration.')
    emit("")
    emit("grad_v is the gradient of the loss with respect to v (d loss / d v).")
    emit('"""')
    emit("import numpy as np")
    emit("")
    helpers = dict.fromkeys(h for node in graph.ops for h in graph.op(node.id).helpers)
    helpers.update(dict.fromkeys(h for op in graph.custom.values() for h in op.helpers))
    for name in helpers:
        out.extend(SCRIPT_HELPERS[name].rstrip("\n").split("\n"))
        emit("")
    for op in graph.custom.values():  # ops the source defines, in definition order
        out.extend(op.script.rstrip("\n").split("\n"))
        emit("")
    used_numbers = [n for n in graph.order if graph.nodes[n].kind == "const"
                    and graph.nodes[n].named]
    for name in used_numbers:
        emit(f"{var(graph, name)} = {num(graph.nodes[name].init['value'])}", ("load", None))
    own = names(graph)
    rs, t = own.rs, own.t
    emit(f"{rs} = np.random.RandomState({seed})")
    for nid in graph.order:
        if graph.nodes[nid].kind in ("input", "param", "labels"):
            for text in leaf_code(graph, nid):
                emit(text, ("load", None))
    emit(f"{own.lr} = {lr!r}")
    emit("")
    emit(f"for {t} in range({iterations}):")
    _Loop(graph, emit, t).read(schedule.events)
    return Script("\n".join(out) + "\n", lines)


class _Loop(EventReader):
    """The training loop's body: each event's statements (indented once, each line keyed by
    its step: `Script.lines`), a comment where the forward pass, the backward pass and the
    updates begin."""

    HEADERS = {Forward: ["# Forward pass"],
               Seed: ["", "# Backward pass: the gradient of the loss with respect to every node"],
               Update: ["", "# Update the parameters"]}

    def __init__(self, graph: Graph, emit, t: str):
        self.graph, self.emit, self.t = graph, emit, t
        self.begun: set[type] = set()

    def _statement(self, event: Event, text: str) -> None:
        if type(event) not in self.begun:
            self.begun.add(type(event))
            for header in self.HEADERS.get(type(event), []):
                self.emit(header, indent=1 if header else 0)
        self.emit(text, (event.phase, event.node), 1)

    def on_forward(self, event: Forward, k: int) -> None:
        self._statement(event, forward_code(self.graph, event.node))
        if event.node == self.graph.loss:
            self.emit(f"print({self.t}, float({var(self.graph, self.graph.loss)}))", indent=1)

    def on_seed(self, event: Seed, k: int) -> None:
        self._statement(event, seed_code(self.graph))

    def on_backward(self, event: Backward, k: int) -> None:
        for send in event.sends:
            self._statement(event, contribution_code(self.graph, send.edge, send.accumulate))

    def on_update(self, event: Update, k: int) -> None:
        self._statement(event, update_code(self.graph, event.node))
