"""A PyTorch module imported as Gradwalk source: every parameter's gradient equals PyTorch's
(given the run's own leaf values) and three SGD losses equal a torch SGD loop."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from app.engine.core.limits import Limits  # noqa: E402
from app.engine.core.run import Run, RunSpec  # noqa: E402
from app.engine.language.parser import parse  # noqa: E402
from app.importers.torch_source import leaf_name, to_source  # noqa: E402
from gradwalk.torch import UnsupportedModelError  # noqa: E402

from .models import MODELS  # noqa: E402

LR = 0.05


def _imported(name):
    factory, inputs, loss, target = MODELS[name]
    torch.manual_seed(0)
    module = factory()
    source = to_source(module, inputs, loss=loss, target=target)
    run = Run(RunSpec(source=source, lr=LR, iterations=3), Limits())
    return module, inputs, loss, target, source, run


def _torch_loss(module, loss, values):
    out = module(*values[:-1]) if loss else module(*values)
    if loss == "mse":
        return torch.nn.functional.mse_loss(out, values[-1])
    if loss == "cross_entropy":
        return torch.nn.functional.cross_entropy(out, values[-1])
    return out


class _Masked(torch.nn.Module):
    """A dropout that multiplies by a given mask: the run's own draw (0 or 1/(1 − p))."""

    def __init__(self, mask):
        super().__init__()
        self.mask = torch.tensor(mask, dtype=torch.float64)

    def forward(self, x):
        return x * self.mask


def _dropout_mask(graph, nid) -> bool:
    return (graph.nodes[nid].init or {}).get("dist") == "dropout"


def _as_torch(module, run, inputs, loss):
    """The module in float64 holding the run's leaves, and the run's inputs as tensors; each
    nn.Dropout (called once, in the order they are declared) multiplies by the run's mask."""
    twin = copy.deepcopy(module).double()
    # a batch norm's running statistics are no leaf (training mode never reads them)
    buffers = dict(twin.named_buffers())
    state = {k: buffers[k] if k in buffers and leaf_name(k) not in run.leaves
             else torch.tensor(run.leaves[leaf_name(k)], dtype=torch.float64)
             for k in twin.state_dict()}
    twin.load_state_dict(state)
    masks = [run.leaves[n] for n in run.graph.order if _dropout_mask(run.graph, n)]
    drops = [name for name, m in twin.named_modules()
             if isinstance(m, torch.nn.Dropout) and m.p > 0]  # p = 0: the identity, no mask
    assert len(masks) == len(drops)
    for name, mask in zip(drops, masks, strict=True):
        twin.set_submodule(name, _Masked(mask))
    names = [n for n in run.graph.order if run.graph.nodes[n].kind in ("input", "labels")
             and not _dropout_mask(run.graph, n)]
    values = []
    for nid in names:
        v = run.leaves[nid]
        values.append(torch.tensor(v, dtype=torch.long if run.graph.nodes[nid].kind == "labels"
                                   else torch.float64))
    assert len(values) == len(inputs) + (1 if loss else 0)
    return twin, values


@pytest.mark.parametrize("name", sorted(MODELS))
def test_gradients_equal_pytorch(name):
    module, inputs, loss, _, _, run = _imported(name)
    twin, values = _as_torch(module, run, inputs, loss)
    out = _torch_loss(twin, loss, values)
    out.backward()
    trace = run.trace(0)
    last = len(trace.step_list) - 1
    np.testing.assert_allclose(run.losses()[0], out.item(), rtol=1e-9)
    for key, param in twin.named_parameters():
        got = trace.tensor(last, leaf_name(key), "grad")
        np.testing.assert_allclose(got, param.grad.numpy(), rtol=1e-6, atol=1e-12,
                                   err_msg=f"{name}: {key}")


def torch_sgd_losses(twin, loss, values, steps=3) -> list[float]:
    """The losses of `steps` iterations of torch.optim.SGD at LR on the twin."""
    optimizer = torch.optim.SGD(twin.parameters(), lr=LR)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        out = _torch_loss(twin, loss, values)
        losses.append(out.item())
        out.backward()
        optimizer.step()
    return losses


@pytest.mark.parametrize("name", sorted(MODELS))
def test_three_sgd_losses_equal_a_torch_loop(name):
    module, inputs, loss, _, _, run = _imported(name)
    twin, values = _as_torch(module, run, inputs, loss)
    np.testing.assert_allclose(run.losses()[:3], torch_sgd_losses(twin, loss, values),
                               rtol=1e-9)


def test_groups_follow_the_module_paths():
    *_, source, run = _imported("sequential")
    groups = {g for nid in run.graph.order for g in run.graph.nodes[nid].groups}
    assert {"features", "features.0", "features.2", "classifier"} <= groups, groups
    assert 'with group("features"):\n    with group("features.0"):' in source


def test_leaves_are_named_after_the_state_dict_and_the_arguments():
    *_, source, run = _imported("two-step-rnn")
    leaves = {n for n in run.graph.order if run.graph.nodes[n].is_leaf}
    assert {"ih_weight", "ih_bias", "hh_weight", "head_bias", "x1", "x2", "target"} <= leaves
    assert "target = labels(4, 3)" in source
    # ih is called twice: its second call is a group of its own
    assert 'with group("ih (2)"):' in source


def test_every_unsupported_op_is_named_with_where_it_occurs():
    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 2, 3, groups=2)  # conv2d is groups=1
            self.fc = torch.nn.Linear(8, 1)

        def forward(self, x):
            h = torch.floor(self.conv(x))
            return self.fc(torch.cumsum(torch.flatten(h, 1), 1)).sum()

    with pytest.raises(UnsupportedModelError) as caught:
        to_source(Odd(), torch.randn(2, 2, 4, 4))
    text = str(caught.value)
    assert len(caught.value.problems) == 3, text
    assert "convolution in conv (test_torch_import.py" in text and "groups=2" in text, text
    assert "floor" in text and "cumsum" in text, text
    assert "nothing was imported" in text


def test_a_model_of_every_conv_op_reads_as_pytorch_writes_it():
    *_, source, _ = _imported("pool-variants")
    for line in ("conv1_out = conv2d(x, conv1_weight, conv1_bias, stride=2, padding=1)",
                 "avg_pool2d(tanh_out, 3, stride=2, padding=1)",
                 "conv2d(avg_pool2d_out, conv2_weight, padding=(1, 0), dilation=(1, 2))",
                 "max_pool2d_out = max_pool2d(conv2_out, 2, stride=1)",
                 "flatten(max_pool2d_out, 1)"):
        assert line in source, source


def test_a_forward_that_is_not_a_loss_says_what_to_pass():
    with pytest.raises(UnsupportedModelError, match="loss='mse'"):
        to_source(MODELS["mlp"][0](), torch.randn(3, 6))


def test_the_source_parses_as_written():
    for name in MODELS:
        *_, source, _ = _imported(name)
        parse(source, Limits())
