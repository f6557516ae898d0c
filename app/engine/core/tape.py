"""The numeric tape: a schedule executed on real arrays, kept per (node, quantity, version).

Quantities are `value` (version 0 as computed or loaded, version 1 after a parameter's update),
`grad` (version n: ∂loss/∂node after its n-th contribution) in reverse mode, and `tangent`
(version 0: the node's derivative along the direction) in forward mode. What the tape keeps is bounded
in bytes: every forward value, every updated parameter and every final gradient as arrays; a
partial gradient (version n before the last) is summarised when it is made and its array let go.
Asked for later, its exact array is recomputed from the kept arrays, in the schedule's order,
so it comes back bit for bit. No narration, no LaTeX, no JSON: numbers only.
"""

from __future__ import annotations

import numpy as np

from app.engine.core.carried import SharedSummaries
from app.engine.core.graph import Graph
from app.engine.core.schedule import Backward, EventReader, Forward, Load, Schedule, Seed, Send, Update
from app.engine.ops.registry import apply_jvp, apply_vjp
from app.engine.presenter.summary import Summary, summarize, summarize_many


def forward(graph: Graph, values: dict[str, np.ndarray], nid: str) -> np.ndarray:
    """The value of op node `nid` from its inputs' values."""
    node = graph.nodes[nid]
    return graph.op(nid).forward(*(values[i] for i in node.inputs), **node.attrs)


def contribution(graph: Graph, send: Send, values: dict[str, np.ndarray], upstream) -> np.ndarray:
    """What `send` adds to its source's gradient, given its target's complete gradient."""
    node = graph.nodes[send.edge.target]
    args = [values[i] for i in node.inputs]
    return apply_vjp(graph.op(node.id), upstream, values[node.id], args, node.attrs,
                     send.edge.index)


def tangent_terms(graph: Graph, nid: str, values: dict, tangents: dict) -> list:
    """Per input of op `nid`, what its tangent adds to nid's (None where it is zero)."""
    node = graph.nodes[nid]
    op = graph.op(nid)
    args = [values[i] for i in node.inputs]
    return [None if tangents.get(i) is None else
            apply_jvp(op, [tangents[i] if j == index else None for j in range(len(node.inputs))],
                      values[nid], args, node.attrs)
            for index, i in enumerate(node.inputs)]


class Tape(EventReader):
    """Executes `schedule` from the leaf values `leaves`, with SGD step `lr`; in forward mode
    along `direction`, (leaf, index): that element's tangent is 1, every other is 0."""

    def __init__(self, schedule: Schedule, leaves: dict[str, np.ndarray], lr: float,
                 direction: tuple[str, tuple[int, ...]] | None = None,
                 cotangent: np.ndarray | None = None, summaries: bool = True):
        """`cotangent` seeds the backward sweep (default 1: the output is a scalar loss);
        `summaries=False` makes no summary of partial sums (a sweep timed, not shown)."""
        self.schedule = schedule
        self.graph = graph = schedule.graph
        self.expected = schedule.expected()
        #: value version 0 of every node (leaves as loaded, ops as computed)
        self.values: dict[str, np.ndarray] = dict(leaves)
        #: value version 1 of every updated parameter
        self.updated: dict[str, np.ndarray] = {}
        #: the complete gradient of every node that gets one
        self.grads: dict[str, np.ndarray] = {}
        #: step of each event that makes a version: (node, quantity, version) -> step
        self.made_at: dict[tuple[str, str, int], int] = {}
        #: summaries of partial gradients (made when computed) and of kept arrays (on demand)
        self._summaries: dict[tuple[str, str, int], Summary] = {}
        #: kept arrays by identity, so the same array object is summarised once (a sum's VJP
        #: passes its upstream gradient on); safe because the tape keeps them alive
        self._kept: dict[int, tuple[np.ndarray, Summary | None]] = {}
        #: scalar sends: (step, edge id) -> (upstream, local derivative, contribution, total);
        #: forward mode, scalar tangent terms: (step, edge id) -> (tangent in, local, term)
        self.scalars: dict[tuple[int, str], tuple[float, ...]] = {}
        #: forward mode: each node's tangent (None: zero, the node does not depend on the leaf)
        self.tangents: dict[str, np.ndarray | None] = {}
        self._arrivals: dict | None = None
        self._summarise = summaries
        self._lr, self._direction = lr, direction
        self._seed = np.float64(1.0) if cotangent is None else cotangent
        #: the running sum of each gradient still partial, and how many contributions arrived
        self._running: dict[str, np.ndarray] = {}
        self._received = dict.fromkeys(graph.order, 0)
        with np.errstate(all="ignore"):  # NaN and Inf are shown in summaries, not warned
            self.read(schedule.events)
        self._keep_all()

    def on_load(self, event: Load, k: int) -> None:
        for nid in self.graph.order:
            if self.graph.nodes[nid].is_leaf:
                self.made_at[(nid, "value", 0)] = k
        if self.schedule.mode == "forward":
            self._load_tangents(self._direction, k)

    def on_forward(self, event: Forward, k: int) -> None:
        self.values[event.node] = forward(self.graph, self.values, event.node)
        self.made_at[(event.node, "value", 0)] = k
        if self.schedule.mode == "forward":
            self._tangent(event.node, k)

    def on_seed(self, event: Seed, k: int) -> None:
        self._received[event.node] += 1
        self._arrive(event.node, self._seed, 1, k)

    def on_backward(self, event: Backward, k: int) -> None:
        upstream = self.grads[event.node]
        running, received = self._running, self._received
        for send in event.sends:
            c = contribution(self.graph, send, self.values, upstream)
            src = send.edge.source
            total = running[src] + c if send.accumulate else c
            received[src] += 1
            if np.ndim(upstream) == 0 and np.ndim(c) == 0:
                local = contribution(self.graph, send, self.values, np.float64(1.0))
                self.scalars[(k, send.edge.id)] = (
                    float(upstream), float(local), float(c), float(total))
            if self._arrive(src, total, received[src], k):
                running.pop(src, None)
            else:
                running[src] = total

    def on_update(self, event: Update, k: int) -> None:
        p = event.node
        grad = self.grads.get(p)
        old = self.values[p]
        self.updated[p] = old - self._lr * grad if grad is not None else old
        self.made_at[(p, "value", 1)] = k

    def _load_tangents(self, direction, k: int) -> None:
        leaf, index = direction
        for nid in self.graph.order:
            if self.graph.nodes[nid].is_leaf:
                self.tangents[nid] = None
                self.made_at[(nid, "tangent", 0)] = k
        one_hot = np.zeros(self.graph.nodes[leaf].shape)
        one_hot[tuple(index)] = 1.0
        self.tangents[leaf] = one_hot

    def _tangent(self, nid: str, k: int) -> None:
        """nid's tangent: the sum of its inputs' terms (ẏ = Σ ∂y/∂xᵢ · ẋᵢ), summed in input
        order as apply_jvp does."""
        terms = tangent_terms(self.graph, nid, self.values, self.tangents)
        total = None
        for term in terms:
            if term is not None:
                total = term if total is None else total + term
        self.tangents[nid] = total
        self.made_at[(nid, "tangent", 0)] = k
        if np.ndim(self.values[nid]) == 0:
            for edge, term in zip(self.graph.edges_in[nid], terms, strict=True):
                if term is not None and np.ndim(self.tangents[edge.source]) == 0:
                    local = tangent_terms(self.graph, nid, self.values,
                                          {edge.source: np.float64(1.0)})[edge.index]
                    self.scalars[(k, edge.id)] = (float(self.tangents[edge.source]),
                                                  float(local), float(term))

    def _arrive(self, nid: str, total: np.ndarray, version: int, k: int) -> bool:
        """Version `version` of nid's gradient is `total`; True when it is the complete one."""
        self.made_at[(nid, "grad", version)] = k
        if version >= self.expected[nid]:
            self.grads[nid] = total
            self._keep(total)
            return True
        found = self._kept.get(id(total))
        if self._summarise and (found is None or found[0] is not total):
            # a partial sum: summarised now, its array let go (recomputed if asked for)
            self._summaries[(nid, "grad", version)] = summarize(total)
        return False

    def _keep(self, array) -> None:
        if id(array) not in self._kept:
            self._kept[id(array)] = (array, None)

    def _keep_all(self) -> None:
        tangents = [t for t in self.tangents.values() if t is not None]
        for array in (*self.values.values(), *self.updated.values(), *self.grads.values(),
                      *tangents):
            self._keep(array)

    # ----- reading the tape -----

    def array(self, nid: str, quantity: str, version: int) -> np.ndarray:
        """The exact array of one version (recomputed for a partial gradient)."""
        if quantity == "value":
            return self.updated[nid] if version == 1 else self.values[nid]
        if quantity == "tangent":
            found = self.tangents[nid]
            return np.zeros(self.graph.nodes[nid].shape) if found is None else found
        if version >= self.expected[nid]:
            return self.grads[nid]
        if self._arrivals is None:
            self._arrivals = self.schedule.arrivals()
        total = None
        for _, send in self._arrivals[nid][:version]:
            upstream = self.grads[send.edge.target]
            with np.errstate(all="ignore"):
                c = contribution(self.graph, send, self.values, upstream)
                total = total + c if send.accumulate else c
        return total

    def summary(self, nid: str, quantity: str, version: int) -> Summary:
        key = (nid, quantity, version)
        found = self._summaries.get(key)
        if found is None:
            array = self.array(nid, quantity, version)
            kept = self._kept.get(id(array))
            if kept is not None and kept[0] is array:
                if kept[1] is None:
                    kept = (array, summarize(array))
                    self._kept[id(array)] = kept
                found = kept[1]
            else:  # a recomputed partial sum
                found = summarize(array)
            self._summaries[key] = found
        return found

    def summarize_versions(self, keys, shared: SharedSummaries | None = None,
                           iteration: int = 0) -> None:
        """Summarise the versions `keys` (node, quantity, version) that have no summary yet, in
        one batch (summarize_many: each summary as `summary` makes it, their fixed costs paid
        once); an array kept under several keys is summarised once. `shared` holds a run's
        summaries across its traces (carried.py): of the leaves no update changes, and of the
        parameters entering an iteration (version 0 enters `iteration`, the update's version 1
        the next one); what it has is not summarised again, what is made is kept there."""
        wanted: dict[int, tuple[np.ndarray, list]] = {}
        for key in keys:
            if key in self._summaries:
                continue
            array = self.array(*key)
            entering = self._entering(key, iteration) if shared is not None else None
            known = shared.find(key[0], *entering, array) if entering is not None else None
            if known is not None:
                self._summaries[key] = known
                continue
            kept = self._kept.get(id(array))
            if kept is not None and kept[0] is array and kept[1] is not None:
                self._summaries[key] = kept[1]
            else:  # held here, so no other array takes its id meanwhile
                wanted.setdefault(id(array), (array, []))[1].append(key)
        made = summarize_many([array for array, _ in wanted.values()])
        for (array, keys_of), summary in zip(wanted.values(), made, strict=True):
            kept = self._kept.get(id(array))
            if kept is not None and kept[0] is array:
                self._kept[id(array)] = (array, summary)
            for key in keys_of:
                self._summaries[key] = summary
                entering = self._entering(key, iteration) if shared is not None else None
                if entering is not None:
                    shared.keep(key[0], *entering, array, summary)

    def _entering(self, key: tuple[str, str, int], iteration: int) -> tuple[bool, int] | None:
        """(is a parameter, the iteration it enters) for a leaf's value version; None for
        anything else (an op's value, a gradient, a tangent)."""
        nid, quantity, version = key
        node = self.graph.nodes[nid]
        if quantity != "value" or not node.is_leaf:
            return None
        return node.kind == "param", iteration + version

    @property
    def nbytes(self) -> int:
        """What the tape keeps: its arrays once each, and its summaries (roughly)."""
        arrays = sum(np.asarray(a).nbytes for a, _ in self._kept.values())
        summaries = len({id(s) for s in self._summaries.values()})
        return int(arrays + summaries * Summary.NBYTES)
