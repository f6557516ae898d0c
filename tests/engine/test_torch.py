"""PyTorch (CPU, float64) as the reference: every op, and every preset's gradients.

Skipped only where torch is not installed (`.ci/run` installs torch==2.13.0).
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.limits import Limits
from app.engine.ops import REGISTRY, apply_jvp, apply_vjp, get_op
from app.engine.presets import PRESETS
from app.engine.run import Run, RunSpec

from .conftest import op_cases, sample_inputs

torch = pytest.importorskip("torch")


def _dims(a, axis):
    return tuple(range(a.dim())) if axis is None else axis


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
    "log_softmax": lambda a, axis=-1: torch.log_softmax(a, dim=axis),
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
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-12)


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


def torch_gradients(run: Run, leaves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Interpret the run's graph with torch ops and let autograd differentiate the loss."""
    graph = run.graph
    values = {}
    for nid in graph.order:
        node = graph.nodes[nid]
        if node.is_leaf:
            values[nid] = torch.tensor(leaves[nid], dtype=torch.float64,
                                       requires_grad=node.kind != "const")
        else:
            values[nid] = TORCH[node.op](*(values[i] for i in node.inputs), **node.attrs)
    values[graph.loss].backward()
    return {n: values[n].grad.numpy() for n in graph.order
            if graph.nodes[n].kind in ("input", "param")}


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("iteration", [0, 1])
def test_preset_gradients_match_torch(preset, iteration):
    run = Run(RunSpec(preset=preset), Limits())
    if iteration >= run.iterations:
        pytest.skip("the preset has one iteration")
    trace = run.trace(iteration)
    last = len(trace.step_list) - 1
    leaves = run.training().leaves_at(iteration) if iteration else run.leaves
    want = torch_gradients(run, leaves)
    for nid, grad in want.items():
        got = trace.tensor(last, nid, "grad")
        np.testing.assert_allclose(got, grad, rtol=1e-9, atol=1e-12, err_msg=nid)
