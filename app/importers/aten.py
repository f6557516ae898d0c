"""ATen ops (what `torch.export` leaves after decomposition) written in Gradwalk's language.

One function per ATen op: it returns the expression of the op's output in terms of its
arguments' names, using only the registry's ops, or raises `NotWritable` with the reason. A
few ops are identities for Gradwalk (a copy, a float-to-float cast, a view to the same shape)
and give their input's name, adding no node.
"""

from __future__ import annotations

import math
import operator
import re
from pathlib import Path

import torch

from app.importers.conv_writers import RUNNING_STATS, aten_writers, flattened
from app.importers.errors import Alias, NotWritable
from app.importers.writer import layer_norm

aten = torch.ops.aten


def _axes(dims, ndim: int) -> str:
    if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
        return "None"
    dims = [dims] if isinstance(dims, int) else list(dims)
    dims = [d % ndim if ndim else d for d in dims]
    return str(dims[0]) if len(dims) == 1 else "(" + ", ".join(map(str, dims)) + ")"


def _shape(node) -> tuple[int, ...]:
    return tuple(int(s) for s in node.meta["val"].shape)


def _ndim(arg) -> int:
    return len(arg.meta["val"].shape) if isinstance(arg, torch.fx.Node) else 0


def _is_reversal(dims, ndim: int) -> bool:
    return [d % ndim for d in dims] == list(reversed(range(ndim)))


def _reduction(fn: str):
    def write(tr, node):
        x, dims = node.args[0], node.args[1] if len(node.args) > 1 else None
        keep = node.args[2] if len(node.args) > 2 else node.kwargs.get("keepdim", False)
        if node.kwargs.get("dtype") is not None:
            raise NotWritable("a reduction with a dtype")
        return f"{fn}({tr.ref(x)}, axis={_axes(dims, _ndim(x))}, keepdims={bool(keep)})"
    return write


def _unary(fn: str):
    return lambda tr, node: f"{fn}({tr.ref(node.args[0])})"


def _binary(symbol: str, swapped: bool = False):
    def write(tr, node):
        a, b = node.args[0], node.args[1]
        alpha = node.kwargs.get("alpha", 1)
        if swapped:
            a, b = b, a
        rhs = tr.ref(b) if alpha == 1 else f"{alpha!r} * {tr.ref(b)}"
        if node.kwargs.get("rounding_mode") is not None:
            raise NotWritable("a division with rounding")
        return f"{tr.ref(a)} {symbol} {rhs}"
    return write


def _reshape(tr, node):
    x = node.args[0]
    shape = _shape(node)
    if tuple(x.meta["val"].shape) == shape:
        return Alias(tr.ref(x))
    return flattened(tr.ref(x), x.meta["val"].shape, shape) or \
        f"reshape({tr.ref(x)}, {tr.ref(shape)})"


def _permute(tr, node):
    x, dims = node.args[0], node.args[1]
    if list(dims) == list(range(len(dims))):
        return Alias(tr.ref(x))
    if not _is_reversal(dims, len(dims)):
        raise NotWritable(f"permute {list(dims)}: Gradwalk's transpose reverses every axis "
                          "(a 2-D transpose); other orders have no op yet")
    return f"{tr.ref(x)}.T"


def _transpose(tr, node):
    x, d0, d1 = node.args
    n = _ndim(x)
    dims = list(range(n))
    dims[d0 % n], dims[d1 % n] = dims[d1 % n], dims[d0 % n]
    if n == 2 or dims == list(range(n)):
        return f"{tr.ref(x)}.T" if n == 2 and d0 % n != d1 % n else Alias(tr.ref(x))
    raise NotWritable(f"transpose of axes {d0}, {d1} of a {n}-D tensor: no op yet")


def _addmm(tr, node):
    bias, a, b = node.args[:3]
    if node.kwargs.get("beta", 1) != 1 or node.kwargs.get("alpha", 1) != 1:
        raise NotWritable("addmm with beta or alpha other than 1")
    return f"{tr.ref(a)} @ {tr.ref(b)} + {tr.ref(bias)}"


def _linear(tr, node):
    x, w = node.args[0], node.args[1]
    b = node.args[2] if len(node.args) > 2 else None
    out = f"{tr.ref(x)} @ {tr.ref(w)}.T"
    return out if b is None else f"{out} + {tr.ref(b)}"


def _softmax(fn: str):
    def write(tr, node):
        x, dim = node.args[0], node.args[1]
        return f"{fn}({tr.ref(x)}, axis={dim % _ndim(x)})"
    return write


def _pow(tr, node):
    a, p = node.args
    if isinstance(p, torch.fx.Node):
        return f"power({tr.ref(a)}, {tr.ref(p)})"
    return f"{tr.ref(a)} ** {tr.ref(p)}"


def _var(fn: str):
    def write(tr, node):
        x = node.args[0]
        dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
        correction = node.kwargs.get("correction", 1)
        keep = node.kwargs.get("keepdim", False)
        text = f"{fn}({tr.ref(x)}, axis={_axes(dims, _ndim(x))}, keepdims={bool(keep)})"
        if not correction:
            return text
        shape = tuple(x.meta["val"].shape)
        axes = range(len(shape)) if not dims else [d % len(shape) for d in (
            [dims] if isinstance(dims, int) else dims)]
        n = math.prod(shape[d] for d in axes)
        if n <= correction:
            raise NotWritable(f"{fn} with correction {correction} over {n} elements")
        factor = n / (n - correction)
        return f"{text} * {factor!r}" if fn == "var" else f"{text} * {math.sqrt(factor)!r}"
    return write


def _clamp(tr, node):
    x = node.args[0]
    lo = node.args[1] if len(node.args) > 1 else node.kwargs.get("min")
    hi = node.args[2] if len(node.args) > 2 else node.kwargs.get("max")
    if lo is not None and hi is not None:
        return f"clip({tr.ref(x)}, min={tr.ref(lo)}, max={tr.ref(hi)})"
    if lo is not None:
        return f"maximum({tr.ref(x)}, {tr.ref(lo)})"
    if hi is not None:
        return f"minimum({tr.ref(x)}, {tr.ref(hi)})"
    return Alias(tr.ref(x))


def _join(fn: str):
    def write(tr, node):
        tensors = node.args[0]
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        ndim = _ndim(tensors[0]) + (1 if fn == "stack" else 0)
        return f"{fn}([{', '.join(tr.ref(t) for t in tensors)}], axis={dim % ndim})"
    return write


def _slice(tr, node):
    x, dim = node.args[0], node.args[1] if len(node.args) > 1 else 0
    start = node.args[2] if len(node.args) > 2 else None
    end = node.args[3] if len(node.args) > 3 else None
    step = node.args[4] if len(node.args) > 4 else 1
    n = _ndim(x)
    size = int(x.meta["val"].shape[dim % n])
    start = 0 if start is None else start
    end = size if end is None or end > size else end
    if (start, end, step) == (0, size, 1):
        return Alias(tr.ref(x))
    part = f"{start}:{end}" + (f":{step}" if step != 1 else "")
    return f"{tr.ref(x)}[{', '.join([':'] * (dim % n) + [part])}]"


def _select(tr, node):
    x, dim, index = node.args
    n = _ndim(x)
    return f"{tr.ref(x)}[{', '.join([':'] * (dim % n) + [str(index)])}]"


def _gelu(tr, node):
    if node.kwargs.get("approximate", "none") != "none":
        raise NotWritable("gelu with approximate='tanh' (Gradwalk's gelu is the exact erf "
                          "form)")
    return f"gelu({tr.ref(node.args[0])})"


def _leaky(tr, node):
    slope = node.args[1] if len(node.args) > 1 else node.kwargs.get("negative_slope", 0.01)
    return f"leaky_relu({tr.ref(node.args[0])}, slope={slope!r})"


def _elu(tr, node):
    alpha = node.args[1] if len(node.args) > 1 else 1.0
    if node.args[2:] not in ((), (1,), (1, 1), (1.0,), (1.0, 1.0)):
        raise NotWritable("elu with a scale")
    return f"elu({tr.ref(node.args[0])}, alpha={float(alpha)!r})"


def _softplus(tr, node):
    if node.args[1:] not in ((), (1,), (1, 20), (1.0,), (1.0, 20.0), (1, 20.0)):
        raise NotWritable("softplus with beta other than 1")
    return f"softplus({tr.ref(node.args[0])})"


def _cross_entropy(tr, node):
    logits, target = node.args[0], node.args[1]
    rest = list(node.args[2:]) + [None] * 4
    weight, reduction, ignore, smoothing = rest[:4]
    if weight is not None or reduction not in (None, 1) or smoothing not in (None, 0, 0.0):
        raise NotWritable("cross_entropy with class weights, label smoothing or a reduction "
                          "other than the mean")
    if _ndim(logits) != 2 or _ndim(target) != 1 or not isinstance(target, torch.fx.Node) \
            or target.meta["val"].is_floating_point():
        raise NotWritable("cross_entropy of (N, C) logits and N class labels only")
    return f"cross_entropy({tr.ref(logits)}, {tr.ref(target)})"


def _mse(tr, node):
    a, b = node.args[0], node.args[1]
    reduction = node.args[2] if len(node.args) > 2 else 1
    inner = f"({tr.ref(a)} - {tr.ref(b)}) ** 2"
    return {0: inner, 1: f"mean({inner})", 2: f"sum({inner})"}[reduction]


def _layer_norm(tr, node):
    x, shape = node.args[0], node.args[1]
    w = node.args[2] if len(node.args) > 2 else None
    b = node.args[3] if len(node.args) > 3 else None
    eps = node.args[4] if len(node.args) > 4 else 1e-5
    return layer_norm(tr.ref(x), shape, eps, None if w is None else tr.ref(w),
                      None if b is None else tr.ref(b))


def _embedding(tr, node):
    """aten.embedding(table, ids, padding_idx=-1, scale_grad_by_freq=False, sparse=False)."""
    table, ids = node.args[0], node.args[1]
    padding, by_freq = (list(node.args[2:4]) + [-1, False])[:2]
    if padding not in (-1, None) or by_freq:
        raise NotWritable("an embedding with padding_idx or scale_grad_by_freq (Gradwalk's "
                          "sends every picked row its whole gradient)")
    if not (isinstance(ids, torch.fx.Node) and ids.op == "placeholder"):
        raise NotWritable("ids computed inside the model (Gradwalk's ids are an integer input "
                          "of the forward, a labels leaf)")
    return f"embedding({tr.ref(ids)}, {tr.ref(table)})"


def _dropout(tr, node):
    """aten.dropout(x, p, train) and native_dropout: in training mode the registry's dropout
    (its mask the run's own draw), else the identity."""
    x, p = node.args[0], float(node.args[1])
    train = node.args[2] if len(node.args) > 2 else node.kwargs.get("train", True)
    if not train or p == 0:
        return Alias(tr.ref(x))
    return f"dropout({tr.ref(x)}, p={p!r})"


#: ops with several outputs whose first is the tensor itself (the others: saved statistics,
#: a dropout's mask, a max pooling's indices), read through `operator.getitem(…, 0)`
_FIRST = {aten.native_layer_norm.default, aten.native_dropout.default,
          aten.max_pool2d_with_indices.default, aten._native_batch_norm_legit.no_stats,
          *(getattr(aten, name).default for name in RUNNING_STATS[:3])}


def _first_output(tr, node):
    """`operator.getitem(native_layer_norm(…), 0)`: the normalised tensor itself; the saved
    mean and 1/std (outputs 1 and 2), or native_dropout's mask, are not tensors Gradwalk
    holds."""
    source, index = node.args
    if index == 0 and getattr(source, "target", None) in _FIRST:
        return Alias(tr.ref(source))
    raise NotWritable(f"output {index} of {getattr(source, 'name', source)} (only the first "
                      "output of native_layer_norm, native_dropout, a batch norm or "
                      "max_pool2d_with_indices)")


def _cast(tr, node):
    x = node.args[0]
    dtype = node.kwargs.get("dtype")
    if dtype is None or (dtype.is_floating_point and x.meta["val"].is_floating_point()):
        return Alias(tr.ref(x))
    raise NotWritable(f"a cast to {dtype}")


WRITERS = {
    aten.add.Tensor: _binary("+"), aten.sub.Tensor: _binary("-"),
    aten.mul.Tensor: _binary("*"), aten.div.Tensor: _binary("/"),
    aten.rsub.Scalar: _binary("-", swapped=True), aten.rsub.Tensor: _binary("-", swapped=True),
    aten.neg.default: lambda tr, n: f"-{tr.ref(n.args[0])}",
    aten.reciprocal.default: lambda tr, n: f"1.0 / {tr.ref(n.args[0])}",
    aten.rsqrt.default: lambda tr, n: f"1.0 / sqrt({tr.ref(n.args[0])})",
    **{getattr(aten, f).default: _unary(f) for f in (
        "relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "sin", "cos", "log1p",
        "expm1")},
    aten.pow.Tensor_Scalar: _pow, aten.pow.Tensor_Tensor: _pow,
    aten.mm.default: lambda tr, n: f"{tr.ref(n.args[0])} @ {tr.ref(n.args[1])}",
    aten.bmm.default: lambda tr, n: f"{tr.ref(n.args[0])} @ {tr.ref(n.args[1])}",
    aten.matmul.default: lambda tr, n: f"{tr.ref(n.args[0])} @ {tr.ref(n.args[1])}",
    aten.addmm.default: _addmm, aten.linear.default: _linear,
    aten.t.default: lambda tr, n: f"{tr.ref(n.args[0])}.T",
    aten.permute.default: _permute, aten.transpose.int: _transpose,
    aten.view.default: _reshape, aten._unsafe_view.default: _reshape,
    aten.reshape.default: _reshape, aten.unsqueeze.default: _reshape,
    aten.squeeze.dims: _reshape, aten.squeeze.dim: _reshape, aten.squeeze.default: _reshape,
    aten.flatten.using_ints: _reshape,
    aten.clone.default: lambda tr, n: Alias(tr.ref(n.args[0])),
    aten.alias.default: lambda tr, n: Alias(tr.ref(n.args[0])),
    aten._to_copy.default: _cast,
    aten.sum.dim_IntList: _reduction("sum"), aten.mean.dim: _reduction("mean"),
    aten.sum.default: lambda tr, n: f"sum({tr.ref(n.args[0])})",
    aten.mean.default: lambda tr, n: f"mean({tr.ref(n.args[0])})",
    aten.amax.default: _reduction("max"), aten.amin.default: _reduction("min"),
    aten.logsumexp.default: _reduction("logsumexp"),
    aten.prod.dim_int: _reduction("prod"),
    aten.var.correction: _var("var"), aten.std.correction: _var("std"),
    aten._softmax.default: _softmax("softmax"), aten._log_softmax.default:
        _softmax("log_softmax"),
    aten.maximum.default: lambda tr, n: f"maximum({tr.ref(n.args[0])}, {tr.ref(n.args[1])})",
    aten.minimum.default: lambda tr, n: f"minimum({tr.ref(n.args[0])}, {tr.ref(n.args[1])})",
    aten.clamp.default: _clamp, aten.cat.default: _join("concatenate"),
    aten.stack.default: _join("stack"), aten.slice.Tensor: _slice, aten.select.int: _select,
    aten.gelu.default: _gelu, aten.leaky_relu.default: _leaky, aten.elu.default: _elu,
    aten.softplus.default: _softplus,
    aten.cross_entropy_loss.default: _cross_entropy, aten.mse_loss.default: _mse,
    aten.layer_norm.default: _layer_norm, aten.native_layer_norm.default: _layer_norm,
    operator.getitem: _first_output, aten.embedding.default: _embedding,
    aten.dropout.default: _dropout, aten.native_dropout.default: _dropout,
    **aten_writers(aten),
}

_TORCH_DIR = str(Path(torch.__file__).parent)
_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)\n\s*(.*)')


def where(node) -> str:
    """`fc1 (model.py:12: h = self.fc1(x))`: the module path and the user's source line."""
    stack = node.meta.get("nn_module_stack") or {}
    path = ([p for p, _ in stack.values() if p] or ["the top module"])[-1]
    frames = _FRAME.findall(node.meta.get("stack_trace") or "")
    # the user's line, not torch's own (a Conv2d's op is in torch/nn/modules/conv.py)
    frames = [f for f in frames if _TORCH_DIR not in f[0]] or frames
    if frames:
        file, line, _fn, code = frames[-1]
        return f"in {path} ({file.rsplit('/', 1)[-1]}:{line}: {code.strip()})"
    return f"in {path}"


def op_name(node) -> str:
    target = node.target
    return getattr(target, "__name__", str(target)).replace(".default", "")


def emit_node(tr, node) -> None:
    """Write `node` (one assignment, or an alias of its input); record why not if it can't."""
    writer = WRITERS.get(node.target)
    try:
        if writer is None:
            raise NotWritable("no Gradwalk op for it yet")
        expression = writer(tr, node)
    except (NotWritable, KeyError) as error:  # KeyError: an input that was not written
        if isinstance(error, NotWritable):
            tr.problems.append(f"{op_name(node)} {where(node)}: {error}")
        tr.names[node.name] = node.name
        return
    if isinstance(expression, Alias):
        tr.names[node.name] = str(expression)
    else:
        tr.assign(node, expression)
