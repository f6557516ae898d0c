"""PyTorch (CPU, float64) as the reference: every op, and every preset's gradients.

Skipped only where torch is not installed (`.ci/run` installs torch==2.13.0).
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.core.shapes import index_key
from app.engine.ops.registry import REGISTRY, apply_jvp, apply_vjp, get_op
from app.engine.presets import PRESETS
from tests.engine.conftest import op_cases, sample_inputs

torch = pytest.importorskip("torch")


def _dims(a, axis):
    return tuple(range(a.dim())) if axis is None else axis


def _prod(a, axis=None, keepdims=False):
    """torch.prod over several axes: one at a time, the last first."""
    if a.dim() == 0:
        return a
    axes = range(a.dim()) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    for one in sorted({x % a.dim() for x in axes}, reverse=True):
        a = torch.prod(a, dim=one, keepdim=keepdims)
    return a


def _reduce(fn):
    def apply(a, axis=None, keepdims=False):
        if a.dim() == 0:
            return a
        return fn(a, dim=_dims(a, axis), keepdim=keepdims)
    return apply


TORCH = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "matmul": lambda a, b: a @ b,
    "transpose": lambda a: a.permute(tuple(reversed(range(a.dim())))),
    "pow": lambda a, p: a ** p, "neg": lambda a: -a, "relu": torch.relu,
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp, "log": torch.log,
    "sqrt": torch.sqrt, "abs": torch.abs, "sin": torch.sin, "cos": torch.cos,
    "square": torch.square,
    "sum": _reduce(torch.sum), "mean": _reduce(torch.mean),
    "logsumexp": lambda a, axis=None, keepdims=False: torch.logsumexp(
        a, dim=_dims(a, axis), keepdim=keepdims),
    "softmax": lambda a, axis=-1: torch.softmax(a, dim=axis),
    "maximum": torch.maximum, "minimum": torch.minimum,
    "matmul_nd": torch.matmul,
    "cross_entropy": lambda a, b: torch.nn.functional.cross_entropy(a, b.detach().long()),
    "concatenate": lambda *xs, axis=0, n=2: torch.cat(xs, dim=axis),
    "stack": lambda *xs, axis=0, n=2: torch.stack(xs, dim=axis),
    "index": lambda a, key=":": a[index_key(key)],
    "reshape": lambda a, shape=(): torch.reshape(a, shape),
    "power": lambda a, b: torch.pow(a, b),
    "softplus": lambda a: torch.nn.functional.softplus(a),
    "log1p": torch.log1p, "expm1": torch.expm1,
    "log_sigmoid": torch.nn.functional.logsigmoid, "softsign": torch.nn.functional.softsign,
    "leaky_relu": lambda a, slope=0.01: torch.nn.functional.leaky_relu(a, slope),
    "elu": lambda a, alpha=1.0: torch.nn.functional.elu(a, alpha),
    "gelu": lambda a: torch.nn.functional.gelu(a, approximate="none"),
    "clip": lambda a, min=-1.0, max=1.0: torch.clamp(a, min, max),
    "prod": lambda a, axis=None, keepdims=False: _prod(a, axis, keepdims),
    "var": lambda a, axis=None, keepdims=False: torch.var(
        a, dim=_dims(a, axis), correction=0, keepdim=keepdims),
    "std": lambda a, axis=None, keepdims=False: torch.std(
        a, dim=_dims(a, axis), correction=0, keepdim=keepdims),
    "norm": lambda a, axis=None, keepdims=False: torch.linalg.vector_norm(
        a, dim=None if axis is None else axis, keepdim=keepdims),
    "max": lambda a, axis=None, keepdims=False: torch.amax(a, dim=_dims(a, axis),
                                                          keepdim=keepdims),
    "min": lambda a, axis=None, keepdims=False: torch.amin(a, dim=_dims(a, axis),
                                                          keepdim=keepdims),
    "log_softmax": lambda a, axis=-1: torch.log_softmax(a, dim=axis),
    # no bias: the language's 0 (a number) stands for PyTorch's None
    "conv2d": lambda x, w, b, **kw: torch.nn.functional.conv2d(
        x, w, b if b.dim() else b.expand(w.shape[0]), **kw),
    "max_pool2d": torch.nn.functional.max_pool2d,
    "avg_pool2d": torch.nn.functional.avg_pool2d,
    "flatten": torch.flatten,
    "dropout": lambda x, mask, p=0.5: x * mask.detach(),  # the same mask (the run's draw)
    "embedding": lambda ids, table: torch.nn.functional.embedding(ids.detach().long(), table),
    # a number as the weight or bias (the language's default 1 and 0) is expanded
    "batch_norm": lambda x, w, b, eps=1e-5: torch.nn.functional.batch_norm(
        x, None, None, w.expand(x.shape[1]), b.expand(x.shape[1]), training=True, eps=eps),
    "layer_norm": lambda x, w, b, normalized_shape=(), eps=1e-5: torch.nn.functional.layer_norm(
        x, normalized_shape, w.expand(normalized_shape), b.expand(normalized_shape), eps=eps),
}


def test_every_op_has_a_torch_reference():
    assert set(TORCH) == set(REGISTRY)


@pytest.mark.parametrize("name,shapes,attrs", op_cases())
def test_op_matches_torch(name, shapes, attrs):
    rng = np.random.default_rng(3)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    g = rng.normal(size=np.shape(out))
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    t_out = TORCH[name](*tensors, **attrs)
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    t_out.backward(torch.tensor(g))
    for index, t in enumerate(tensors):
        got = apply_vjp(op, g, out, inputs, attrs, index)
        want = t.grad.numpy() if t.grad is not None else np.zeros_like(inputs[index])
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)  # (labels: none)


@pytest.mark.parametrize("name,shapes,attrs", op_cases())
def test_jvp_matches_torch_func_jvp(name, shapes, attrs):
    rng = np.random.default_rng(7)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    tangents = [rng.normal(size=x.shape) for x in inputs]
    primals = tuple(torch.tensor(x, dtype=torch.float64) for x in inputs)
    directions = tuple(torch.tensor(t, dtype=torch.float64) for t in tangents)
    _, want = torch.func.jvp(lambda *xs: TORCH[name](*xs, **attrs), primals, directions)
    got = apply_jvp(op, tangents, out, inputs, attrs)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-12)


def interpret(graph, values: dict, definitions: dict) -> dict:
    """Every node of `graph` as a torch tensor, from its leaves' tensors in `values`."""
    values = dict(values)
    for nid in graph.order:
        node = graph.nodes[nid]
        if node.kind == "const" and nid not in values:
            values[nid] = torch.tensor(node.init["value"], dtype=torch.float64)
        elif node.kind == "op":
            inputs = [values[i] for i in node.inputs]
            if node.op in definitions:
                values[nid] = custom_function(definitions[node.op], definitions)(*inputs)
            else:
                values[nid] = TORCH[node.op](*inputs, **node.attrs)
    return values


def custom_function(d, definitions):
    """An op the source defines, in torch: its definition, and its backward as a
    torch.autograd.Function with the same (maybe wrong) rule, or autograd through the
    definition when there is none."""
    def through(*xs):
        graph = d.instantiate(tuple(tuple(x.shape) for x in xs))
        return interpret(graph, dict(zip(d.args, xs, strict=True)), definitions)[graph.loss]

    if not d.has_backward:
        return through

    class Function(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            with torch.no_grad():
                out = through(*xs)
            ctx.save_for_backward(out, *xs)
            return out

        @staticmethod
        def backward(ctx, g):
            out, *xs = ctx.saved_tensors
            graph, outputs = d.instantiate_backward(
                (tuple(g.shape), tuple(out.shape), *(tuple(x.shape) for x in xs)))
            values = interpret(graph, dict(zip(d.backward_args, (g, out, *xs), strict=True)),
                               definitions)
            return tuple(values[o] for o in outputs)

    return Function.apply


def torch_gradients(run: Run, leaves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Interpret the run's graph with torch ops and let autograd differentiate the loss."""
    graph = run.graph
    values = {nid: torch.tensor(leaves[nid], dtype=torch.float64,
                                requires_grad=graph.nodes[nid].kind != "const")
              for nid in graph.order if graph.nodes[nid].is_leaf}
    definitions = {d.name: d for d in graph.definitions}
    values = interpret(graph, values, definitions)
    values[graph.loss].backward()
    return {n: values[n].grad.numpy() for n in graph.order
            if graph.nodes[n].kind in ("input", "param")}


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("iteration", [0, 1])
def test_preset_gradients_match_torch(preset, iteration):
    # input_grads: the data inputs' gradients are checked too (a preset's default prunes them;
    # test_schedule.py checks that pruning leaves the parameters' gradients as they are)
    run = Run(RunSpec(preset=preset, input_grads=True), Limits())
    if iteration >= run.iterations:
        pytest.skip("the preset has one iteration")
    trace = run.trace(iteration)
    last = len(trace.step_list) - 1
    leaves = run.training().leaves_at(iteration) if iteration else run.leaves
    want = torch_gradients(run, leaves)
    for nid, grad in want.items():
        got = trace.tensor(last, nid, "grad")
        np.testing.assert_allclose(got, grad, rtol=1e-9, atol=1e-12, err_msg=nid)
