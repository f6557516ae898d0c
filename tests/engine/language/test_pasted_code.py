"""Code people already have, pasted as written (issue 25): the seed's numpy forward pass,
micrograd's own tests, a deep MLP as a loop, a residual net with rebinding. Each gives the
numbers of its reference (the preset bit for bit, PyTorch), and its exported script prints the
engine's losses."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from tests.engine.presenter.test_script_is_the_run import assert_same_losses

torch = pytest.importorskip("torch")

#: the seed's forward pass (shared/seeds/000_…), its leaves declared as the preset does
SEED = """N, D_in, H, D_out = 64, 1000, 100, 10
x = input(N, D_in)
y = input(N, D_out)
w1 = param(D_in, H)
w2 = param(H, D_out)
h = x.dot(w1)
h_relu = np.maximum(h, 0)
y_pred = h_relu.dot(w2)
loss = np.square(y_pred - y).sum()
"""


def last_grads(run: Run, names) -> dict[str, np.ndarray]:
    trace = run.trace(0)
    last = len(trace.step_list) - 1
    return {n: trace.tensor(last, n, "grad") for n in names}


def test_the_seed_s_forward_pass_as_written_is_the_preset_bit_for_bit():
    pasted = Run(RunSpec(source=SEED, iterations=40, lr=1e-6), Limits())
    preset = Run(RunSpec(preset="pytorch-numpy-two-layer", iterations=40), Limits())
    assert pasted.losses() == preset.losses()
    names = ["w1", "w2", "h", "h_relu", "y_pred"]
    for name, grad in last_grads(pasted, names).items():
        np.testing.assert_array_equal(grad, last_grads(preset, names)[name], err_msg=name)
    ops = {pasted.graph.nodes[n].op for n in ("h", "h_relu", "y_pred", "loss")}
    assert ops == {"matmul", "maximum", "sum"}
    assert pasted.graph.nodes["loss"].inputs and \
        pasted.graph.nodes[pasted.graph.nodes["loss"].inputs[0]].label == "np.square(y_pred - y)"


def test_the_seed_s_forward_pass_script_prints_the_losses():
    small = SEED.replace("64, 1000, 100, 10", "8, 20, 6, 3")
    assert_same_losses(Run(RunSpec(source=small, iterations=5, lr=1e-3), Limits()))


# ----- micrograd's test_engine.py, typed as written (only Value(v) -> param(value=v)) -----

SANITY = """x = param(value=-4.0)
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
"""

MORE_OPS = """a = param(value=-4.0)
b = param(value=2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
"""


def run_in_pytorch(source: str) -> dict:
    """The same text run as Python by PyTorch: `param(value=v)` is a float64 leaf tensor."""
    scope = {"param": lambda value: torch.tensor(value, dtype=torch.float64,
                                                 requires_grad=True)}
    exec(compile(source, "<micrograd>", "exec"), scope)  # noqa: S102 - the test's reference
    return scope


@pytest.mark.parametrize("source, loss, expected", [
    (SANITY, "y", {"x": 46.0}),
    (MORE_OPS, "g", {"a": 138.8338, "b": 645.5773}),
], ids=["test_sanity_check", "test_more_ops"])
def test_micrograd_s_tests_as_written_give_pytorch_s_gradients(source, loss, expected):
    run = Run(RunSpec(source=source, iterations=3, lr=0.01), Limits())
    scope = run_in_pytorch(source)
    scope[loss].backward()
    got = last_grads(run, expected)
    for name, value in expected.items():
        assert float(got[name]) == pytest.approx(float(scope[name].grad), rel=1e-12)
        assert float(got[name]) == pytest.approx(value, abs=1e-4)
    assert run.losses()[0] == pytest.approx(float(scope[loss].detach()), rel=1e-12)
    assert_same_losses(run)


def test_rebinding_names_each_version_one_way_everywhere():
    run = Run(RunSpec(source=MORE_OPS, iterations=1, lr=0.01), Limits())
    graph = run.graph
    assert graph.loss == "g_2"
    versions = [n for n in graph.order if graph.nodes[n].named and graph.nodes[n].kind == "op"]
    assert versions == ["c", "d", "c_2", "c_3", "d_2", "d_3", "e", "f", "g", "g_2"]
    assert all(graph.nodes[n].label == n for n in versions)
    # a sub-expression's label names the version it reads, as the script does
    labels = {graph.nodes[n].label for n in graph.order if not graph.nodes[n].named}
    assert {"c + 1", "1 + c_2", "d * 2", "3 * d_2", "10.0 / f"} <= labels
    assert graph.nodes["c_3"].expr == "c_2 + (1 + c_2 + (-a))"
    assert graph.nodes["g_2"].expr == "g + (10.0 / f)"
    assert "c_3 = c_2 + " in run.script()
    narration = " ".join(s.narration for s in run.trace(0).step_list)
    assert "c_3 = c_2 + (1 + c_2 + (-a)) = -1, computed from c_2 and (1 + c_2 + (-a))" \
        in narration
    assert "the gradient of the loss g_2 with respect to c_3 is complete" in narration


# ----- loops: a 40-layer MLP in four lines equals the same MLP typed out -----

LOOP = """L = 40
x = input(16, 8)
W = [param(8, 8, scale=0.4) for i in range(L)]
h = x
for i in range(L):
    h = tanh(h @ W[i])
loss = mean(h ** 2)
"""


def typed_out(layers: int) -> str:
    lines = ["x = input(16, 8)"]
    lines += [f"w{i} = param(8, 8, scale=0.4)" for i in range(layers)]
    lines += ["h0 = tanh(x @ w0)"]
    lines += [f"h{i} = tanh(h{i - 1} @ w{i})" for i in range(1, layers)]
    lines += [f"loss = mean(h{layers - 1} ** 2)"]
    return "\n".join(lines) + "\n"


def test_a_40_layer_mlp_written_as_a_loop_equals_it_typed_out():
    loop = Run(RunSpec(source=LOOP, iterations=4, lr=0.5), Limits())
    flat = Run(RunSpec(source=typed_out(40), iterations=4, lr=0.5), Limits())
    assert loop.losses() == flat.losses()
    loop_grads = last_grads(loop, [f"W_{i}" for i in range(40)])
    flat_grads = last_grads(flat, [f"w{i}" for i in range(40)])
    for i in range(40):
        np.testing.assert_array_equal(loop_grads[f"W_{i}"], flat_grads[f"w{i}"])
    graph = loop.graph
    assert len(graph.nodes) == len(flat.graph.nodes)
    assert graph.nodes["h_40"].groups == ("i=39",) and graph.nodes["h"].groups == ("i=0",)
    assert graph.nodes[graph.nodes["h_7"].inputs[0]].label == "h_6 @ W_6"
    assert_same_losses(Run(RunSpec(source=LOOP, iterations=3, lr=0.5), Limits()))


# ----- a residual net with rebinding equals PyTorch -----

RESIDUAL = """x = input(6, 5)
y = input(6, 2)
w1 = param(5, 5, scale=0.5)
w2 = param(5, 5, scale=0.5)
head = param(5, 2, scale=0.5)
x = x + torch.tanh(x @ w1)
x = x + F.relu(x.mm(w2))
x += (x * x).mean(dim=1, keepdim=True)
out = x @ head
loss = F.softmax(out, dim=1).log().sum(1).mean() + np.square(out - y).sum()
"""


def test_a_residual_net_with_rebinding_equals_pytorch():
    run = Run(RunSpec(source=RESIDUAL, iterations=3, lr=0.01, seed=3), Limits())
    trace = run.trace(0)
    leaves = {n: torch.tensor(trace.tensor(0, n, "value"), requires_grad=True)
              for n in ("x", "y", "w1", "w2", "head")}
    x, y, w1, w2, head = leaves.values()
    F = torch.nn.functional
    x = x + torch.tanh(x @ w1)
    x = x + F.relu(x.mm(w2))
    x = x + (x * x).mean(dim=1, keepdim=True)
    out = x @ head
    loss = F.softmax(out, dim=1).log().sum(1).mean() + torch.square(out - y).sum()
    loss.backward()
    assert run.losses()[0] == pytest.approx(float(loss.detach()), rel=1e-12)
    grads = last_grads(run, ["w1", "w2", "head", "x_2", "x_3", "x_4"])
    for name in ("w1", "w2", "head"):
        np.testing.assert_allclose(grads[name], leaves[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
    assert run.graph.nodes["x_4"].expr == "x_3 + (x_3 * x_3).mean(dim=1, keepdim=True)"
    assert_same_losses(run)


def test_the_readme_s_language_examples_are_these_programs():
    """The README's language section shows the seed's forward pass and the loop as tested."""
    from pathlib import Path

    readme = Path(__file__).resolve().parents[3].joinpath("README.md").read_text()
    section = readme.split("## The expression language", 1)[1].split("\n## ", 1)[0]
    blocks = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", section, re.DOTALL)]
    assert SEED in blocks and LOOP in blocks
