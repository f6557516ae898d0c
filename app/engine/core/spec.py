"""A run's description: `RunSpec`, what a request asks for, validated once into a frozen
`ResolvedSpec` (the source, its numbers, the SGD settings, forward mode's direction) and its
canonical form (what a run id encodes). run.py's `Run` is built from it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from app.engine.core.errors import InvalidRequestError
from app.engine.language.parser import check_text
from app.engine.presets import get_preset

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
