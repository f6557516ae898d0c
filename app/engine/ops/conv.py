"""The ops of a convolutional network, NCHW as PyTorch: conv2d (its bias optional: 0),
max_pool2d, avg_pool2d and flatten. Each rule is written once, by hand, as the code the script
runs (the sliding-window numpy is in windows.py); the LaTeX beside it says the same.

Attributes are PyTorch's: a whole number or a pair (stride=2, padding=(1, 0)); a pool's stride
defaults to its kernel size. The shape rules hold the limits on them (ShapeError: the language
names the line and what is allowed).
"""

from __future__ import annotations

from math import ceil, prod

from app.engine.core.shapes import Shape, ShapeError
from app.engine.instruments.cost import CALL_COST, Work
from app.engine.ops import windows  # noqa: F401 (the rules call its helpers)
from app.engine.ops.derivation import table_op

#: the largest stride, padding, dilation and pool kernel side the language takes
MAX_WINDOW = 32


def _pair(value, what: str, low: int, high: int = MAX_WINDOW) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and low <= v <= high for v in pair):
        raise ShapeError(f"{what} must be a whole number from {low} to {high}, or a pair of "
                         f"them like {what}=({low + 1}, {low}); got {what}={value!r}")
    return pair


def _text(value) -> str:
    """An attribute as PyTorch writes it: 2, or (2, 1) for a pair of different sides."""
    if isinstance(value, int) or len(set(value)) == 1:
        return str(value if isinstance(value, int) else value[0])
    return "(" + ", ".join(map(str, value)) + ")"


def _window_out(size: tuple[int, int], kernel, stride, padding, dilation, what: str) -> Shape:
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True))
    if min(out) < 1:
        spread = f", dilation {_text(dilation)}" if dilation != (1, 1) else ""
        raise ShapeError(f"the {what} ({kernel[0]}×{kernel[1]}{spread}) is larger than the "
                         f"{size[0]}×{size[1]} input with padding {_text(padding)}")
    return out


# ----- conv2d: x (N, C, H, W), weight (O, C, kh, kw), bias (O,) -----


def _conv_shape(x: Shape, w: Shape, b: Shape | None = None, stride=1, padding=0,
                dilation=1) -> Shape:
    if len(x) != 4 or len(w) != 4:
        raise ShapeError(f"conv2d takes x (N, C, H, W) and a weight (out channels, C, kh, kw), "
                         f"got {x} and {w}")
    if w[1] != x[1]:
        raise ShapeError(f"the weight {w} reads {w[1]} channels, x {x} has {x[1]} (groups=1)")
    if b not in (None, (), w[:1]):
        raise ShapeError(f"the bias must have shape ({w[0]},), one per output channel; got {b}")
    out = _window_out(x[2:], w[2:], _pair(stride, "stride", 1), _pair(padding, "padding", 0),
                      _pair(dilation, "dilation", 1), "kernel")
    return (x[0], w[0], *out)


def _conv_fmt(stride=1, padding=0, dilation=1) -> dict:
    kw = "".join(f", {k}={_text(v)}" for k, v, default in (
        ("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1))
        if v not in (default, (default, default)))
    return {"kw": kw}


def _conv_flops(out, x, w, b) -> int:
    return 2 * prod(out) * prod(w[1:]) + prod(out)  # a multiply-add per weight, and the bias


def _conv_work(out, x, w, b):
    # the windows' loop makes kh·kw numpy calls
    each = _conv_flops(out, x, w, b) + CALL_COST * (w[2] * w[3] + 4)
    return Work(each, each, each)


_CONV = {"shape": _conv_shape, "attrs": {"stride": 1, "padding": 0, "dilation": 1},
         "fmt": _conv_fmt, "flops": _conv_flops, "work": _conv_work,
         "helpers": ("windows", "conv2d")}
#: ∂/∂W sums over the batch and the output positions: every window the filter was used at
_OVER_WINDOWS = "\\textstyle\\sum_{{\\text{{batch, positions}}}} {g}"
# d conv2d/dx: g spread back through the weights; d/dW: g against the windows of x; d/db: Σ g
table_op("conv2d", "conv2d({0}, {1}, {2}{kw})",
         ("conv2d_grad_x({g}, {0}.shape, {1}{kw})", "conv2d_grad_w({g}, {0}, {1}.shape{kw})",
          "conv2d_grad_b({g}, {2}.shape)"),
         ("conv2d({t}, {1}{kw})", "conv2d({0}, {t}{kw})",
          "np.reshape({t}, (-1, 1, 1)) + np.zeros_like({out})"),
         latex="\\operatorname{{conv2d}}({0}, {1}) + {2}",
         local=("\\operatorname{{rot180}}({1})", "\\text{{windows of }} {0}", "\\mathbf{{1}}"),
         contrib=("\\operatorname{{conv\\_transpose2d}}({g}, {1})",
                  _OVER_WINDOWS + " \\odot \\operatorname{{windows}}({0})", _OVER_WINDOWS),
         tangent=("\\operatorname{{conv2d}}({t}, {1})", "\\operatorname{{conv2d}}({0}, {t})",
                  "{t}"),
         optional=(("bias", 0.0),),
         routes="conv2d sends x the gradient through the flipped kernel (a transposed "
                "convolution: each output's gradient times the weights, back under its window), "
                "the weight the gradient times each window it read, summed over the batch and "
                "positions, and the bias the gradient summed per output channel.",
         **_CONV)


# ----- Pooling: x (N, C, H, W), a kh × kw window per output element -----


def _pool_shape(what: str):
    def shape(x: Shape, kernel_size=2, stride=None, padding=0) -> Shape:
        if len(x) != 4:
            raise ShapeError(f"{what} takes x (N, C, H, W), got {x}")
        kernel = _pair(kernel_size, "kernel_size", 1)
        pad = _pair(padding, "padding", 0)
        if any(p > k // 2 for p, k in zip(pad, kernel, strict=True)):  # PyTorch's rule
            raise ShapeError(f"padding {_text(padding)} is more than half the kernel "
                             f"{_text(kernel_size)}: at most {kernel[0] // 2} (PyTorch's limit)")
        steps = kernel if stride is None else _pair(stride, "stride", 1)
        return (*x[:2], *_window_out(x[2:], kernel, steps, pad, (1, 1), "pooling window"))
    return shape


def _pool_fmt(kernel_size=2, stride=None, padding=0) -> dict:
    kw = (f", stride={_text(stride)}" if stride is not None else "") \
        + (f", padding={_text(padding)}" if padding not in (0, (0, 0)) else "")
    return {"k": _text(kernel_size), "kw": kw}


def _pool_work(out, x):
    # the windows' loop makes kh·kw numpy calls; the shapes alone give H·W / (Ho·Wo), which is
    # kh·kw for windows that tile the input (a pool's default) and less where they overlap
    window = ceil(prod(x[2:]) / prod(out[2:]))
    each = max(prod(out) * window, prod(x)) + CALL_COST * (window + 4)
    return Work(each, each, each)


_POOL = {"attrs": {"kernel_size": 2, "stride": None, "padding": 0}, "fmt": _pool_fmt,
         "positional_attrs": ("kernel_size", "stride", "padding"),
         "work": _pool_work}
# d max/dx: the gradient to each window's first largest element (torch's choice on a tie)
table_op("max_pool2d", "max_pool2d({0}, {k}{kw})", ("max_pool2d_grad({g}, {0}, {k}{kw})",),
         ("max_pool2d_tangent({t}, {0}, {k}{kw})",), _pool_shape("max_pool2d"),
         "\\operatorname{{maxpool}}({0})", ("\\mathbb{{1}}[{0} = \\max \\text{{ of its window}}]",),
         ("\\operatorname{{unpool}}({g}) \\odot \\mathbb{{1}}[\\text{{first max}}]",),
         ("{t}_{{\\arg\\max}}",), helpers=("windows", "max_pool2d"), **_POOL,
         routes="max_pool2d routes each window's gradient to the window's largest element "
                "(on a tie the first in row-major order, as PyTorch); the others get 0.")
# d mean/dx: each window's gradient shared equally by its kh·kw elements
table_op("avg_pool2d", "avg_pool2d({0}, {k}{kw})", ("avg_pool2d_grad({g}, {0}.shape, {k}{kw})",),
         ("avg_pool2d({t}, {k}{kw})",), _pool_shape("avg_pool2d"),
         "\\operatorname{{avgpool}}({0})", ("\\frac{{1}}{{k_h k_w}}",),
         ("\\operatorname{{unpool}}(\\frac{{{g}}}{{k_h k_w}})",),
         ("\\operatorname{{avgpool}}({t})",), helpers=("windows", "avg_pool2d"), **_POOL,
         routes="avg_pool2d shares each window's gradient equally among the window's kh·kw "
                "elements (padding counted, as PyTorch's default), adding where windows "
                "overlap.")


# ----- flatten: axes start_dim … end_dim joined into one (torch.flatten) -----


def _flatten_dims(x: Shape, start_dim: int, end_dim: int) -> tuple[int, int]:
    n = max(len(x), 1)
    for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not -n <= d < n:
            raise ShapeError(f"{name}={d} is out of range for shape {x} (ndim {len(x)})")
    if start_dim % n > end_dim % n:
        raise ShapeError(f"start_dim={start_dim} comes after end_dim={end_dim} for shape {x}")
    return start_dim % n, end_dim % n


def _flatten_shape(x: Shape, start_dim=0, end_dim=-1) -> Shape:
    s, e = _flatten_dims(x, start_dim, end_dim)
    return (*x[:s], prod(x[s:e + 1]), *x[e + 1:])


def _flatten_fmt(start_dim=0, end_dim=-1) -> dict:
    return {"kw": (f", {start_dim}" if start_dim != 0 or end_dim != -1 else "")
            + (f", {end_dim}" if end_dim != -1 else "")}


table_op("flatten", "flatten({0}{kw})", ("np.reshape({g}, {0}.shape)",), ("flatten({t}{kw})",),
         _flatten_shape, "\\operatorname{{flatten}}({0})", ("\\operatorname{{reshape}}^{{-1}}",),
         ("\\operatorname{{reshape}}^{{-1}}({g})",), ("\\operatorname{{flatten}}({t})",),
         attrs={"start_dim": 0, "end_dim": -1}, positional_attrs=("start_dim", "end_dim"),
         fmt=_flatten_fmt, helpers=("flatten",),
         routes="flatten passes the gradient back reshaped to the input's shape: the same "
                "numbers in the same order (flatten(x, 1) keeps the batch axis).")
