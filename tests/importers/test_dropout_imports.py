"""Dropout from PyTorch (aten dropout, native_dropout) and ONNX (Dropout in training mode) onto
the registry's `dropout(x, p=…)`, its mask the run's own draw. What the comparison with PyTorch
covers: torch cannot draw numpy's mask, so the models' tests give the torch twin the run's mask
(gradients and SGD losses then equal); here, p = 0 is the identity and equals the untouched
module, and the mask is a real one (zeros and 1/(1 − p))."""

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

from .models import MODELS, DropoutMLP  # noqa: E402
from .test_torch_import import _as_torch, _torch_loss  # noqa: E402


def _dropout_mlp(p=0.25):
    _, inputs, loss, target = MODELS["dropout-mlp"]
    torch.manual_seed(0)
    module = DropoutMLP()
    module.drop.p = p
    return module, inputs, loss, target


def test_the_import_writes_dropout_and_the_run_draws_a_real_mask():
    module, inputs, loss, target = _dropout_mlp()
    source = to_source(module, inputs, loss=loss, target=target)
    assert "drop_out = dropout(relu_out, p=0.25)" in source, source
    mask = Run(RunSpec(source=source), Limits()).leaves["drop_out_mask"]
    assert set(np.unique(mask)) == {0.0, 1 / 0.75}


def test_p_zero_is_the_identity_and_equals_the_untouched_module():
    module, inputs, loss, target = _dropout_mlp(p=0.0)
    source = to_source(module, inputs, loss=loss, target=target)
    assert "dropout" not in source
    run = Run(RunSpec(source=source), Limits())
    twin, values = _as_torch(module, run, inputs, loss)  # no mask: the module's own dropout
    assert isinstance(twin.drop, torch.nn.Dropout)
    twin.train()
    out = _torch_loss(twin, loss, values)
    out.backward()
    trace = run.trace(0)
    last = len(trace.step_list) - 1
    np.testing.assert_allclose(run.losses()[0], out.item(), rtol=1e-12)
    np.testing.assert_allclose(trace.tensor(last, "fc1_weight", "grad"),
                               twin.fc1.weight.grad.numpy(), rtol=1e-6)


def test_native_dropout_s_output_is_read_and_its_mask_refused():
    class Native(torch.nn.Module):
        def forward(self, x):
            return torch.native_dropout(x, 0.2, True)[0].sum()

    assert "dropout(x, p=0.2)" in to_source(Native(), (torch.randn(3, 4),))

    class MaskOut(torch.nn.Module):
        def forward(self, x):
            return torch.native_dropout(x, 0.2, True)[1].float().sum()

    with pytest.raises(UnsupportedModelError, match="output 1 of native_dropout"):
        to_source(MaskOut(), (torch.randn(3, 4),))


@pytest.mark.parametrize("mode, written", [("TRAINING", True), ("EVAL", False)])
def test_onnx_dropout_in_training_mode_only(mode, written):
    module, inputs, loss, _ = _dropout_mlp()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, inputs, buffer, dynamo=False, input_names=["x"],
                          training=getattr(torch.onnx.TrainingMode, mode))
    source = onnx_source(buffer.getvalue(), loss=loss, batch=8)
    assert ("dropout(" in source and "p=0.25" in source) is written, source
