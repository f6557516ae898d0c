"""An embedding from PyTorch (aten embedding) and ONNX (Gather of an initialiser's rows) onto
the registry's `embedding(ids, table)`; the ids an integer input declared `labels(B, T, V)`.
(The embedding classifier's gradients and SGD losses against PyTorch are the models' tests.)"""

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

from .models import MODELS  # noqa: E402


def _classifier():
    factory, inputs, loss, target = MODELS["embedding-classifier"]
    torch.manual_seed(0)
    return factory(), inputs, loss, target


def test_the_ids_are_a_labels_leaf_counting_the_table_s_rows_and_repeat():
    module, inputs, loss, target = _classifier()
    source = to_source(module, inputs, loss=loss, target=target)
    assert "ids = labels(4, 5, 10)" in source and "embed_weight = param(10, 6)" in source
    assert "embed_out = embedding(ids, embed_weight)" in source
    ids = Run(RunSpec(source=source), Limits()).leaves["ids"]
    assert ids.shape == (4, 5) and len(np.unique(ids)) < ids.size  # repeats: rows accumulate


def test_onnx_gather_of_an_initialiser_is_an_embedding():
    module, inputs, loss, _ = _classifier()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, inputs, buffer, dynamo=False, input_names=["ids"])
    source = onnx_source(buffer.getvalue(), loss=loss, batch=4)
    assert "ids = labels(4, 5, 10)" in source and "embed_weight = param(10, 6)" in source
    assert "embedding(ids, embed_weight)" in source


class Padded(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(6, 3, padding_idx=0)

    def forward(self, ids):
        return self.embed(ids).sum()


class Positions(torch.nn.Module):
    """Positional embeddings: ids computed inside the model (arange), not an input."""

    def __init__(self):
        super().__init__()
        self.pos = torch.nn.Embedding(8, 3)

    def forward(self, x):
        return (x + self.pos(torch.arange(x.shape[0]))).sum()


@pytest.mark.parametrize("module, example, says", [
    (Padded(), torch.tensor([[1, 0, 2]]), "padding_idx"),
    (Positions(), torch.randn(4, 3), "ids computed inside the model"),
])
def test_an_embedding_gradwalk_cannot_write_is_named(module, example, says):
    with pytest.raises(UnsupportedModelError, match=says):
        to_source(module, (example,))
