"""embedding(ids, table) as PyTorch writes it: ids a labels(…, V) leaf of any shape, the
table's rows picked; a repeated id's gradients add up in its row; the ids get none; clear
errors for ids that are not whole-number leaves or name a row the table lacks."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse
from app.engine.ops.registry import apply_vjp, get_op
from tests.engine.presenter.test_script_is_the_run import assert_same_losses

SOURCE = """ids = labels(2, 3, 5)
E = param(5, 4)
W = param(4, 2)
c = labels(2, 2)
h = mean(embedding(ids, E), axis=1)
loss = cross_entropy(h @ W, c)
"""


def test_a_repeated_id_accumulates_in_its_row_and_the_ids_get_nothing():
    op = get_op("embedding")
    ids = np.array([[1.0, 3.0, 1.0], [1.0, 0.0, 3.0]])
    table = np.arange(10.0).reshape(5, 2)
    out = op.forward(ids, table)
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out[0, 2], table[1])
    g = np.ones((2, 3, 2))
    grad = apply_vjp(op, g, out, [ids, table], {}, 1)
    np.testing.assert_array_equal(grad[:, 0], [1.0, 3.0, 0.0, 2.0, 0.0])  # id 1 three times
    assert not np.any(apply_vjp(op, g, out, [ids, table], {}, 0))


def test_an_id_outside_the_table_is_a_clear_error_not_a_wrapped_row():
    op = get_op("embedding")
    for bad in (5.0, -1.0):  # numpy would wrap -1 to the last row silently
        with pytest.raises(IndexError, match=r"embedding ids must be in 0 … 4"):
            op.forward(np.array([0.0, bad]), np.zeros((5, 2)))


@pytest.mark.parametrize("source, words", [
    ("x = input(3)\nE = param(4, 2)\nloss = sum(embedding(x, E))\n",
     "embedding's ids must be a labels(…, V) leaf"),
    ("ids = labels(3, 6)\nE = param(4, 2)\nloss = sum(embedding(ids, E))\n",
     "the ids ids count 6 classes but the table E has 4 rows"),
    ("ids = labels(3, 4)\nE = param(4)\nloss = sum(embedding(ids, E))\n",
     "embedding's table must be 2-D"),
    ("ids = labels(3)\nloss = sum(ids)\n", "labels takes 2 sizes"),
])
def test_errors_say_what_is_allowed(source, words):
    with pytest.raises(SourceError) as error:
        parse(source, Limits())
    assert words in str(error.value)


def test_the_exported_script_prints_the_engine_s_losses():
    assert_same_losses(Run(RunSpec(source=SOURCE, iterations=3, lr=0.5, seed=2), Limits()))


def test_training_equals_a_torch_sgd_loop_with_two_dimensional_ids():
    torch = pytest.importorskip("torch")
    run = Run(RunSpec(source=SOURCE, iterations=3, lr=0.5, seed=2), Limits())
    assert run.leaves["ids"].shape == (2, 3)
    ids = torch.tensor(run.leaves["ids"], dtype=torch.long)
    c = torch.tensor(run.leaves["c"], dtype=torch.long)
    E = torch.tensor(run.leaves["E"], requires_grad=True)
    W = torch.tensor(run.leaves["W"], requires_grad=True)
    losses = []
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(
            torch.nn.functional.embedding(ids, E).mean(dim=1) @ W, c)
        losses.append(loss.item())
        gE, gW = torch.autograd.grad(loss, [E, W])
        with torch.no_grad():
            E -= 0.5 * gE
            W -= 0.5 * gW
    np.testing.assert_allclose(run.losses()[:3], losses, rtol=1e-10)


def test_a_count_of_classes_past_any_tensor_is_refused_not_a_crash():
    """labels(3, 10**20) drew with randint past int64: a 500. No logits or table can have more
    columns or rows than a tensor has elements, so that is the count's limit."""
    limits = Limits()
    source = f"x = param(3, 2)\nc = labels(3, {limits.max_tensor_elements + 1})\n" \
             "loss = sum(x) + sum(c)\n"
    with pytest.raises(SourceError) as error:
        Run(RunSpec(source=source), limits)
    assert "at most" in str(error.value) and "classes" in str(error.value)
    ok = f"x = param(3, 2)\nc = labels(3, {limits.max_tensor_elements})\nloss = sum(x) + sum(c)\n"
    Run(RunSpec(source=ok), limits)
