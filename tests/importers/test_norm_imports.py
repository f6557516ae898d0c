"""Layer norm from PyTorch and ONNX onto the registry's one `layer_norm` op: aten layer_norm
and native_layer_norm, ONNX LayerNormalization, and the nine-node chain an older exporter
(opset < 17) writes, read back as one op only when it is exactly that chain."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from app.engine.core.limits import Limits  # noqa: E402
from app.engine.core.run import Run, RunSpec  # noqa: E402
from app.importers.errors import UnsupportedModelError  # noqa: E402
from app.importers.onnx_source import to_source as onnx_source  # noqa: E402
from app.importers.torch_source import to_source  # noqa: E402

from .test_torch_import import LR, _as_torch, _torch_loss, torch_sgd_losses  # noqa: E402


class NormTanh(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(5, 6)
        self.norm = torch.nn.LayerNorm(6, eps=1e-3)
        self.head = torch.nn.Linear(6, 2)

    def forward(self, x):
        return self.head(torch.tanh(self.norm(self.fc(x))))


class ByHand(torch.nn.Module):
    """A layer norm written out; `reuse` reads the centred value again (no longer the chain)."""

    def __init__(self, reuse: bool):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)
        self.reuse = reuse

    def forward(self, x):
        h = self.fc(x)
        c = h - h.mean(-1, keepdim=True)
        n = c / torch.sqrt(c.pow(2).mean(-1, keepdim=True) + 1e-5)
        return n + c if self.reuse else n


def _onnx(module, x, opset):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), buffer, dynamo=False, input_names=["x"],
                          opset_version=opset)
    return onnx_source(buffer.getvalue(), loss="mse", batch=x.shape[0])


def _assert_like_torch(module, source, x):
    run = Run(RunSpec(source=source, lr=LR, iterations=3), Limits())
    twin, values = _as_torch(module, run, (x,), "mse")
    out = _torch_loss(twin, "mse", values)
    out.backward()
    trace = run.trace(0)
    last = len(trace.step_list) - 1
    for key, param in twin.named_parameters():
        got = trace.tensor(last, key.replace(".", "_"), "grad")
        np.testing.assert_allclose(got, param.grad.numpy(), rtol=1e-6, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(run.losses()[:3], torch_sgd_losses(twin, "mse", values),
                               rtol=1e-9)
    return run


@pytest.mark.parametrize("opset", [14, 17])
def test_an_onnx_layer_norm_is_the_registry_op(opset):
    """opset 17 writes LayerNormalization, opset 14 the chain: both become one layer_norm."""
    torch.manual_seed(0)
    module, x = NormTanh(), torch.randn(6, 5)
    source = _onnx(module, x, opset)
    assert "layer_norm(fc_out, (6,), norm_weight, norm_bias, eps=0.001)" in source, source
    assert "norm_weight = ones(6)" in source and "norm_bias = zeros(6)" in source
    run = _assert_like_torch(module, source, x)
    assert [n.op for n in run.graph.ops].count("layer_norm") == 1
    assert not {"sqrt", "var"} & {n.op for n in run.graph.ops}


@pytest.mark.parametrize("reuse", [False, True])
def test_the_chain_is_read_as_one_op_only_when_nothing_else_reads_its_steps(reuse):
    torch.manual_seed(0)
    module, x = ByHand(reuse), torch.randn(5, 4)
    source = _onnx(module, x, 14)
    assert ("layer_norm(" in source) is not reuse, source
    assert ("sqrt(" in source) is reuse
    if not reuse:
        assert "layer_norm(fc_out, (4,))" in source  # no weight, no bias, eps 1e-05
    _assert_like_torch(module, source, x)


def test_aten_native_layer_norm_is_the_registry_op():
    class Native(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(4))

        def forward(self, x):
            return (torch.native_layer_norm(x, (4,), self.w, None, 1e-3)[0] ** 2).mean()

    source = to_source(Native(), (torch.randn(3, 4),))
    assert "layer_norm(x, (4,), w, eps=0.001)" in source, source
    Run(RunSpec(source=source), Limits())

    class Statistics(torch.nn.Module):
        def forward(self, x):
            return torch.native_layer_norm(x, (4,), None, None, 1e-5)[1].sum()

    with pytest.raises(UnsupportedModelError, match="output 1 of native_layer_norm"):
        to_source(Statistics(), (torch.randn(3, 4),))
