"""The presenter: one traced iteration (trace.py) as steps a person reads.

Steps follow the schedule's events one for one (DESIGN.md): load; one forward step per op; the
seed ∂loss/∂loss = 1; one backward step per op that needs a gradient, whose contributions are
listed one per input edge (so fan-in shows as `+=`); one update per parameter. Each step gets
its narration, LaTeX, numpy code lines and the memory ledger, all from the schedule, the op
registry and the numbers on the tape. The presenter does no arithmetic of its own, and reads
no state: the state after a step is the trace's.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.engine.core.schedule import Backward, Event, EventReader, Forward, Load, Seed, Update
from app.engine.instruments import memory
from app.engine.presenter import codegen
from app.engine.presenter.notation import Notation, num_tex, num_text, operand_tex, shape_tex, shape_text

#: the gate pattern of a node used by several consumers: not an op, the `+=` of the backward
FAN_OUT = ("a copy (fan-out) adds the arriving contributions: a node used by several "
           "consumers receives one gradient from each, and its gradient is their sum.")

if TYPE_CHECKING:
    from app.engine.core.trace import Trace


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


#: per schedule (a run's), its memory ledger, notation and numpy lines (codegen's, by event)
_SCHEDULES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _of_schedule(schedule) -> tuple[memory.Ledger, Notation, dict]:
    found = _SCHEDULES.get(schedule)
    if found is None:
        found = _SCHEDULES[schedule] = (memory.ledger(schedule), Notation(schedule.graph), {})
    return found


class Presenter(EventReader):
    """The steps of one traced iteration as a person reads them, one per event (`steps`):
    narration, LaTeX, the script's lines, the memory ledger. Every number is the tape's."""

    def __init__(self, trace: Trace, script: codegen.Script):
        self.schedule, self.graph, self.mode = trace.schedule, trace.graph, trace.mode
        self.direction, self.iteration, self.lr = trace.direction, trace.iteration, trace.lr
        self.seed, self.tape, self.expected = trace.seed, trace.tape, trace.expected
        self.values = trace.tape.values
        #: the notation and the memory ledger (what is held for the backward pass after each
        #: step) depend on the schedule alone: made once for all the iterations of a run
        self.ledger, self.tex, self._lines = _of_schedule(self.schedule)
        self.script = script
        #: per node, how many contributions arrived so far while presenting
        self._arrived = dict.fromkeys(self.graph.order, 0)
        self.steps: list[Step] = []
        self.read(self.schedule.events)

    def _line(self, key: tuple, make, *args) -> str:
        """A numpy line that depends on the graph alone (`make(*args)`), made once per run."""
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = make(*args)
        return found

    def _add(self, event: Event, edges: list[str], narration: str, latex: str,
             code: list[str], contributions=None, rule: str = "") -> None:
        k = len(self.steps)
        self.steps.append(Step(
            k, event.phase, event.node, edges, narration, latex,
            "\n".join(code), self.script.lines.get((event.phase, event.node), []),
            self.ledger.bytes_after[k], list(self.ledger.held_after[k]), contributions or [], rule,
        ))

    def on_load(self, event: Load, k: int) -> None:
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
            narration += (f" Drawn from RandomState({self.seed}) in declaration "
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

    def on_forward(self, event: Forward, k: int) -> None:
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
        code = [self._line(("forward", nid), codegen.forward_code, g, nid)]
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
        k = len(self.steps)
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

    def on_seed(self, event: Seed, k: int) -> None:
        loss = event.node
        self._arrived[loss] += 1
        sym = self.tex.symbol(loss)
        self._add(event, [],
                  f"Seed: the gradient of {self.tex.the_loss()} with respect to itself, "
                  f"{self.tex.grad_text(loss)}, is 1 — the backward pass starts here.",
                  f"\\frac{{\\partial {sym}}}{{\\partial {sym}}} = 1",
                  [codegen.seed_code(self.graph)])

    def on_backward(self, event: Backward, k: int) -> None:
        g = self.graph
        nid = event.node
        node = g.nodes[nid]
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
            code = self._line(("send", edge.id, send.accumulate), codegen.contribution_code,
                              g, edge, send.accumulate)
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

    def on_update(self, event: Update, k: int) -> None:
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
