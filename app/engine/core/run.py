"""A run: a graph + seed + SGD settings + iterations, and everything computed from it.

`RunSpec` is the run's description and its canonical form (what a run id encodes); `Run`
validates it eagerly (parse, shapes, limits, the schedule) and computes lazily: training on
the first loss or trace past iteration 0, each iteration's trace on demand (the API caches
them), the script once. The one schedule feeds training, the traces and the script.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field

from app.engine.core.errors import InvalidRequestError, LimitError, NotFoundError
from app.engine.core.limits import Limits
from app.engine.core.schedule import Schedule, gradient_leaves
from app.engine.core.trace import Trace
from app.engine.core.training import Training, init_leaves
from app.engine.instruments import budget, gradcheck, memory, modes
from app.engine.language import custom
from app.engine.language.parser import check_text, parse
from app.engine.presenter import codegen
from app.engine.presenter.notation import Notation
from app.engine.presets import check_sweep, get_preset

CANONICAL_VERSION = 1
MAX_SEED = 2**32 - 1
MAX_LR = 1e3
MAX_FREE_PARAMS = 32
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


#: what a run of your own source uses for what its request leaves out (GET /presets says it)
SOURCE_DEFAULTS = {"seed": 0, "lr": 0.01, "iterations": 100, "input_grads": True}


@dataclass(frozen=True)
class ResolvedSpec:
    """A run request validated once (RunSpec.resolve): what the run id, `Run` and POST share."""

    preset: str | None
    source: str
    numbers: dict
    lr: float
    iterations: int
    seed: int
    mode: str
    #: forward mode's (leaf, index), None for the default (the graph decides) or reverse mode
    direction: tuple[str, tuple[int, ...]] | None
    input_grads: bool

    def canonical(self) -> dict:
        """The run's canonical description: equal runs give equal dicts (what an id encodes)."""
        out = {"v": CANONICAL_VERSION, "seed": self.seed, "lr": self.lr,
               "iterations": self.iterations, "params": dict(sorted(self.numbers.items()))}
        if self.preset is not None:
            out["preset"] = self.preset
        else:
            out["source"] = self.source
        # written only when false: an id made before the option (no key) keeps its run, which
        # computed every input's gradient
        if not self.input_grads:
            out["input_grads"] = False
        if self.mode == "forward":
            out["mode"] = self.mode
            if self.direction is not None:
                out["direction"] = {"leaf": self.direction[0], "index": list(self.direction[1])}
        return out


@dataclass(frozen=True)
class RunSpec:
    source: str | None = None
    preset: str | None = None
    params: dict = field(default_factory=dict)
    #: None: the preset's seed (0 for a source)
    seed: int | None = None
    lr: float | None = None
    iterations: int | None = None
    #: "reverse" (gradients, the default) or "forward" (tangents along `direction`)
    mode: str = "reverse"
    #: forward mode: {"leaf": id, "index": [i, j]} (None: the first parameter's first element)
    direction: dict | None = None
    #: whether the backward pass also computes ∂loss/∂x for the data inputs (None: the
    #: preset's default; a source's is True)
    input_grads: bool | None = None

    def resolved_input_grads(self) -> bool:
        """`input_grads` with the default filled in: the preset's (true only where its source
        text computes them), True for a source (as every run before the option)."""
        if self.input_grads is None:
            return get_preset(self.preset).input_grads if self.preset is not None \
                else SOURCE_DEFAULTS["input_grads"]
        if not isinstance(self.input_grads, bool):
            raise InvalidRequestError("must be true or false", "input_grads")
        return self.input_grads

    def sweep(self) -> tuple[str, tuple[str, tuple[int, ...]] | None]:
        """(mode, (leaf, index) or None), checked for form (the graph checks the rest)."""
        if self.mode not in ("reverse", "forward"):
            raise InvalidRequestError("must be 'reverse' or 'forward'", "mode")
        if self.direction is None:
            return self.mode, None
        if self.mode != "forward":
            raise InvalidRequestError("a direction is for mode 'forward' only", "direction")
        d = self.direction
        if not isinstance(d, dict) or set(d) - {"leaf", "index"} or \
                not isinstance(d.get("leaf"), str):
            raise InvalidRequestError('must be {"leaf": a leaf id, "index": [whole numbers]}',
                                      "direction")
        index = d.get("index", [])
        if not isinstance(index, list) or len(index) > 32 or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 2**31
                for i in index):
            raise InvalidRequestError("must be a list of whole numbers, one per axis of the "
                                      "leaf ([] or omitted for a scalar)", "direction.index")
        return self.mode, (d["leaf"], tuple(index))

    def resolved(self) -> tuple[str, dict[str, float], float, int, int]:
        """(source, named numbers, lr, iterations, seed) with the preset's defaults filled in."""
        if (self.source is None) == (self.preset is None):
            raise InvalidRequestError("give exactly one of `preset` and `source`")
        params = dict(self.params or {})
        if self.preset is not None:
            preset = get_preset(self.preset)
            known = {p.name: p for p in preset.params}
            for name in params:
                if name not in known:
                    allowed = ", ".join(known) or "none"
                    raise InvalidRequestError(f"unknown parameter {name!r} of preset "
                                              f"{preset.id!r}; parameters: {allowed}", "params")
            numbers = {}
            for p in preset.params:
                value = params.get(p.name, p.default)
                if p.options and value not in range(len(p.options)):
                    listed = ", ".join(f"{i} ({o})" for i, o in enumerate(p.options))
                    raise InvalidRequestError(f"must be the index of one of {listed}",
                                              f"params.{p.name}")
                numbers[p.name] = _param_value(p.name, value, p.kind, p.min, p.max)
            source = preset.source_for(numbers)
            lr = preset.lr if self.lr is None else self.lr
            iterations = preset.iterations if self.iterations is None else self.iterations
            seed = preset.seed if self.seed is None else self.seed
        else:
            if len(params) > MAX_FREE_PARAMS:
                raise InvalidRequestError(f"at most {MAX_FREE_PARAMS} parameters", "params")
            numbers = {}
            for name, value in params.items():
                if not isinstance(name, str) or not _NAME.fullmatch(name):
                    raise InvalidRequestError(f"parameter name {name!r} must be an identifier "
                                              "of at most 32 characters", "params")
                numbers[name] = _param_value(name, value, "number", -1e12, 1e12)
            source = self.source
            lr = SOURCE_DEFAULTS["lr"] if self.lr is None else self.lr
            iterations = SOURCE_DEFAULTS["iterations"] if self.iterations is None \
                else self.iterations
            seed = SOURCE_DEFAULTS["seed"] if self.seed is None else self.seed
        if not isinstance(source, str):
            raise InvalidRequestError("must be text", "source")
        check_text(source)  # a lone surrogate has no UTF-8: no id, no response could hold it
        _check_number(lr, "lr", 0.0, MAX_LR)
        if lr == 0:
            raise InvalidRequestError(f"must be a number above 0 and at most {MAX_LR:g}", "lr")
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
            raise InvalidRequestError(f"must be a whole number from 0 to {MAX_SEED}", "seed")
        # bounded here too, far above any limit, so a 400-digit count is refused as a number
        if not isinstance(iterations, int) or isinstance(iterations, bool) \
                or not 1 <= iterations <= 10**9:
            raise InvalidRequestError("must be a whole number from 1 to 1000000000",
                                      "iterations")
        return source, numbers, float(lr), iterations, seed

    def resolve(self) -> ResolvedSpec:
        """The request validated once, every default filled in (the graph's checks apart)."""
        source, numbers, lr, iterations, seed = self.resolved()
        mode, direction = self.sweep()
        return ResolvedSpec(self.preset, source, numbers, lr, iterations, seed, mode,
                            direction, self.resolved_input_grads())

    def canonical(self) -> dict:
        """The run's canonical description: equal runs give equal dicts (what an id encodes)."""
        return self.resolve().canonical()

    @classmethod
    def from_canonical(cls, data) -> RunSpec:
        """Rebuild a spec from untrusted canonical data; InvalidRequestError if malformed."""
        if not isinstance(data, dict) or data.get("v") != CANONICAL_VERSION:
            raise InvalidRequestError(f"not a version-{CANONICAL_VERSION} run description")
        allowed = {"v", "seed", "lr", "iterations", "params", "preset", "source", "mode",
                   "direction", "input_grads"}
        extra = set(data) - allowed
        if extra:
            raise InvalidRequestError(f"unexpected fields {sorted(extra)}")
        if not isinstance(data.get("params", {}), dict):
            raise InvalidRequestError("params must be an object")
        for key, kind in (("preset", str), ("source", str)):
            if key in data and not isinstance(data[key], kind):
                raise InvalidRequestError(f"{key} must be text")
        spec = cls(source=data.get("source"), preset=data.get("preset"),
                   params=data.get("params", {}), seed=data.get("seed"),
                   lr=data.get("lr"), iterations=data.get("iterations"),
                   mode=data.get("mode", "reverse"), direction=data.get("direction"),
                   input_grads=data.get("input_grads", True))
        spec.resolve()
        return spec


def _check_number(value, name: str, lo: float, hi: float) -> None:
    # ints are compared exactly: math.isfinite of a 400-digit int would overflow
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or (isinstance(value, float) and not math.isfinite(value)) or not lo <= value <= hi:
        raise InvalidRequestError(f"must be a number from {lo:g} to {hi:g}", name)


def _param_value(name: str, value, kind: str, lo: float, hi: float):
    _check_number(value, f"params.{name}", lo, hi)
    if kind in ("int", "choice"):
        if float(value) != int(value):
            raise InvalidRequestError("must be a whole number", f"params.{name}")
        return int(value)
    if kind == "float":
        return float(value)
    return value


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
        self._training: Training | None = None
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
        `input_grads`)."""
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
                     self.direction)

    @property
    def nbytes(self) -> int:
        """What the run keeps: its leaves and training checkpoints (traces are apart)."""
        leaves = sum(v.nbytes for v in self.leaves.values())
        return leaves + (self._training.nbytes if self._training is not None else 0)
