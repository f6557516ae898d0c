"""ONNX nodes written in Gradwalk's language: one function per op type.

Each takes the translation (names, constants, shapes), the node and its attributes, and returns
the expression of the node's output with the registry's ops, an `Alias` (the node is its
input), or raises `NotWritable` with the reason.
"""

from __future__ import annotations

from app.importers.conv_writers import ONNX_WRITERS, flattened
from app.importers.errors import Alias, NotWritable
from app.importers.onnx_patterns import shortest_float
from app.importers.writer import layer_norm


def _axes(axes, ndim: int) -> str:
    axes = [int(a) % ndim for a in axes]
    return str(axes[0]) if len(axes) == 1 else "(" + ", ".join(map(str, axes)) + ")"


def _unary(fn):
    return lambda tr, node, at: f"{fn}({tr.ref(node.input[0])})"


def _binary(symbol):
    return lambda tr, node, at: f"{tr.ref(node.input[0])} {symbol} {tr.ref(node.input[1])}"


def _gemm(tr, node, at):
    a = tr.ref(node.input[0]) + (".T" if at.get("transA") else "")
    b = tr.ref(node.input[1]) + (".T" if at.get("transB") else "")
    text = f"{a} @ {b}"
    if at.get("alpha", 1.0) != 1.0:
        text = f"{at['alpha']!r} * ({text})"
    if len(node.input) > 2 and node.input[2]:
        c = tr.ref(node.input[2])
        beta = at.get("beta", 1.0)
        text = f"{text} + {c}" if beta == 1.0 else f"{text} + {beta!r} * {c}"
    return text


def _reshaped(tr, node, at):
    """Reshape, Flatten, Squeeze, Unsqueeze: to the shape inference found."""
    x = node.input[0]
    out = tr.shape(node.output[0])
    if tr.shape(x) == out:
        return Alias(tr.ref(x))
    return flattened(tr.ref(x), tr.shape(x), out) or \
        f"reshape({tr.ref(x)}, ({', '.join(map(str, out))}{',' if len(out) == 1 else ''}))"


def _transpose(tr, node, at):
    x = node.input[0]
    n = len(tr.shape(x))
    perm = list(at.get("perm", reversed(range(n))))
    if perm == list(range(n)):
        return Alias(tr.ref(x))
    if perm != list(reversed(range(n))):
        raise NotWritable(f"perm {perm}: Gradwalk's transpose reverses every axis")
    return f"{tr.ref(x)}.T"


def _softmax(fn):
    def write(tr, node, at):
        n = len(tr.shape(node.input[0]))
        return f"{fn}({tr.ref(node.input[0])}, axis={at.get('axis', -1) % n})"
    return write


def _reduce(fn):
    def write(tr, node, at):
        x = node.input[0]
        n = len(tr.shape(x))
        axes = at.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = [int(a) for a in tr.constant(node.input[1]).reshape(-1)]
        keep = bool(at.get("keepdims", 1))
        if not axes:
            if at.get("noop_with_empty_axes"):
                return Alias(tr.ref(x))
            return f"{fn}({tr.ref(x)}, axis=None, keepdims={keep})"
        return f"{fn}({tr.ref(x)}, axis={_axes(axes, n)}, keepdims={keep})"
    return write


def _layer_norm(tr, node, at):
    x = node.input[0]
    n = len(tr.shape(x))
    axis = at.get("axis", -1) % n
    scale = tr.ref(node.input[1])
    bias = tr.ref(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    return layer_norm(tr.ref(x), tr.shape(x)[axis:], at.get("epsilon", 1e-5), scale, bias)


def fused_layer_norm(norm):
    """The writer of a layer norm found as a chain of nodes (onnx_patterns.LayerNorm)."""
    def write(tr, node, at):
        return layer_norm(tr.ref(norm.x), norm.dims, norm.eps,
                          norm.weight and tr.ref(norm.weight), norm.bias and tr.ref(norm.bias))
    return write


def _gather(tr, node, at):
    """Gather(table, ids) along axis 0 of a 2-D initialiser: an embedding lookup."""
    table, ids = node.input[0], node.input[1]
    if at.get("axis", 0) != 0 or len(tr.shape(table)) != 2 or table not in tr.initialised:
        raise NotWritable("only a Gather of rows (axis 0) of a 2-D initialiser, an embedding")
    return f"embedding({tr.ref(ids)}, {tr.ref(table)})"


def _pow(tr, node, at):
    return f"{tr.ref(node.input[0])} ** {tr.ref(node.input[1])}" \
        if node.input[1] in tr.constants else \
        f"power({tr.ref(node.input[0])}, {tr.ref(node.input[1])})"


def _clip(tr, node, at):
    x = tr.ref(node.input[0])
    lo = tr.ref(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    hi = tr.ref(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if lo is not None and hi is not None:
        return f"clip({x}, min={lo}, max={hi})"
    if lo is not None:
        return f"maximum({x}, {lo})"
    return f"minimum({x}, {hi})" if hi is not None else Alias(x)


def _pair(fn):
    def write(tr, node, at):
        if len(node.input) != 2:
            raise NotWritable(f"{fn} of {len(node.input)} inputs (two only)")
        return f"{fn}({tr.ref(node.input[0])}, {tr.ref(node.input[1])})"
    return write


def _concat(tr, node, at):
    n = len(tr.shape(node.input[0]))
    parts = ", ".join(tr.ref(i) for i in node.input)
    return f"concatenate([{parts}], axis={at['axis'] % n})"


def _gelu(tr, node, at):
    if at.get("approximate", b"none") not in (b"none", "none"):
        raise NotWritable("gelu with approximate='tanh' (Gradwalk's gelu is the exact erf form)")
    return f"gelu({tr.ref(node.input[0])})"


def _dropout(tr, node, at):
    """Exported for inference (no training_mode, or false): the identity; in training mode
    the registry's dropout, its mask the run's own draw."""
    x = tr.ref(node.input[0])
    training = len(node.input) > 2 and node.input[2] and bool(tr.constant(node.input[2]))
    ratio = float(tr.constant(node.input[1])) if len(node.input) > 1 and node.input[1] else 0.5
    return f"dropout({x}, p={shortest_float(ratio)!r})" if training and ratio else Alias(x)


WRITERS = {
    "Add": _binary("+"), "Sub": _binary("-"), "Mul": _binary("*"), "Div": _binary("/"),
    "MatMul": _binary("@"), "Gemm": _gemm,
    **{op: _unary(fn) for op, fn in (
        ("Relu", "relu"), ("Tanh", "tanh"), ("Sigmoid", "sigmoid"), ("Exp", "exp"),
        ("Log", "log"), ("Sqrt", "sqrt"), ("Abs", "abs"), ("Sin", "sin"), ("Cos", "cos"),
        ("Softplus", "softplus"))},
    "Neg": lambda tr, node, at: f"-{tr.ref(node.input[0])}",
    "Reciprocal": lambda tr, node, at: f"1.0 / {tr.ref(node.input[0])}",
    "Identity": lambda tr, node, at: Alias(tr.ref(node.input[0])),
    "Dropout": _dropout,
    "Pow": _pow,
    "Reshape": _reshaped, "Flatten": _reshaped, "Squeeze": _reshaped, "Unsqueeze": _reshaped,
    "Transpose": _transpose,
    "Softmax": _softmax("softmax"), "LogSoftmax": _softmax("log_softmax"),
    "ReduceMean": _reduce("mean"), "ReduceSum": _reduce("sum"), "ReduceMax": _reduce("max"),
    "ReduceMin": _reduce("min"), "ReduceLogSumExp": _reduce("logsumexp"),
    "LayerNormalization": _layer_norm, "Gather": _gather,
    "Clip": _clip, "Max": _pair("maximum"), "Min": _pair("minimum"), "Concat": _concat,
    "Gelu": _gelu,
    "LeakyRelu": lambda tr, node, at:
        f"leaky_relu({tr.ref(node.input[0])}, slope={at.get('alpha', 0.01)!r})",
    "Elu": lambda tr, node, at: f"elu({tr.ref(node.input[0])}, alpha={at.get('alpha', 1.0)!r})",
    **ONNX_WRITERS,
}
