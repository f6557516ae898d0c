"""One iteration traced: its schedule executed on the tape, and the state after any step read
off the tape directly (random access, never replayed).

A trace holds the numbers (the tape) and reads states from them: which version of a value or a
gradient a step has made, every node's state after step k, what each step changed, exact
tensors. The steps a person reads are the presenter's (presenter/steps.py), made the first time they
are read: a question about numbers (class mode, the element route) costs no narration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.engine.core.carried import SharedSummaries
from app.engine.core.errors import NotFoundError
from app.engine.core.schedule import QUANTITIES, Backward, EventReader, Forward, Load, Schedule, Seed, Update
from app.engine.core.tape import Tape
from app.engine.presenter import codegen
from app.engine.presenter.notation import Notation
from app.engine.presenter.steps import Presenter, Step
from app.engine.presenter.summary import Summary


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


class Trace:
    """Iteration `iteration` of a run: the schedule executed on a tape, its states read off it.
    In forward mode `direction` = (leaf, index) is the element whose tangent is 1; `script()`
    gives the run's script, whose lines the steps cite; `shared` is the summaries the run's traces
    share: of its unchanging leaves, of the parameters entering an iteration (carried.py)."""

    def __init__(self, schedule: Schedule, leaves: dict[str, np.ndarray], lr: float,
                 iteration: int, seed: int, script: Callable[[], codegen.Script],
                 direction: tuple[str, tuple[int, ...]] | None = None,
                 shared: SharedSummaries | None = None, summaries: bool = True):
        """`summaries=False`: partial sums of gradients are summarised when first read, not
        as the sweep makes them (a trace that answers a question reads few of them)."""
        self.schedule = schedule
        self.mode = schedule.mode
        self.quantities = QUANTITIES[self.mode]
        self.direction = direction
        self.graph = schedule.graph
        self.iteration = iteration
        self.lr = lr
        #: the seed of the run's RandomState (the load step names it)
        self.seed = seed
        self.tape = Tape(schedule, leaves, lr, direction, summaries=summaries)
        self.expected = self.tape.expected
        self._script = script
        self._presenter: Presenter | None = None
        self._summarized = False
        #: summaries shared by a run's traces (carried.py)
        self._shared = shared

    @property
    def values(self) -> dict[str, np.ndarray]:
        return self.tape.values

    @property
    def presenter(self) -> Presenter:
        """The steps presented, made on first reading (never by two threads at once: a trace
        is used under its run's lock, store.py)."""
        if self._presenter is None:
            self._presenter = Presenter(self, self._script())
        return self._presenter

    @property
    def step_list(self) -> list[Step]:
        return self.presenter.steps

    @property
    def tex(self) -> Notation:
        return self.presenter.tex

    def check_step(self, k: int) -> None:
        """Step k exists (one step per event: counted without presenting them)."""
        steps = len(self.schedule.events)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < steps:
            raise NotFoundError("step", k, f"steps are 0 to {steps - 1}")

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

    def summarize_all(self) -> None:
        """Summarise every version the tape made in one batch (summarize_many: the fixed costs
        of a summary paid once), before the states that show them are read."""
        if not self._summarized:
            self.tape.summarize_versions(list(self.tape.made_at), self._shared, self.iteration)
            self._summarized = True

    def state(self, k: int) -> State:
        self.check_step(k)
        self.summarize_all()
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
        self.summarize_all()
        changes = _Changes(self)
        changes.read(self.schedule.events)
        return changes.out

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
                       "compute the gradients of data inputs" if kind == "input" else
                       f"; the backward pass never computes the gradient of a {kind}"
                       f"{' (a constant)' if kind == 'const' else ''}"
                       if kind in ("const", "labels") else "")
            option = "input_grads" if first is None and which == "grad" and \
                self.graph.nodes[nid].kind == "input" else ""
            raise NotFoundError(f"{which} of node {nid!r} at step", k, f"it exists {when}{why}",
                                option)
        return np.asarray(self.tape.array(nid, which, version), dtype=np.float64)

    @property
    def nbytes(self) -> int:
        return self.tape.nbytes


class _Changes(EventReader):
    """What each step of `trace` changed, node -> {field: new value} (Trace.changes)."""

    def __init__(self, trace: Trace):
        self.trace = trace
        self.out: list[dict[str, dict[str, object]]] = []

    def on_load(self, event: Load, k: int) -> None:
        fields = NODE_FIELDS[self.trace.mode]
        self.out.append({nid: {f: getattr(self.trace.node_state(k, nid), f) for f in fields}
                         for nid in self.trace.graph.order})

    def on_forward(self, event: Forward, k: int) -> None:
        tape = self.trace.tape
        changed = {"value": tape.summary(event.node, "value", 0)}
        if self.trace.mode == "forward":
            changed["tangent"] = tape.summary(event.node, "tangent", 0)
        self.out.append({event.node: changed})

    def on_update(self, event: Update, k: int) -> None:
        self.out.append({event.node: {"value": self.trace.tape.summary(event.node, "value", 1),
                                      "updated": True}})

    def on_seed(self, event: Seed, k: int) -> None:
        self._arrived(k, [event.node])

    def on_backward(self, event: Backward, k: int) -> None:
        self._arrived(k, [s.edge.source for s in event.sends])

    def _arrived(self, k: int, targets: list[str]) -> None:
        """Gradients arrive at `targets`: each one's sum so far, and whether it is complete."""
        changed = {}
        for nid in dict.fromkeys(targets):
            received = self.trace.grad_version(k, nid)
            changed[nid] = {
                "grad": self.trace.tape.summary(nid, "grad", received),
                "grad_status": "complete" if received >= self.trace.expected[nid] else "partial",
                "received": received,
            }
        self.out.append(changed)
