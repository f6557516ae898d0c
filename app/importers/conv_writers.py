"""The ops of an imported convolutional network written in Gradwalk's language, for both
importers: ATen's (`convolution`, `max_pool2d_with_indices`, `avg_pool2d`, the batch norms) and
ONNX's (Conv, MaxPool, AveragePool, BatchNormalization).

Gradwalk trains, so a batch norm is `batch_norm` with the batch's own statistics (PyTorch's
training mode) whatever mode a file was exported in; its running mean and variance are neither
read nor kept (they only feed the buffers' updates, which are no part of the loss).

The writers' arguments are plain numbers and lists read by each importer; what Gradwalk's
conv2d and pools do not take (groups, a transposed convolution, ceil_mode, a dilated pooling,
padding that is not the same on both sides, a divisor override, a pooling without its padding
counted) is a `NotWritable` naming it.
"""

from __future__ import annotations

from math import prod

from app.importers.errors import NotWritable


def side(values, default: int) -> str:
    """A per-side attribute as PyTorch writes it: 2, or (2, 1); `[]` is the default."""
    values = [int(v) for v in (values if isinstance(values, (list, tuple)) else [values])] \
        or [default]
    if len(values) == 1 or len(set(values)) == 1:
        return str(values[0])
    if len(values) != 2:
        raise NotWritable(f"{len(values)} sides given ({values}): Gradwalk's ops are 2-D")
    return f"({values[0]}, {values[1]})"


def _keywords(**given) -> str:
    """`, stride=2, padding=1`: the attributes that differ from PyTorch's defaults."""
    defaults = {"stride": "1", "padding": "0", "dilation": "1"}
    return "".join(f", {k}={v}" for k, v in given.items() if v is not None
                   and v != defaults.get(k))


def conv2d(x: str, w: str, b: str | None, ndim: int, stride, padding, dilation,
           groups: int = 1, transposed: bool = False) -> str:
    if ndim != 4:
        raise NotWritable(f"a convolution over {ndim - 2} axes: Gradwalk's conv2d is 2-D "
                          "(N, C, H, W)")
    if transposed:
        raise NotWritable("a transposed convolution: Gradwalk has conv2d only")
    if groups != 1:
        raise NotWritable(f"groups={groups}: Gradwalk's conv2d takes groups=1")
    bias = f", {b}" if b is not None else ""
    return f"conv2d({x}, {w}{bias}" + _keywords(
        stride=side(stride, 1), padding=side(padding, 0), dilation=side(dilation, 1)) + ")"


def pool2d(fn: str, x: str, ndim: int, kernel, stride, padding, dilation=1,
           ceil_mode: bool = False) -> str:
    if ndim != 4:
        raise NotWritable(f"a pooling over {ndim - 2} axes: Gradwalk's {fn} is 2-D")
    if ceil_mode:
        raise NotWritable("ceil_mode=True: Gradwalk's pools round the output size down")
    if side(dilation, 1) != "1":
        raise NotWritable(f"dilation={side(dilation, 1)}: Gradwalk's pools take none")
    kernel_text = side(kernel, 1)
    steps = side(stride, 0) if stride else kernel_text  # a pool's stride: its kernel's
    return f"{fn}({x}, {kernel_text}" + ("" if steps == kernel_text else f", stride={steps}") \
        + _keywords(padding=side(padding, 0)) + ")"


def flattened(x: str, shape, out) -> str | None:
    """`flatten(x, 1)` where a reshape joins every axis after the batch's (a CNN's features
    before its linear layers); None for any other reshape."""
    shape, out = tuple(shape), tuple(out)
    if len(shape) > 2 and out == (shape[0], prod(shape[1:])):
        return f"flatten({x}, 1)"
    return None


# ----- ATen (torch.export) -----


def _ndim(node) -> int:
    return len(node.meta["val"].shape)


def _arg(node, index: int, name: str, default):
    return node.args[index] if len(node.args) > index else node.kwargs.get(name, default)


def _convolution(tr, node):
    x, w, b = node.args[:3]
    stride, padding, dilation, transposed, _, groups = node.args[3:9]
    return conv2d(tr.ref(x), tr.ref(w), None if b is None else tr.ref(b), _ndim(x), stride,
                  padding, dilation, groups, transposed)


def _conv2d(tr, node):
    x, w = node.args[:2]
    b = _arg(node, 2, "bias", None)
    padding = _arg(node, 4, "padding", 0)
    if isinstance(padding, str):
        raise NotWritable(f"padding={padding!r}: Gradwalk's conv2d takes numbers")
    return conv2d(tr.ref(x), tr.ref(w), None if b is None else tr.ref(b), _ndim(x),
                  _arg(node, 3, "stride", 1), padding, _arg(node, 5, "dilation", 1),
                  _arg(node, 6, "groups", 1))


def _max_pool(tr, node):
    x = node.args[0]
    return pool2d("max_pool2d", tr.ref(x), _ndim(x), node.args[1], _arg(node, 2, "stride", []),
                  _arg(node, 3, "padding", 0), _arg(node, 4, "dilation", 1),
                  _arg(node, 5, "ceil_mode", False))


def _avg_pool(tr, node):
    x = node.args[0]
    if not _arg(node, 5, "count_include_pad", True):
        raise NotWritable("count_include_pad=False: Gradwalk's avg_pool2d counts the padding")
    if _arg(node, 6, "divisor_override", None) is not None:
        raise NotWritable("a divisor_override")
    return pool2d("avg_pool2d", tr.ref(x), _ndim(x), node.args[1], _arg(node, 2, "stride", []),
                  _arg(node, 3, "padding", 0), 1, _arg(node, 4, "ceil_mode", False))


def batch_norm(x: str, w: str | None, b: str | None, eps) -> str:
    args = ", ".join([x, *([w or "None", b] if b else [w] if w else [])])
    return f"batch_norm({args}" + ("" if eps == 1e-5 else f", eps={float(eps)!r}") + ")"


#: ATen's batch norms with running statistics, where their (x, weight, bias) and the index of
#: `training` and of eps are
RUNNING_STATS = ("_native_batch_norm_legit_functional", "_native_batch_norm_legit",
                 "native_batch_norm", "batch_norm")


def _aten_batch_norm(training_at: int):
    def write(tr, node):
        x, w, b = node.args[:3]
        if not node.args[training_at]:
            raise NotWritable("a batch norm with its running statistics (eval mode): Gradwalk "
                              "trains with the batch's own")
        return batch_norm(tr.ref(x), None if w is None else tr.ref(w),
                          None if b is None else tr.ref(b), node.args[training_at + 2])
    return write


def aten_writers(aten) -> dict:
    """The writers by ATen op (a max_pool2d_with_indices' values: aten.py's getitem)."""
    return {aten.convolution.default: _convolution, aten.conv2d.default: _conv2d,
            aten.max_pool2d_with_indices.default: _max_pool, aten.max_pool2d.default: _max_pool,
            aten.avg_pool2d.default: _avg_pool,
            **{getattr(aten, name).default: _aten_batch_norm(5) for name in RUNNING_STATS},
            aten._native_batch_norm_legit.no_stats: _aten_batch_norm(3)}


# ----- ONNX -----


def _onnx_pads(at) -> list[int]:
    if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotWritable(f"auto_pad={at['auto_pad']!r}: give the pads")
    pads = [int(p) for p in at.get("pads", [0, 0, 0, 0])]
    if pads[:2] != pads[2:]:
        raise NotWritable(f"pads {pads}: Gradwalk pads both sides of an axis alike")
    return pads[:2]


def _onnx_conv(tr, node, at):
    b = tr.ref(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    return conv2d(tr.ref(node.input[0]), tr.ref(node.input[1]), b,
                  len(tr.shape(node.input[0])), at.get("strides", [1]), _onnx_pads(at),
                  at.get("dilations", [1]), at.get("group", 1))


def _onnx_pool(fn: str):
    def write(tr, node, at):
        if fn == "avg_pool2d" and not at.get("count_include_pad", 0):
            if any(_onnx_pads(at)):
                raise NotWritable("count_include_pad=0 with padding: Gradwalk's avg_pool2d "
                                  "counts the padding")
        if at.get("storage_order", 0):
            raise NotWritable("storage_order=1")
        return pool2d(fn, tr.ref(node.input[0]), len(tr.shape(node.input[0])),
                      at["kernel_shape"], at.get("strides", [1]), _onnx_pads(at),
                      at.get("dilations", [1]), bool(at.get("ceil_mode", 0)))
    return write


def _onnx_batch_norm(tr, node, at):
    return batch_norm(tr.ref(node.input[0]), tr.ref(node.input[1]), tr.ref(node.input[2]),
                      at.get("epsilon", 1e-5))


ONNX_WRITERS = {"Conv": _onnx_conv, "MaxPool": _onnx_pool("max_pool2d"),
                "AveragePool": _onnx_pool("avg_pool2d"), "BatchNormalization": _onnx_batch_norm}
