"""The presenter: one iteration's schedule, executed by the tape, as steps a person reads.

Steps follow the schedule's events one for one (DESIGN.md): load; one forward step per op; the
seed ∂loss/∂loss = 1; one backward step per op that needs a gradient, whose contributions are
listed one per input edge (so fan-in shows as `+=`); one update per parameter. Each step gets
its narration, LaTeX, numpy code lines and the memory ledger, all from the schedule, the op
registry and the numbers on the tape; the state after any step is read off the tape directly,
never replayed. The presenter does no arithmetic of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import codegen, memory
from .errors import NotFoundError
from .notation import Notation, num_tex, num_text, operand_tex, shape_tex, shape_text
from .ops import FAN_OUT
from .schedule import QUANTITIES, Event, Schedule
from .summary import Summary
from .tape import Tape


@dataclass
class Contribution:
    edge: str
    to: str
    accumulate: bool
    shape: list[int]
    latex: str
    code: str
    #: this is the `arrived`-th of the `expected` contributions to `to`'s gradient
    arrived: int
    expected: int
    #: the gradient it adds to, as narration writes it: ∂J/∂(y_pred - y)
    gradient: str


@dataclass
class Step:
    index: int
    #: a phase the run declares: load, forward, seed, backward or update
    phase: str
    node: str | None
    edges: list[str]
    narration: str
    latex: str
    code: str
    #: 1-based lines of `code` in the run's script
    lines: list[int]
    #: bytes of intermediates held for the backward pass after this step, and which
    memory_bytes: int
    held: list[str]
    contributions: list[Contribution] = field(default_factory=list)
    #: backward: how the op routes the gradient (its registry sentence), and the fan-out's
    #: when a contribution is added with +=
    rule: str = ""


@dataclass
class NodeState:
    value: Summary | None
    grad: Summary | None
    #: none, partial or complete
    grad_status: str
    received: int
    expected: int
    updated: bool


@dataclass
class TangentNodeState:
    """A node's state in forward mode: its value and its tangent (its derivative along the
    direction), both known from the step that computes the node on."""

    value: Summary | None
    tangent: Summary | None


#: per mode, the fields of a node's state, in order (what a step may change)
NODE_FIELDS = {"reverse": ("value", "grad", "grad_status", "received", "expected", "updated"),
               "forward": ("value", "tangent")}


@dataclass
class State:
    iteration: int
    step: int
    phase: str
    node: str | None
    edges: list[str]
    #: the loss's value once computed (may be NaN or ±Inf)
    loss: float | None
    memory_bytes: int
    nodes: dict[str, NodeState | TangentNodeState]


#: leaf distributions that draw nothing: the value is written in the source
GIVEN = ("value", "zeros", "ones")


#: leaves a load step names one by one; beyond, "and N more" (a 500-node graph's load step
#: must not fill the screen)
LISTED = 8


def _list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) > LISTED:
        return ", ".join(names[:LISTED]) + f" and {len(names) - LISTED} more"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _stacked(texts: list[str]) -> str:
    """Several formulas one under the other (one per contribution)."""
    if len(texts) == 1:
        return texts[0]
    return "\\begin{array}{l} " + " \\\\ ".join(texts) + " \\end{array}"


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


class Trace:
    """Iteration `iteration` of a run: the schedule executed on a tape, presented as steps.
    In forward mode `direction` = (leaf, index) is the element whose tangent is 1."""

    def __init__(self, schedule: Schedule, leaves: dict[str, np.ndarray], lr: float,
                 iteration: int, seed: int, script: codegen.Script,
                 direction: tuple[str, tuple[int, ...]] | None = None):
        self.schedule = schedule
        self.mode = schedule.mode
        self.quantities = QUANTITIES[self.mode]
        self.direction = direction
        self.graph = schedule.graph
        self.iteration = iteration
        self.lr = lr
        self.tex = Notation(self.graph)
        self.script = script
        self.tape = Tape(schedule, leaves, lr, direction)
        self.expected = self.tape.expected
        self._seed_number = seed
        #: the memory ledger: what is held for the backward pass after each step
        self.ledger = memory.ledger(schedule)
        #: per node, how many contributions arrived so far while presenting
        self._arrived = dict.fromkeys(self.graph.order, 0)
        self.step_list: list[Step] = []
        for event in schedule.events:
            getattr(self, "_" + event.phase)(event)

    # ----- building the steps -----

    @property
    def values(self) -> dict[str, np.ndarray]:
        return self.tape.values

    def _add(self, event: Event, edges: list[str], narration: str, latex: str,
             code: list[str], contributions=None, rule: str = "") -> None:
        k = len(self.step_list)
        self.step_list.append(Step(
            len(self.step_list), event.phase, event.node, edges, narration, latex,
            "\n".join(code), self.script.lines.get((event.phase, event.node), []),
            self.ledger.bytes_after[k], self.ledger.held_after[k], contributions or [], rule,
        ))

    def _load(self, event: Event) -> None:
        g = self.graph
        leaves = [n for n in g.order if g.nodes[n].kind in ("input", "param", "labels")]
        drawn, given = [], []
        for nid in leaves:
            v = self.values[nid]
            dist = g.nodes[nid].init["dist"]
            text = f"{nid} = {num_text(v)}" if v.ndim == 0 else \
                f"{nid} ({shape_text(v.shape)}{', ' + dist if dist in GIVEN else ''})"
            (given if dist in GIVEN else drawn).append(text)
        tex = ",\\; ".join(
            f"{self.tex.symbol(n)} = {num_tex(self.values[n])}" if self.values[n].ndim == 0
            else f"{self.tex.symbol(n)} \\in \\mathbb{{R}}^{{{shape_tex(self.values[n].shape)}}}"
            for n in leaves[:LISTED]
        )
        if len(leaves) > LISTED:
            tex += f",\\; \\ldots\\ \\text{{and {len(leaves) - LISTED} more}}"
        narration = "Load: the leaves hold their initial values."
        params = [p.id for p in g.parameters]
        if self.iteration and params:
            updates = f"{self.iteration} update{'s' * (self.iteration > 1)}"
            narration = (f"Load: the leaves hold their values at iteration {self.iteration}: "
                         f"{_list(params)} after {updates}, the others as at the start.")
        if drawn:
            narration += (f" Drawn from RandomState({self._seed_number}) in declaration "
                          f"order: {_list(drawn)}.")
        if given:
            narration += f" Given in the source: {_list(given)}."
        if self.mode == "forward":
            leaf, index = self.direction
            narration += (f" Forward mode along {self._element()}: its tangent is 1, every "
                          f"other leaf element's is 0.")
            tex += f",\\quad {self.tex.tangent(leaf)} = e_{{{', '.join(map(str, index)) or 1}}}"
        script_lines = self.script.text.split("\n")
        code = [script_lines[i - 1] for i in self.script.lines.get(("load", None), [])]
        self._add(event, [], narration, tex, code)

    def _forward(self, event: Event) -> None:
        g = self.graph
        nid = event.node
        node = g.nodes[nid]
        kept = []
        for held in memory.saved(self.schedule, nid):
            kept.append(self.tex.text(held))
        formula = self.tex.formula(nid)
        named = node.named or self.tex.abbreviated(nid)
        tex = f"{self.tex.symbol(nid)} = {formula}" if named else formula
        value = self.values[nid]
        if value.ndim == 0 and all(self.values[i].ndim == 0 for i in node.inputs):
            numbers = self.tex.formula(nid, [operand_tex(self.values[i]) for i in node.inputs])
            tex += f" = {numbers} = {num_tex(value)}"
        tex += f"\\quad [{shape_tex(node.shape)}]"
        inputs = _list(list(dict.fromkeys(self.tex.text(i) for i in node.inputs)))
        what = f"{nid} = {node.expr}" if node.named else node.expr
        if self.tex.abbreviated(nid):
            what += f" (written {self.tex.alias_text(nid)} in the formulas)"
        result = f" = {num_text(value)}" if value.ndim == 0 else f" (shape {shape_text(node.shape)})"
        narration = f"Forward: {what}{result}, computed from {inputs}."
        if kept:
            narration = narration[:-1] + f"; {_list(list(dict.fromkeys(kept)))} kept for the backward pass."
        code = [codegen.forward_code(g, nid)]
        if self.mode == "forward":
            tangent_tex, tangent_text, tangent_code = self._tangent_parts(nid)
            tex = f"\\begin{{array}}{{l}} {tex} \\\\ {tangent_tex} \\end{{array}}"
            narration = narration[:-1] + tangent_text
            if tangent_code:
                code.append(tangent_code)
        self._add(event, [e.id for e in g.edges_in[nid]], narration, tex, code)

    def _element(self) -> str:
        """The forward-mode direction as written in narration: w1[3, 7]."""
        leaf, index = self.direction
        return f"{leaf}[{', '.join(map(str, index))}]" if index else leaf

    def _tangent_parts(self, nid: str) -> tuple[str, str, str | None]:
        """Forward mode: the chain rule of nid's tangent (LaTeX with real numbers where they are
        scalars, narration, numpy code): ẏ = Σ ∂y/∂xᵢ · ẋᵢ over inputs with a live tangent."""
        g = self.graph
        node = g.nodes[nid]
        k = len(self.step_list)
        tangents = self.tape.tangents
        live = [tangents.get(i) is not None for i in node.inputs]
        lhs = self.tex.tangent(nid)
        if not any(live):
            return (f"{lhs} = 0", f"; its tangent is 0: it does not depend on "
                                  f"{self._element()}.", None)
        partials = [f"{self.tex.partial(nid, i)}\\,{self.tex.tangent(i)}"
                    for i, on in zip(node.inputs, live, strict=True) if on]
        terms = [self.tex.tangent_term(nid, index, self.tex.tangent(i))
                 for index, (i, on) in enumerate(zip(node.inputs, live, strict=True)) if on]
        tex = f"{lhs} = {' + '.join(partials)} = {' + '.join(terms)}"
        scalars = [self.tape.scalars.get((k, e.id)) for e, on in
                   zip(g.edges_in[nid], live, strict=True) if on]
        value = tangents[nid]
        if all(s is not None for s in scalars):
            numbers = " + ".join(f"{operand_tex(local)} \\cdot {operand_tex(t)}"
                                 for t, local, _ in scalars)
            tex += f" = {numbers} = {num_tex(value)}"
        else:
            tex += f"\\quad [{shape_tex(node.shape)}]"
        sources = _list(list(dict.fromkeys(self.tex.text(i) for i, on in
                                           zip(node.inputs, live, strict=True) if on)))
        result = f" = {num_text(value)}" if np.ndim(value) == 0 else ""
        text = (f"; its tangent (its derivative along {self._element()}){result} sums "
                f"∂{self.tex.text(nid)}/∂x · ẋ over the inputs that carry one ({sources}).")
        code = codegen.tangent_code(g, nid, live)
        return tex, text, code

    def _seed(self, event: Event) -> None:
        loss = event.node
        self._arrived[loss] += 1
        sym = self.tex.symbol(loss)
        self._add(event, [],
                  f"Seed: the gradient of {self.tex.the_loss()} with respect to itself, "
                  f"{self.tex.grad_text(loss)}, is 1 — the backward pass starts here.",
                  f"\\frac{{\\partial {sym}}}{{\\partial {sym}}} = 1",
                  [codegen.seed_code(self.graph)])

    def _backward(self, event: Event) -> None:
        g = self.graph
        nid = event.node
        node = g.nodes[nid]
        k = len(self.step_list)
        contributions, texts, codes, parts = [], [], [], []
        for send in event.sends:
            edge = send.edge
            self._arrived[edge.source] += 1
            n = self._arrived[edge.source]
            expected = self.expected[edge.source]
            src = g.nodes[edge.source]
            lhs = self.tex.grad(edge.source)
            rel = "\\mathrel{\\text{+=}}" if send.accumulate else "="
            tex = (f"{lhs} {rel} {self.tex.grad(nid)}\\,{self.tex.partial(nid, edge.source)}"
                   f" = {self.tex.contrib(nid, edge.index)}")
            scalars = self.tape.scalars.get((k, edge.id))
            if scalars is not None:
                upstream, local, c, total = scalars
                tex += f" = {operand_tex(upstream)} \\cdot {operand_tex(local)} = {num_tex(c)}"
                if send.accumulate:
                    tex += f"\\;\\Rightarrow\\; {lhs} = {num_tex(total)}"
            else:
                tex += f"\\quad [{shape_tex(src.shape)}]"
            code = codegen.contribution_code(g, edge, send.accumulate)
            contributions.append(Contribution(edge.id, edge.source, send.accumulate,
                                              list(src.shape), tex, code, n, expected,
                                              self.tex.grad_text(edge.source)))
            texts.append(tex)
            codes.append(code)
            part = self.tex.text(edge.source)
            if expected > 1:
                part += f" ({_ordinal(n)} of {expected}, " + \
                        ("added with +=)" if send.accumulate else "more to come)")
            parts.append(part)
        this = self.tex.text(nid)
        narration = (f"Backward through {this}: the gradient of {self.tex.the_loss()} with "
                     f"respect to {this} is complete, and it sends a contribution to the "
                     f"gradient of the loss with respect to {_list(parts)}.")
        if not event.sends:
            narration = (f"Backward: the gradient of {self.tex.the_loss()} with respect to "
                         f"{this} is complete; its inputs are constants, so nothing is sent.")
        narration += self._custom_rule(node.op)
        rule = self.graph.op(nid).routes
        if any(send.accumulate for send in event.sends):
            rule += " And " + FAN_OUT
        if event.sends and rule and node.op not in self.graph.custom:
            narration += " Gate pattern: " + rule
        self._add(event, [c.edge for c in contributions], narration, _stacked(texts), codes,
                  contributions, rule)

    def _custom_rule(self, name: str) -> str:
        """What a backward step through an op the source defines says about its rule."""
        d = next((d for d in self.graph.definitions if d.name == name), None)
        if d is None:
            return ""
        if not d.has_backward:
            return (f" You wrote no backward for {name}: Gradwalk differentiates through its "
                    f"definition, op by op.")
        rule = ", ".join(d.backward_text)
        if d.check is not None and not d.check.ok:
            return (f" It uses your {name}_backward ({rule}), which FAILS the gradient check "
                    f"(relative error {d.check.max_rel_error:.2g} against central "
                    f"differences): every gradient computed from here on is wrong, and "
                    f"training goes on with it.")
        error = f" (checked: relative error {d.check.max_rel_error:.2g})" if d.check else ""
        return f" It uses your {name}_backward: {rule}{error}."

    def _update(self, event: Event) -> None:
        pid = event.node
        old = self.values[pid]
        new = self.tape.updated[pid]
        sym = self.tex.symbol(pid)
        tex = f"{sym} \\leftarrow {sym} - \\eta\\,{self.tex.grad(pid)},\\quad \\eta = {num_tex(self.lr)}"
        grad = self.tape.grads.get(pid)
        if old.ndim == 0 and grad is not None:
            tex += f";\\; {num_tex(old)} - {num_tex(self.lr)} \\cdot " \
                   f"{operand_tex(grad)} = {num_tex(new)}"
        self._add(event, [],
                  f"Update: {pid} ← {pid} − lr · {self.tex.grad_text(pid)}: the parameter steps "
                  f"against the gradient of {self.tex.the_loss()} with respect to {pid} "
                  f"(lr = {self.lr:g}).",
                  tex, [codegen.update_code(self.graph, pid)])

    # ----- states, read off the tape -----

    def check_step(self, k: int) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(self.step_list):
            raise NotFoundError("step", k, f"steps are 0 to {len(self.step_list) - 1}")

    def value_version(self, k: int, nid: str) -> int | None:
        """The version of the node's value after step k (None before it is computed)."""
        made = self.tape.made_at
        if made[(nid, "value", 0)] > k:
            return None
        updated = made.get((nid, "value", 1))
        return 1 if updated is not None and updated <= k else 0

    def grad_version(self, k: int, nid: str) -> int:
        """How many contributions to ∂loss/∂node arrived by step k (0: no gradient yet)."""
        made = self.tape.made_at
        n = 0
        while made.get((nid, "grad", n + 1), k + 1) <= k:
            n += 1
        return n

    def node_state(self, k: int, nid: str) -> NodeState | TangentNodeState:
        version = self.value_version(k, nid)
        if self.mode == "forward":
            return TangentNodeState(
                value=None if version is None else self.tape.summary(nid, "value", version),
                tangent=None if version is None else self.tape.summary(nid, "tangent", 0),
            )
        received = self.grad_version(k, nid)
        expected = self.expected[nid]
        return NodeState(
            value=None if version is None else self.tape.summary(nid, "value", version),
            grad=self.tape.summary(nid, "grad", received) if received else None,
            grad_status="none" if not received else
            ("complete" if received >= expected else "partial"),
            received=received, expected=expected,
            updated=version == 1,
        )

    def state(self, k: int) -> State:
        self.check_step(k)
        step = self.step_list[k]
        loss = self.graph.loss
        return State(
            iteration=self.iteration, step=k, phase=step.phase, node=step.node,
            edges=step.edges,
            loss=None if self.value_version(k, loss) is None else float(self.values[loss]),
            memory_bytes=step.memory_bytes,
            nodes={nid: self.node_state(k, nid) for nid in self.graph.order},
        )

    def changes(self) -> list[dict[str, dict[str, object]]]:
        """Per step, what it changed: node -> {field: new value}. Step 0 gives every field of
        every node; merging changes[0..k] field by field gives state(k).nodes."""
        out = []
        for k, event in enumerate(self.schedule.events):
            changed: dict[str, dict[str, object]] = {}
            if event.phase == "load":
                for nid in self.graph.order:
                    changed[nid] = {f: getattr(self.node_state(k, nid), f)
                                    for f in NODE_FIELDS[self.mode]}
            elif event.phase == "forward":
                changed[event.node] = {"value": self.tape.summary(event.node, "value", 0)}
                if self.mode == "forward":
                    changed[event.node]["tangent"] = self.tape.summary(event.node, "tangent", 0)
            elif event.phase == "update":
                changed[event.node] = {"value": self.tape.summary(event.node, "value", 1),
                                       "updated": True}
            else:  # seed and backward: gradients arrive
                targets = [event.node] if event.phase == "seed" else \
                    [s.edge.source for s in event.sends]
                for nid in dict.fromkeys(targets):
                    received = self.grad_version(k, nid)
                    changed[nid] = {
                        "grad": self.tape.summary(nid, "grad", received),
                        "grad_status": "complete" if received >= self.expected[nid]
                        else "partial",
                        "received": received,
                    }
            out.append(changed)
        return out

    def tensor(self, k: int, nid: str, which: str) -> np.ndarray:
        """The exact array of a node's value or gradient after step k."""
        self.check_step(k)
        if nid not in self.graph.nodes:
            raise NotFoundError("node", nid, f"nodes are {', '.join(self.graph.order)}")
        if which == "value":
            version = self.value_version(k, nid)
            first = self.tape.made_at[(nid, "value", 0)]
        elif which == "grad" and which in self.quantities:
            version = self.grad_version(k, nid) or None
            first = self.tape.made_at.get((nid, "grad", 1))
        elif which == "tangent" and which in self.quantities:
            first = self.tape.made_at[(nid, "tangent", 0)]
            version = 0 if first <= k else None
        else:
            raise NotFoundError("tensor", which,
                                f"tensors are {', '.join(repr(q) for q in self.quantities)}")
        if version is None:
            when = f"from step {first} on" if first is not None else "in no step"
            why = ""
            if first is None and which == "grad":  # never computed: say why
                kind = self.graph.nodes[nid].kind
                why = ("; this run has input_grads false, so the backward pass does not "
                       "compute the gradients of data inputs (create the run with "
                       "\"input_grads\": true)" if kind == "input" else
                       f"; the backward pass never computes the gradient of a {kind}"
                       f"{' (a constant)' if kind == 'const' else ''}"
                       if kind in ("const", "labels") else "")
            raise NotFoundError(f"{which} of node {nid!r} at step", k, f"it exists {when}{why}")
        return np.asarray(self.tape.array(nid, which, version), dtype=np.float64)

    @property
    def nbytes(self) -> int:
        return self.tape.nbytes
