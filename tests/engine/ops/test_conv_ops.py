"""The convolution ops beyond the registry's own checks: max pooling's choice on a tie, how the
language writes them (PyTorch's way), and the limits on their attributes."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.language.parser import parse
from app.engine.ops.registry import apply_vjp, get_op

torch = pytest.importorskip("torch")

#: 1 × 1 × 4 × 4: window (0, 0) all equal, window (0, 1) a tie between its 2nd and 4th
#: elements, window (1, 0) a tie on its last row, window (1, 1) one clear largest
TIES = np.array([[[[1.0, 1.0, 0.0, 3.0],
                   [1.0, 1.0, 2.0, 3.0],
                   [0.0, -1.0, 5.0, 4.0],
                   [2.0, 2.0, 1.0, 0.0]]]])


@pytest.mark.parametrize("kernel,stride", [(2, None), (2, 1), (3, 1)])
def test_max_pool_gives_a_tie_to_the_first_max_as_torch(kernel, stride):
    op = get_op("max_pool2d")
    attrs = {"kernel_size": kernel, "stride": stride, "padding": 0}
    out = op.forward(TIES, **attrs)
    g = np.arange(1.0, out.size + 1).reshape(out.shape)
    got = apply_vjp(op, g, out, [TIES], attrs, 0)
    x = torch.tensor(TIES, requires_grad=True)
    torch.nn.functional.max_pool2d(x, kernel, stride).backward(torch.tensor(g))
    np.testing.assert_array_equal(got, x.grad.numpy())


def test_max_pool_tie_goes_to_the_first_element_in_row_major_order():
    op = get_op("max_pool2d")
    attrs = {"kernel_size": 2, "stride": None, "padding": 0}
    out = op.forward(TIES, **attrs)
    got = apply_vjp(op, np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), out, [TIES], attrs, 0)
    np.testing.assert_array_equal(got[0, 0], [[10.0, 0.0, 0.0, 20.0],
                                              [0.0, 0.0, 0.0, 0.0],
                                              [0.0, 0.0, 40.0, 0.0],
                                              [30.0, 0.0, 0.0, 0.0]])


SOURCE = """x = input(2, 1, 6, 6)
W = param(3, 1, 3, 3)
b = param(3)
{line}
loss = sum(h)
"""


def _graph(line: str):
    return parse(SOURCE.format(line=line), Limits())


def _last_op(graph):
    return graph.nodes[graph.nodes["loss"].inputs[0]]


@pytest.mark.parametrize("line,op,shape,attrs", [
    ("h = conv2d(x, W, b, stride=1, padding=1)", "conv2d", (2, 3, 6, 6),
     {"stride": 1, "padding": 1, "dilation": 1}),
    ("h = F.conv2d(x, W, b, stride=(2, 1), dilation=2)", "conv2d", (2, 3, 1, 2),
     {"stride": (2, 1), "padding": 0, "dilation": 2}),
    ("h = conv2d(x, W, stride=2) + 0 * sum(b)", "conv2d", None, None),
    ("h = max_pool2d(conv2d(x, W, b), 2)", "max_pool2d", (2, 3, 2, 2),
     {"kernel_size": 2, "stride": None, "padding": 0}),
    ("h = torch.nn.functional.avg_pool2d(conv2d(x, W, b), 3, 1, 1)", "avg_pool2d",
     (2, 3, 4, 4), {"kernel_size": 3, "stride": 1, "padding": 1}),
    ("h = flatten(conv2d(x, W, b), 1)", "flatten", (2, 48), {"start_dim": 1, "end_dim": -1}),
    ("h = torch.flatten(conv2d(x, W, b))", "flatten", (96,), {"start_dim": 0, "end_dim": -1}),
])
def test_the_language_writes_them_as_pytorch(line, op, shape, attrs):
    graph = _graph(line)
    if shape is None:  # no bias: PyTorch's None is a 0
        node = next(n for n in graph.nodes.values() if n.op == op)
        assert graph.nodes[node.inputs[2]].init == {"dist": "value", "value": 0.0}
        assert node.shape == (2, 3, 2, 2)
        return
    node = _last_op(graph)
    assert node.op == op and node.shape == shape and node.attrs == attrs


@pytest.mark.parametrize("line,message", [
    ("h = conv2d(x, W, b, stride=0)", "stride must be a whole number from 1 to 32"),
    ("h = conv2d(x, W, b, padding=33)", "padding must be a whole number from 0 to 32"),
    ("h = conv2d(x, W, b, dilation=(1, 2, 3))", "dilation= is a whole number or a pair"),
    ("h = conv2d(x, W, b, padding=1.5)", "padding= is a whole number or a pair"),
    ("h = conv2d(x, W, b, stride=True)", "stride= is a whole number or a pair"),
    ("h = conv2d(x, W, b, dilation=3)", "kernel (3×3, dilation 3) is larger than the 6×6 "
                                        "input with padding 0"),
    ("h = conv2d(x, b, b)", "conv2d takes x (N, C, H, W) and a weight"),
    ("h = conv2d(x, W, W)", "the bias must have shape (3,)"),
    ("h = max_pool2d(x, 2, padding=2)", "padding 2 is more than half the kernel 2: at most 1"),
    ("h = max_pool2d(x, 7)", "pooling window (7×7) is larger than the 6×6 input"),
    ("h = avg_pool2d(x, 0)", "kernel_size must be a whole number from 1 to 32"),
    ("h = max_pool2d(b, 2)", "max_pool2d takes x (N, C, H, W), got (3,)"),
    ("h = flatten(x, 2, 1)", "start_dim=2 comes after end_dim=1"),
    ("h = flatten(x, 4)", "start_dim=4 is out of range for shape (2, 1, 6, 6)"),
])
def test_bad_attributes_are_named_with_what_is_allowed(line, message):
    with pytest.raises(SourceError, match="line 4") as e:
        _graph(line + " + 0 * sum(W) + 0 * sum(b)")
    assert message in str(e.value)
