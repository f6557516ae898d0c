"""One training iteration as a list of steps, and the state after any step, by direct access.

Steps, in order (DESIGN.md): load; one forward step per op in topological order; the seed
∂loss/∂loss = 1; one backward step per op that needs a gradient, in reverse order, whose VJP
sends one contribution per input edge (recorded separately, so fan-in shows as `+=`); one update
per parameter. The trace keeps every value and, per node, its gradient after each contribution,
so the state after step k is read off directly, never replayed. The walker never special-cases
an op: values, VJPs, formulas and code all come from the op registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import codegen
from .errors import NotFoundError
from .graph import Graph
from .notation import Notation, num_tex, num_text, operand_tex, shape_tex, shape_text
from .ops import apply_vjp, get_op
from .summary import jsonable, summarize
from .training import forward


@dataclass
class Step:
    index: int
    #: load, forward, seed, backward or update
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
    contributions: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _stacked(texts: list[str]) -> str:
    """Several formulas one under the other (one per contribution)."""
    if len(texts) == 1:
        return texts[0]
    return "\\begin{array}{l} " + " \\\\ ".join(texts) + " \\end{array}"


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


class Trace:
    """Iteration `iteration` of a run, traced step by step."""

    def __init__(self, graph: Graph, leaves: dict[str, np.ndarray], lr: float, iteration: int,
                 seed: int, script: codegen.Script):
        self.graph = graph
        self.iteration = iteration
        self.lr = lr
        self.tex = Notation(graph)
        self.script = script
        self.values: dict[str, np.ndarray] = dict(leaves)
        #: step at which each op's value is computed
        self.computed_at: dict[str, int] = {}
        #: per node, (step, gradient after that step's contribution, contributions so far)
        self.grad_history: dict[str, list[tuple[int, np.ndarray]]] = {n: [] for n in graph.order}
        #: per parameter, (step, value after its update)
        self.updates: dict[str, tuple[int, np.ndarray]] = {}
        self.expected = {
            nid: (1 if nid == graph.loss else len(graph.edges_out[nid]))
            if nid in graph.needs_grad else 0
            for nid in graph.order
        }
        self._summaries: dict[tuple, dict] = {}
        #: summaries by array identity; safe because the trace keeps every array alive
        self._by_array: dict[int, dict] = {}
        self._held: dict[str, int] = {}
        self.step_list: list[Step] = []
        with np.errstate(all="ignore"):  # NaN and Inf are shown in summaries, not warned
            self._load(seed)
            for node in graph.ops:
                self._forward(node.id)
            self._seed()
            for nid, sends in codegen.backward_plan(graph):
                self._backward(nid, sends)
            for p in graph.params:
                self._update(p.id)

    # ----- building the steps -----

    def _add(self, phase: str, node: str | None, edges: list[str], narration: str, latex: str,
             code: list[str], key, contributions=None) -> None:
        held = [n for n in self.graph.order if self._held.get(n)]
        self.step_list.append(Step(
            len(self.step_list), phase, node, edges, narration, latex, "\n".join(code),
            self.script.lines.get(key, []),
            int(sum(self.values[n].nbytes for n in held)), held, contributions or [],
        ))

    def _load(self, seed: int) -> None:
        leaves = [n for n in self.graph.order if self.graph.nodes[n].kind in ("input", "param")]
        described = []
        for nid in leaves:
            v = self.values[nid]
            described.append(f"{nid} = {num_text(v)}" if v.ndim == 0 else
                             f"{nid} ({shape_text(v.shape)})")
        tex = ",\\; ".join(
            f"{self.tex.symbol(n)} = {num_tex(self.values[n])}" if self.values[n].ndim == 0
            else f"{self.tex.symbol(n)} \\in \\mathbb{{R}}^{{{shape_tex(self.values[n].shape)}}}"
            for n in leaves
        )
        when = "initial values" if self.iteration == 0 else \
            f"parameters after {self.iteration} update{'s' * (self.iteration > 1)}"
        narration = (f"Load: the leaves hold their values ({when}, drawn from RandomState({seed}) "
                     f"in declaration order): {_list(described)}.")
        script_lines = self.script.text.split("\n")
        code = [script_lines[i - 1] for i in self.script.lines.get(("load", None), [])]
        self._add("load", None, [], narration, tex, code, ("load", None))

    def _forward(self, nid: str) -> None:
        g = self.graph
        node = g.nodes[nid]
        op = get_op(node.op)
        self.values[nid] = forward(g, self.values, nid)
        k = len(self.step_list)
        self.computed_at[nid] = k
        kept = []
        if nid in g.needs_grad:
            for ref in op.saves:
                held = nid if ref == "out" else node.inputs[int(ref)]
                if g.nodes[held].kind == "op":
                    self._held[held] = self._held.get(held, 0) + 1
                    kept.append(g.nodes[held].label)
        formula = self.tex.formula(nid)
        named = node.named or self.tex.abbreviated(nid)
        tex = f"{self.tex.symbol(nid)} = {formula}" if named else formula
        value = self.values[nid]
        if value.ndim == 0 and all(self.values[i].ndim == 0 for i in node.inputs):
            numbers = self.tex.formula(nid, [operand_tex(self.values[i]) for i in node.inputs])
            tex += f" = {numbers} = {num_tex(value)}"
        tex += f"\\quad [{shape_tex(node.shape)}]"
        inputs = _list(list(dict.fromkeys(g.nodes[i].label for i in node.inputs)))
        what = f"{nid} = {node.expr}" if node.named else node.expr
        result = f" = {num_text(value)}" if value.ndim == 0 else f" (shape {shape_text(node.shape)})"
        narration = f"Forward: {what}{result}, computed from {inputs}."
        if kept:
            narration = narration[:-1] + f"; {_list(list(dict.fromkeys(kept)))} kept for the backward pass."
        self._add("forward", nid, [e.id for e in g.edges_in[nid]], narration, tex,
                  [codegen.forward_code(g, nid)], ("forward", nid))

    def _seed(self) -> None:
        loss = self.graph.loss
        self.grad_history[loss].append((len(self.step_list), np.float64(1.0)))
        sym = self.tex.symbol(loss)
        self._add("seed", loss, [],
                  f"Seed: the gradient of the loss with respect to the loss itself, "
                  f"∂{loss}/∂{loss}, is 1 — the backward pass starts here.",
                  f"\\frac{{\\partial {sym}}}{{\\partial {sym}}} = 1",
                  [codegen.seed_code(self.graph)], ("seed", loss))

    def _backward(self, nid: str, sends) -> None:
        g = self.graph
        node = g.nodes[nid]
        op = get_op(node.op)
        k = len(self.step_list)
        upstream = self.grad_history[nid][-1][1]
        args = [self.values[i] for i in node.inputs]
        contributions, texts, codes, parts = [], [], [], []
        for edge, accumulate in sends:
            c = apply_vjp(op, upstream, self.values[nid], args, node.attrs, edge.index)
            history = self.grad_history[edge.source]
            total = history[-1][1] + c if accumulate else c
            history.append((k, total))
            src = g.nodes[edge.source]
            lhs = self.tex.grad(edge.source)
            rel = "\\mathrel{\\text{+=}}" if accumulate else "="
            tex = (f"{lhs} {rel} {self.tex.grad(nid)}\\,{self.tex.partial(nid, edge.source)}"
                   f" = {self.tex.contrib(nid, edge.index)}")
            if upstream.ndim == 0 and c.ndim == 0:
                local = apply_vjp(op, np.float64(1.0), self.values[nid], args, node.attrs,
                                  edge.index)
                tex += f" = {operand_tex(upstream)} \\cdot {operand_tex(local)} = {num_tex(c)}"
                if accumulate:
                    tex += f"\\;\\Rightarrow\\; {lhs} = {num_tex(total)}"
            else:
                tex += f"\\quad [{shape_tex(src.shape)}]"
            code = codegen.contribution_code(g, edge, accumulate)
            n = len(history)
            contributions.append({
                "edge": edge.id, "to": edge.source, "accumulate": accumulate,
                "shape": list(src.shape), "latex": tex, "code": code,
                "arrived": n, "expected": self.expected[edge.source],
            })
            texts.append(tex)
            codes.append(code)
            part = src.label
            if self.expected[edge.source] > 1:
                part += f" ({_ordinal(n)} of {self.expected[edge.source]}, " + \
                        ("added with +=)" if accumulate else "more to come)")
            parts.append(part)
        if nid in g.needs_grad:
            for ref in op.saves:
                held = nid if ref == "out" else node.inputs[int(ref)]
                if g.nodes[held].kind == "op":
                    self._held[held] -= 1
        narration = (f"Backward through {node.label if node.named else repr(node.label)}: the "
                     f"gradient of the loss with respect to {node.label} is complete, and it "
                     f"sends a contribution to the gradient of the loss with respect to "
                     f"{_list(parts)}.")
        if not sends:
            narration = (f"Backward: the gradient of the loss with respect to {node.label} is "
                         f"complete; its inputs are constants, so nothing is sent.")
        self._add("backward", nid, [c["edge"] for c in contributions], narration,
                  _stacked(texts), codes, ("backward", nid), contributions)

    def _update(self, pid: str) -> None:
        k = len(self.step_list)
        history = self.grad_history[pid]
        old = self.values[pid]
        if history:
            new = old - self.lr * history[-1][1]
        else:
            new = old
        self.updates[pid] = (k, new)
        sym = self.tex.symbol(pid)
        tex = f"{sym} \\leftarrow {sym} - \\eta\\,{self.tex.grad(pid)},\\quad \\eta = {num_tex(self.lr)}"
        if old.ndim == 0:
            tex += f";\\; {num_tex(old)} - {num_tex(self.lr)} \\cdot " \
                   f"{operand_tex(history[-1][1])} = {num_tex(new)}"
        self._add("update", pid, [],
                  f"Update: {pid} ← {pid} − lr · ∂loss/∂{pid}: the parameter steps against the "
                  f"gradient of the loss with respect to {pid} (lr = {self.lr:g}).",
                  tex, [codegen.update_code(pid)], ("update", pid))

    # ----- what the API serves -----

    def steps(self) -> list[dict]:
        """Every step of this iteration as JSON-ready data."""
        return [s.to_dict() for s in self.step_list]

    def check_step(self, k: int) -> None:
        if not 0 <= k < len(self.step_list):
            raise NotFoundError("step", k, f"steps are 0 to {len(self.step_list) - 1}")

    def value_at(self, k: int, nid: str) -> tuple[np.ndarray | None, int]:
        """The node's value after step k (None before it is computed) and its version."""
        if nid in self.computed_at and k < self.computed_at[nid]:
            return None, 0
        if nid in self.updates and k >= self.updates[nid][0]:
            return self.updates[nid][1], 1
        return self.values[nid], 0

    def grad_at(self, k: int, nid: str) -> tuple[np.ndarray | None, int]:
        """∂loss/∂node after step k (None before any contribution) and contributions so far."""
        history = self.grad_history[nid]
        n = 0
        while n < len(history) and history[n][0] <= k:
            n += 1
        return (history[n - 1][1] if n else None), n

    def _summary(self, key: tuple, array: np.ndarray) -> dict:
        """Each array is summarised once: by its place in the trace, or as the very same
        array object (a sum's or a difference's VJP passes its upstream gradient on)."""
        if key not in self._summaries:
            same = self._by_array.get(id(array))
            self._summaries[key] = same if same is not None else summarize(array)
            self._by_array[id(array)] = self._summaries[key]
        return self._summaries[key]

    def state(self, k: int) -> dict:
        self.check_step(k)
        step = self.step_list[k]
        nodes = {}
        for nid in self.graph.order:
            value, version = self.value_at(k, nid)
            grad, received = self.grad_at(k, nid)
            expected = self.expected[nid]
            nodes[nid] = {
                "value": None if value is None else self._summary((nid, "v", version), value),
                "grad": None if grad is None else self._summary((nid, "g", received), grad),
                "grad_status": "none" if not received else
                ("complete" if received >= expected else "partial"),
                "received": received, "expected": expected,
                "updated": nid in self.updates and k >= self.updates[nid][0],
            }
        loss, _ = self.value_at(k, self.graph.loss)
        return {
            "iteration": self.iteration, "step": k, "phase": step.phase, "node": step.node,
            "edges": step.edges,
            "loss": None if loss is None else jsonable(loss),
            "memory_bytes": step.memory_bytes, "nodes": nodes,
        }

    def tensor(self, k: int, nid: str, which: str) -> np.ndarray:
        self.check_step(k)
        if nid not in self.graph.nodes:
            raise NotFoundError("node", nid, f"nodes are {', '.join(self.graph.order)}")
        if which == "value":
            array, _ = self.value_at(k, nid)
            first = self.computed_at.get(nid)
        elif which == "grad":
            array, _ = self.grad_at(k, nid)
            history = self.grad_history[nid]
            first = history[0][0] if history else None
        else:
            raise NotFoundError("tensor", which, "tensors are 'value' and 'grad'")
        if array is None:
            when = f"from step {first} on" if first is not None else "in no step"
            raise NotFoundError(f"{which} of node {nid!r} at step", k, f"it exists {when}")
        return np.asarray(array, dtype=np.float64)
