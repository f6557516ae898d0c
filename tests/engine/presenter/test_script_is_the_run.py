"""The exported script is always the run (issue 12, item 6): run in a subprocess, it prints
the losses the engine computes, for any graph the language accepts.

The defects this pins down were each seen on the old code: a fan-in accumulated with `+=` into
an array that aliased another gradient (`a = w + w`: the script's ∂loss/∂w was 4, not 3), a
scalar leaf drawn from the normal (`rs.randn()` is a Python float: `mean`'s backward line
called `.size` on it), user names that are the script's own (`t`, `rs`, `learning_rate`). A
property test then runs the script of generated graphs — fan-out, reused parameters, every
op of the registry, numpy's and PyTorch's spellings, names assigned again (`h = relu(h)`,
`h += …`) — and compares every loss to the engine's; another unrolls generated loops by hand.
"""

from __future__ import annotations

import math
import random
import re
import subprocess
import sys

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.core.shapes import ShapeError
from app.engine.ops.registry import REGISTRY
from app.engine.presets import PRESETS


def make_run(source: str, iterations: int = 3, lr: float = 0.05, seed: int = 0) -> Run:
    return Run(RunSpec(source=source, iterations=iterations, lr=lr, seed=seed), Limits())


def script_losses(run: Run) -> list[float]:
    """Run the run's script in a fresh interpreter; the losses it prints, in order."""
    done = subprocess.run([sys.executable, "-c", run.script()], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:] + "\n" + run.script()
    losses = []
    for line in done.stdout.splitlines():
        t, loss = line.split()
        assert int(t) == len(losses)
        losses.append(float(loss))
    return losses


def assert_same_losses(run: Run) -> None:
    engine = run.losses()
    script = script_losses(run)
    assert len(script) == len(engine), run.script()
    np.testing.assert_allclose(script, engine, rtol=1e-9, atol=0, equal_nan=True,
                               err_msg=run.script())


# ----- the defects, one by one -----

def test_fan_in_into_an_aliased_gradient_is_not_added_twice():
    run = make_run("w = param(3)\na = w + w\nloss = sum(a + w)", iterations=4, lr=0.1)
    assert_same_losses(run)
    # and the gradient itself is 3 per element, as the engine (and PyTorch) say
    trace = run.trace(0)
    np.testing.assert_array_equal(trace.tensor(len(trace.step_list) - 2, "w", "grad"),
                                  [3.0, 3.0, 3.0])


@pytest.mark.parametrize("source", [
    "w = param(2, 3)\na = w - w.T.T\nloss = sum(a + w)",
    "w = param(2, 3)\na = w.T\nb = w + a.T\nloss = sum(b * b) + sum(a)",
    "w = param(3)\nx = input(3)\na = x + w\nb = a + a\nc = b - a\nloss = sum(c * c) + sum(a)",
], ids=["sub and transposes", "transpose view", "chained adds"])
def test_views_and_aliases_of_gradients_are_never_changed_in_place(source):
    assert_same_losses(make_run(source, iterations=4, lr=0.1))


@pytest.mark.parametrize("source", [
    "w = param()\nloss = mean(w * w)",
    "w = param(scale=0.5)\nx = input()\nloss = mean((w * x - 1) ** 2)",
    "w = param()\nv = param(3)\nloss = sum(v * w) + mean(w)",
], ids=["mean of a scalar", "scaled scalar", "scalar broadcast"])
def test_scalar_leaves_drawn_from_the_normal_run_in_the_script(source):
    assert_same_losses(make_run(source))


@pytest.mark.parametrize("source", [
    "t = input(3)\nw = param(3)\nloss = sum((w - t) ** 2)",
    "rs = param(3)\nt = param(3)\nloss = sum(rs * t)",
    "it = param(2)\nt = param(2)\nrng = input(2)\nloss = sum(it * t * rng)",
], ids=["t", "rs and t", "the fallbacks too"])
def test_user_names_never_collide_with_the_script_s_own(source):
    run = make_run(source)
    assert_same_losses(run)


def test_functions_the_source_defines_never_collide_with_the_script_s_own():
    source = ("def t(x):\n    return x * 2\n\ndef rs(x):\n    return x + 1\n\n"
              "w = param(3)\nloss = sum(rs(t(w)))\n")
    run = make_run(source)
    assert "for t in" not in run.script() and "rs = np.random" not in run.script()
    assert_same_losses(run)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_the_presets_scripts_keep_the_seed_script_s_names(preset):
    script = Run(RunSpec(preset=preset), Limits()).script()
    assert "rs = np.random.RandomState(" in script and "\nfor t in range(" in script


@pytest.mark.parametrize("name", ["grad_x", "np", "range", "print", "float",
                                  "dot_x"])
def test_names_the_script_or_its_steps_must_keep_are_refused_with_the_reason(name):
    with pytest.raises(SourceError) as raised:
        make_run(f"x = param(3)\n{name} = x * 2\nloss = sum({name})")
    assert raised.value.line == 2 and name in raised.value.message
    assert "reserved" in raised.value.message or "script" in raised.value.message


# ----- generated graphs: fan-out, reused parameters, every op -----

NAMES = ["t", "rs", "a", "b", "h", "x", "y", "w", "v", "u", "z", "out", "e", "m", "g",
         "axis", "keepdims", "tmp1", "tmp3", "it", "rng", "data", "p", "q", "r", "s", "k",
         "n", "c", "d", "f", "o", "j", "l", "i", "hidden", "score", "logits", "prob", "err"]
SHAPES = [(), (3,), (2, 3), (3, 2)]


#: the attributes the generator varies; every other one keeps its default
VARIED = {"axis", "keepdims", "p"}
#: ops whose (first) operand the generator keeps positive, and their domains
POSITIVE = {"log", "sqrt", "log1p", "power"}
OPERATORS = ("+", "-", "*", "/", "@", "**")


def operator(op) -> str | None:
    """The binary operator that writes `op` (`@ (vectors, batches)` is `@`), if any."""
    token = op.syntax.split()[0] if op.syntax else ""
    return token if op.arity == 2 and token in OPERATORS else None


def simple(op) -> bool:
    """Ops every generated graph may use: the operators, `**` with a constant exponent, unary
    -, .T, and the functions of one or two tensors whose attributes are axis and keepdims."""
    if operator(op) or op.syntax in ("**", "unary -", ".T"):
        return True
    return op.syntax == "call" and op.arity in (1, 2) and set(op.attrs) <= VARIED \
        and not op.drawn  # dropout's mask: test_dropout_op.py


class _Graph:
    """A random program of the language, built one statement at a time."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.lines: list[str] = []
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.used: set[str] = set()
        self.label_shapes: dict[str, tuple[int]] = {}
        self.names = iter(rng.sample(NAMES, len(NAMES)))

    def assign(self, expr: str, shape, again: str | None = None) -> str:
        """`name = expr`; `again`: a name assigned before, assigned again (a new version)."""
        name = again or next(self.names)
        self.lines.append(f"{name} = {expr}")
        self.shapes[name] = tuple(shape)
        self.used.discard(name)
        return name

    def again(self) -> str | None:
        """Sometimes a name already used, to assign again (`h = relu(h)`): its old version
        reaches the loss through its users."""
        used = sorted(self.used)
        return self.rng.choice(used) if used and self.rng.random() < 0.3 else None

    def leaf(self) -> str:
        kind = self.rng.choice(["param", "param", "input"])
        shape = self.rng.choice(SHAPES)
        args = ", ".join(map(str, shape))
        if self.rng.random() < 0.3:
            args += (", " if args else "") + "scale=0.5"
        return self.assign(f"{kind}({args})", shape)

    def labels(self, rows: int, classes: int) -> str:
        """A labels(N, C) leaf, declared first and never picked as a float operand."""
        name = f"labels_{len(self.lines)}"  # the lines only grow: a name of its own
        self.lines.insert(0, f"{name} = labels({rows}, {classes})")
        self.label_shapes[name] = (rows,)
        return name

    def pick(self) -> str:
        return self.rng.choice(list(self.shapes))

    @staticmethod
    def positive(name: str) -> str:
        """An expression of `name` that is positive (for log, sqrt, a denominator, a power)."""
        return f"(square({name}) + 1)"

    def op(self, op_name: str) -> bool:
        """Add one statement applying `op_name`; False when no operands fit its shapes."""
        op = REGISTRY[op_name]
        arity = op.arity if op.arity > 0 else 2  # a variadic op: two tensors
        for _ in range(40):
            operands = [self.pick() for _ in range(arity)]
            if arity == 2 and self.rng.random() < 0.3:
                operands[1] = operands[0]  # `w + w`: one node, two edges into one consumer
            if op.name == "cross_entropy":  # class indices: a labels leaf of the logits' shape
                logits = self.shapes[operands[0]]
                if len(logits) != 2:
                    continue
                operands[1] = self.labels(*logits)
            if op.name == "embedding":  # row numbers: a labels leaf counting the table's rows
                table = self.shapes[operands[1]]
                if len(table) != 2:
                    continue
                operands[0] = self.labels(self.rng.randint(1, 3), table[0])
            update = operator(op) and self.used and self.rng.random() < 0.5
            if update:  # `h += b`
                operands[0] = self.rng.choice(sorted(self.used))
            attrs = {}
            if "axis" in op.attrs:
                ndim = len(self.shapes[operands[0]])
                choices = list(range(-ndim, ndim))
                if op.attrs["axis"] is None:  # a reduction over everything
                    choices.append(None)
                if not choices:
                    continue
                attrs["axis"] = self.rng.choice(choices)
            if "keepdims" in op.attrs:
                attrs["keepdims"] = self.rng.random() < 0.3
            if op.syntax == "**" and op.arity == 1:
                attrs["p"] = self.rng.choice([2, 3, 1.5, -1, 0.5])
            try:
                shape = op.shape(*(self.shapes.get(o) or self.label_shapes[o] for o in operands),
                                 **{**op.attrs, **attrs})
            except (ShapeError, TypeError, ValueError, IndexError, KeyError):
                continue
            self.used.update(operands)
            again = operands[0] if update else self.again()
            text = self.render(op, operands, attrs, plain=update)
            if again is not None and again == operands[0] and operator(op) \
                    and text.startswith(f"{again} {operator(op)} "):  # h = h + b: h += b
                self.lines.append(f"{again} {operator(op)}= {text[len(again) + 3:]}")
                self.shapes[again] = tuple(shape)
                self.used.discard(again)
            else:
                self.assign(text, shape, again)
            return True
        return False

    def render(self, op, operands: list[str], attrs: dict, plain: bool = False) -> str:
        """The op as the language writes it, or as numpy or PyTorch do (`np.exp(a)`,
        `torch.sum(a, dim=1)`, `a.mean(axis=0)`, `a.pow(2)`, `np.add(a, b)`)."""
        style = "plain" if plain else self.rng.choice(["plain", "plain", "np", "torch", "method"])
        a = self.positive(operands[0]) if op.name in POSITIVE else operands[0]
        if op.syntax == "**" and op.arity == 1:
            base = operands[0] if attrs["p"] in (2, 3) else self.positive(operands[0])
            return {"np": f"np.power({base}, {attrs['p']})", "torch": f"torch.pow({base}, "
                    f"{attrs['p']})", "method": f"{base}.pow({attrs['p']})"}.get(
                style, f"{base} ** {attrs['p']}")
        if op.syntax == "unary -":
            return {"np": f"np.negative({a})", "method": f"{a}.neg()"}.get(style, f"-{a}")
        if op.syntax == ".T":
            return {"np": f"np.transpose({a})", "method": f"{a}.transpose()"}.get(style,
                                                                              f"{a}.T")
        if operator(op):
            b = self.positive(operands[1]) if op.name == "div" else operands[1]
            numpy = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "divide"}
            torch = op.name if op.name in numpy else "matmul"
            method = self.rng.choice([torch, "dot"]) if torch == "matmul" else torch
            return {"np": f"np.{numpy.get(op.name, 'dot')}({a}, {b})",
                    "torch": f"torch.{torch}({a}, {b})", "method": f"{a}.{method}({b})"}.get(
                style, f"{a} {operator(op)} {b}")
        given = {k: v for k, v in attrs.items() if v != op.attrs.get(k)}  # others: default
        if style == "torch":
            given = {{"axis": "dim", "keepdims": "keepdim"}.get(k, k): v for k, v in given.items()}
            if op.name in ("var", "std"):
                given["correction"] = 0  # PyTorch's default divides by n - 1
        keywords = "".join(f", {k}={v}" for k, v in given.items())
        if style == "method" and op.arity == 1:
            return f"{a}.{op.name}({keywords[2:]})"
        prefix = {"np": "np.", "torch": "torch."}.get(style, "")
        return f"{prefix}{op.name}({', '.join([a, *operands[1:]])}{keywords})"

    def source(self) -> str:
        unused = [n for n in self.shapes if n not in self.used]
        terms = [f"sum({n})" if self.shapes[n] else n for n in unused]
        return "\n".join([*self.lines, "loss = " + " + ".join(terms)])


def generated_run(seed: int, focus: str) -> Run | None:
    """A run of a random graph that uses `focus` (and 2 to 5 ops drawn among the simple
    ones); None when the generator cannot write `focus` in the language."""
    rng = random.Random(seed)
    others = sorted(name for name, op in REGISTRY.items() if simple(op))
    for _ in range(30):
        graph = _Graph(rng)
        for _ in range(rng.randint(2, 4)):
            graph.leaf()
        graph.lines.insert(0, "lam = 0.5")
        ops = [focus, *rng.choices(others, k=rng.randint(2, 5))]
        if not all(graph.op(op) for op in ops):
            continue
        if rng.random() < 0.5:  # a named number in a formula
            name = graph.pick()
            graph.assign(f"lam * {name}", graph.shapes[name])
            graph.used.add(name)
        source = graph.source()
        try:
            run = make_run(source, iterations=3, lr=0.05, seed=seed)
        except SourceError:
            if simple(REGISTRY[focus]):
                raise  # the generator writes these: a refusal is a bug of one or the other
            continue
        if focus in {n.op for n in run.graph.ops}:
            return run
    return None


#: every op of the registry once, each the focus of one graph (and drawn at random in others)
CASES = list(enumerate(sorted(REGISTRY)))


@pytest.mark.parametrize("seed, focus", CASES, ids=[f"{op}-{seed}" for seed, op in CASES])
def test_the_script_of_a_generated_graph_prints_the_engine_s_losses(seed, focus):
    run = generated_run(seed, focus)
    if run is None:
        assert not simple(REGISTRY[focus])
        pytest.skip(f"the generator cannot write {focus} (syntax {REGISTRY[focus].syntax!r}, "
                    f"attributes {sorted(REGISTRY[focus].attrs)})")
    assert_same_losses(run)


def test_generated_graphs_cover_every_simple_op_fan_out_and_reuse():
    ops, fan_out, reused = set(), 0, 0
    for seed, focus in CASES:
        run = generated_run(seed, focus)
        if run is None:
            continue
        graph = run.graph
        ops.update(n.op for n in graph.ops)
        fan_out += sum(len(graph.edges_out[n]) > 1 for n in graph.order)
        reused += sum(len(set(n.inputs)) < len(n.inputs) for n in graph.ops)
    assert ops >= {name for name, op in REGISTRY.items() if simple(op)}
    assert fan_out >= len(CASES) and reused >= 3


def test_generated_graphs_use_numpy_and_pytorch_spellings_and_assign_names_again():
    sources = [run.source for run in (generated_run(seed, focus) for seed, focus in CASES)
               if run is not None]
    lines = [line for source in sources for line in source.splitlines()]
    for written in ("np.", "torch.", "dim=", "+= ", ".pow("):
        assert any(written in line for line in lines), written
    assert sum(bool(re.search(r"\w\.(sum|mean|max|min|exp|tanh|relu|dot|neg)\(", line))
               for line in lines) >= 10  # method forms
    again = [run for run in (generated_run(seed, focus) for seed, focus in CASES)
             if run is not None and any(n.endswith("_2") for n in run.graph.nodes)]
    assert len(again) >= 10


# ----- two numeric edges, fixed in the registry (ops/) -----

def test_w_to_the_power_0_at_0_has_gradient_0():
    """d(w⁰)/dw is 0 everywhere (PyTorch too); 0 · w⁻¹ at w = 0 is NaN."""
    run = make_run("w = param(value=0.0)\nloss = w ** 0", iterations=2)
    trace = run.trace(0)
    grad = trace.tensor(len(trace.step_list) - 2, "w", "grad")
    assert float(grad) == 0.0
    assert_same_losses(run)
    assert run.losses() == [1.0, 1.0]


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    """PyTorch: logsumexp of all −inf is −inf (its max is taken as 0 when infinite), and of a
    +inf element +inf; the max-shift made both NaN."""
    run = make_run("x = param(3)\nloss = logsumexp(log(x * 0))", iterations=1)
    assert run.losses() == [-math.inf]
    assert script_losses(run) == [-math.inf]
    run = make_run("x = param(3)\nloss = logsumexp(-log(x * 0))", iterations=1)
    assert run.losses() == [math.inf]
    assert script_losses(run) == [math.inf]


# ----- generated loops: unrolled by the language, and by hand -----

#: an activation as numpy, PyTorch or a method write it, and as the language's plain call
ACTIVATIONS = [("np.tanh({})", "tanh({})"), ("torch.sigmoid({})", "sigmoid({})"),
               ("({}).relu()", "relu({})"), ("F.softplus({})", "softplus({})"),
               ("np.sin({})", "sin({})"), ("tanh({})", "tanh({})")]
#: the loss as written, and plainly
REDUCTIONS = [("np.square({}).sum()", "sum(square({}))"), ("({}).mean()", "mean({})"),
              ("torch.sum({} ** 2)", "sum({} ** 2)"), ("{}.abs().max()", "max(abs({}))")]


def loop_programs(seed: int) -> tuple[str, str, int]:
    """A random program with (nested) loops, rebinding, `+=` and a list of parameters, and
    the same program unrolled by hand (W0, h3, …); the number of layers."""
    rng = random.Random(seed)
    layers, inner, width = rng.randint(1, 5), rng.randint(0, 3), rng.choice([2, 3, 4])
    act, act_plain = rng.choice(ACTIVATIONS)
    red, red_plain = rng.choice(REDUCTIONS)
    residual, update = rng.random() < 0.5, rng.choice(["+", "-", "*"])
    loop = [f"L = {layers}", f"x = input(4, {width})",
            f"W = [param({width}, {width}, scale=0.5) for i in range(L)]", "h = x",
            "for i in range(L):",
            f"    h = {act.format('h @ W[i]')}" + (" + h" if residual else "")]
    flat = [f"x = input(4, {width})"]
    flat += [f"W{i} = param({width}, {width}, scale=0.5)" for i in range(layers)]
    if inner:
        loop += [f"    for j in range({inner}):", f"        h {update}= h * (j + i) * 0.1"]
    current, count = "x", 0
    for i in range(layers):
        count += 1
        flat.append(f"h{count} = {act_plain.format(f'{current} @ W{i}')}"
                    + (f" + {current}" if residual else ""))
        current = f"h{count}"
        for j in range(inner):
            count += 1
            flat.append(f"h{count} = {current} {update} ({current} * ({j} + {i}) * 0.1)")
            current = f"h{count}"
    loop.append(f"loss = {red.format('h')}")
    flat.append(f"loss = {red_plain.format(current)}")
    return "\n".join(loop) + "\n", "\n".join(flat) + "\n", layers


@pytest.mark.parametrize("seed", range(8))
def test_a_generated_loop_equals_it_unrolled_by_hand_and_its_script_prints_its_losses(seed):
    loop_source, flat_source, layers = loop_programs(seed)
    loop, flat = make_run(loop_source, seed=seed), make_run(flat_source, seed=seed)
    assert loop.losses() == flat.losses(), loop_source + "\n" + flat_source
    ops = [(n.op, n.shape) for n in loop.graph.ops]
    assert ops == [(n.op, n.shape) for n in flat.graph.ops]
    loop_trace, flat_trace = loop.trace(1), flat.trace(1)
    last = len(loop_trace.step_list) - 1
    for i in range(layers):
        np.testing.assert_array_equal(loop_trace.tensor(last, f"W_{i}", "grad"),
                                      flat_trace.tensor(last, f"W{i}", "grad"))
    assert_same_losses(loop)
