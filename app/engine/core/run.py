"""A run: a graph + seed + SGD settings + iterations, and everything computed from it.

`RunSpec` (spec.py) is the run's description and its canonical form (what a run id encodes); `Run`
validates it eagerly (parse, shapes, limits, the schedule) and computes lazily: training on
the first loss or trace past iteration 0, each iteration's trace on demand (the API caches
them), the script once. The one schedule feeds training, the traces and the script.
"""

from __future__ import annotations

import threading

from app.engine.core.carried import SharedSummaries
from app.engine.core.errors import InvalidRequestError, LimitError, NotFoundError
from app.engine.core.limits import Limits
from app.engine.core.schedule import Schedule, gradient_leaves
from app.engine.core.spec import RunSpec
from app.engine.core.trace import Trace
from app.engine.core.training import Training, init_leaves
from app.engine.instruments import budget, gradcheck, memory, modes
from app.engine.language import custom
from app.engine.language.parser import parse
from app.engine.presenter import codegen
from app.engine.presenter.notation import Notation
from app.engine.presenter.summary import Summary
from app.engine.presets import check_sweep, get_preset

#: values of one parameter in a memory sweep, at most
MAX_SWEEP_VALUES = 32


def peak_memory_sweep(preset_id: str, vary: str, values: list, params: dict,
                      limits: Limits) -> list[int]:
    """The memory ledger's peak for each value of the preset's integer parameter `vary` (the
    others as given or at their defaults): from the schedule and the shapes, no numerics."""
    check_sweep(preset_id, vary, values, MAX_SWEEP_VALUES)
    peaks, cost = [], 0
    for value in values:
        spec = RunSpec(preset=preset_id, params={**params, vary: value})
        source, numbers, *_ = spec.resolved()
        graph = parse(source, limits, numbers)
        schedule = Schedule(graph, gradient_leaves(graph, spec.resolved_input_grads()))
        # a parse and a ledger: a call's worth per node and per event, counted as they come
        cost += budget.CALL_COST * (len(graph.nodes) + len(schedule.events))
        budget.charge(cost, limits, f"the memory sweep ({len(values)} graphs of {preset_id})",
                      "ask for fewer values")
        peaks.append(memory.ledger(schedule).peak_bytes)
    return peaks


class Run:
    """A validated run. Raises SourceError, LimitError, InvalidRequestError, NotFoundError."""

    def __init__(self, spec: RunSpec, limits: Limits):
        self.spec = spec
        self.limits = limits
        #: the request validated once
        self.resolved = r = spec.resolve()
        self.source, self.numbers, self.lr, self.iterations, self.seed = \
            r.source, r.numbers, r.lr, r.iterations, r.seed
        if self.iterations > limits.max_iterations:
            raise LimitError("max_iterations", limits.max_iterations, self.iterations,
                             "(training iterations)")
        self.mode, direction, self.input_grads = r.mode, r.direction, r.input_grads
        self.graph = parse(self.source, limits, self.numbers)
        #: the one reverse-mode schedule: training, the script and (in reverse mode) every
        #: trace read it; gradients of every parameter, and of the data inputs if asked
        self.schedule = Schedule(self.graph, gradient_leaves(self.graph, self.input_grads))
        #: forward mode: (leaf, index) whose tangent is 1
        self.direction = self._direction(direction) if self.mode == "forward" else None
        #: the sweep a trace steps through: the schedule itself, or forward mode's
        self.sweep = self.schedule if self.mode == "reverse" else \
            Schedule.forward_mode(self.graph, self.direction[0])
        #: what training every iteration and tracing one costs, counted before any work
        checked = [d for d in self.graph.definitions if d.has_backward and d.shapes]
        checks = sum(custom.check_cost(self.graph.custom[d.name], d.shapes) for d in checked)
        self.cost = budget.cost(self.schedule, self.sweep, self.iterations, checks)
        if self.cost.total > limits.max_compute:
            checking = f" + {checks:.3g} to check your backwards" if checks else ""
            raise LimitError(
                "max_compute", limits.max_compute, self.cost.total,
                f"for the run's compute ({self.cost.per_iteration:.3g} element operations per "
                f"training iteration × {self.iterations} iterations + {self.cost.trace:.3g} to "
                f"trace one{checking} = {self.cost.total:.3g}; ask for fewer iterations or "
                f"smaller tensors)")
        #: the hand-written backwards still to check (check_backwards, inside the budget)
        self._unchecked = checked
        self.leaves = init_leaves(self.graph, self.seed)
        self._lock = threading.Lock()
        #: summaries shared by every iteration's trace: of the leaves no update changes, of
        #: the parameters entering the iterations traced last
        self._shared_summaries = SharedSummaries()
        self._training: Training | None = None
        self._graph_document: dict | None = None
        self._script: codegen.Script | None = None

    @property
    def title(self) -> str:
        return get_preset(self.spec.preset).title if self.spec.preset else "your graph"

    def _direction(self, direction) -> tuple[str, tuple[int, ...]]:
        """The forward-mode direction, checked against the graph (default: the first
        parameter's first element, or the first input's)."""
        leaves = [n for n in self.graph.order if self.graph.nodes[n].kind in ("param", "input")]
        if direction is None:
            params = [p.id for p in self.graph.parameters]
            leaf = (params or leaves)[0]
            return leaf, (0,) * len(self.graph.nodes[leaf].shape)
        leaf, index = direction
        if leaf not in leaves:
            raise InvalidRequestError(f"{leaf!r} is not an input or parameter of the graph; "
                                      f"leaves: {', '.join(leaves)}", "direction.leaf")
        shape = self.graph.nodes[leaf].shape
        if len(index) != len(shape) or any(i >= n for i, n in zip(index, shape, strict=False)):
            where = f"of shape {list(shape)}" if shape else "a scalar: [] or omitted"
            raise InvalidRequestError(f"{list(index)} is not an element of {leaf} ({where})",
                                      "direction.index")
        return leaf, index

    def check_backwards(self) -> None:
        """Check each hand-written backward against finite differences (counted in the run's
        cost; done once, before the run is described or traced)."""
        with self._lock:
            for d in self._unchecked:
                d.check = custom.check_backward(d, self.graph.custom[d.name], d.shapes)
            self._unchecked = []

    def phases(self) -> dict[str, list[int]]:
        return self.sweep.phases()

    def describe(self) -> dict:
        self.check_backwards()
        phases = self.phases()
        return {
            "source": self.source, "preset": self.spec.preset,
            "params": dict(sorted(self.numbers.items())), "seed": self.seed,
            "lr": self.lr, "iterations": self.iterations,
            "mode": self.mode,
            "direction": None if self.direction is None else
            {"leaf": self.direction[0], "index": list(self.direction[1])},
            "input_grads": self.input_grads,
            "steps_per_iteration": len(self.sweep), "phases": phases,
            "quantities": list(self.sweep.quantities),
            "custom_ops": [
                {"name": d.name, "has_backward": d.has_backward,
                 "check": None if d.check is None else
                 {"ok": d.check.ok, "max_rel_error": d.check.max_rel_error}}
                for d in self.graph.definitions
            ],
            "graph": self.graph_document(),
        }

    def graph_document(self) -> dict:
        """The graph as JSON-ready data, what the layout draws (no backward is checked for
        it), each node with its gradient as the steps write it (∂J/∂(y_pred - y); null for a
        node the backward pass never differentiates: constants, labels, data inputs without
        `input_grads`). Made once per run (4 ms of a 505-node graph's layout request) and
        shared: read it, never change it (app/drawing's collapse and layout make new dicts)."""
        if self._graph_document is None:
            self._graph_document = self._make_graph_document()
        return self._graph_document

    def _make_graph_document(self) -> dict:
        graph = self.graph.to_dict()
        notation = Notation(self.graph)
        for node in graph["nodes"]:
            node["gradient"] = notation.grad_text(node["id"]) \
                if node["id"] in self.schedule.grad_nodes else None
        return graph

    def training(self) -> Training:
        with self._lock:
            if self._training is None:
                self._training = Training(self.schedule, self.leaves, self.lr, self.iterations,
                                          self.limits)
            return self._training

    def losses(self) -> list[float]:
        return self.training().losses

    def losses_until(self, t: int) -> list[float]:
        """The losses of iterations 0 to t - 1 (trains only that far)."""
        return self.training().losses_until(t)

    def script(self) -> str:
        return self._get_script().text

    def _get_script(self) -> codegen.Script:
        with self._lock:
            if self._script is None:
                self._script = codegen.script(self.schedule, self.seed, self.lr,
                                              self.iterations, self.title)
            return self._script

    def leaves_at(self, t: int) -> dict:
        """Every leaf's value at iteration t (the parameters after t updates)."""
        self._iteration(t)
        return self.leaves if t == 0 else self.training().leaves_at(t)

    def _iteration(self, t: int) -> None:
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.iterations:
            raise NotFoundError("iteration", t, f"iterations are 0 to {self.iterations - 1}")

    def gradcheck(self, t: int, dtype: str = "float64") -> gradcheck.GradCheck:
        """Iteration t's gradients against central differences (forward pass in `dtype`)."""
        self._iteration(t)
        gradcheck.charge(self.graph, self.limits)  # before training to t, before any pass
        return gradcheck.check(self.graph, self.leaves_at(t), self.seed, dtype)

    def memory(self) -> memory.Ledger:
        """The memory ledger of an iteration (the same for every iteration)."""
        return memory.ledger(self.sweep)

    def modes(self, of: str | None = None, wrt: list[str] | None = None) -> modes.ModeCosts:
        """Forward vs reverse mode for the Jacobian of `of` w.r.t. `wrt`, at iteration 0."""
        return modes.costs(self.graph, self.leaves, of, wrt, self.limits)

    def trace(self, t: int) -> Trace:
        """Iteration t traced step by step (a new trace each call: the API caches them)."""
        leaves = self.leaves_at(t)
        self.check_backwards()
        return Trace(self.sweep, leaves, self.lr, t, self.seed, self._get_script,
                     self.direction, self._shared_summaries)

    @property
    def nbytes(self) -> int:
        """What the run keeps: its leaves and training checkpoints (traces are apart)."""
        leaves = sum(v.nbytes for v in self.leaves.values()) + \
            len(self._shared_summaries) * Summary.NBYTES
        return leaves + (self._training.nbytes if self._training is not None else 0)
