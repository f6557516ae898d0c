"""Normalisation ops: `batch_norm` (training mode) and `layer_norm`, PyTorch's, in float64.

Each normalises its input to mean 0 and variance 1 over some axes, x̂ = (x − mean) / √(var +
eps) with numpy's var (ddof 0, as PyTorch normalises), then scales and shifts it: weight ⊙ x̂ +
bias. batch_norm's axes are every axis but the channels (axis 1: (N, C) or NCHW), its weight
and bias per channel; it always uses the batch's own statistics (torch's training=True), and
keeps no running mean or variance (nothing of one step reaches the next but the parameters).
layer_norm's axes are the last k (its normalized_shape), its weight and bias of that shape.
A weight or bias that is not given is the number 1 or 0 (the op's `optional`).

The VJP recomputes the statistics from the input rather than keeping them: it reads the input
and the weight (the weight's VJP the input only, the bias's neither), so the memory ledger
counts exactly those. The rules are the code of normhelpers.py, which the script defines.
"""

from __future__ import annotations

from math import prod

from app.engine.core.shapes import ShapeError
from app.engine.ops import normhelpers  # noqa: F401 (the rules call its helpers)
from app.engine.ops.derivation import table_op

_HAT = "\\hat{{x}}"


def _affine_shapes(name: str, x, w, b, allowed) -> None:
    for what, shape in (("weight", w), ("bias", b)):
        if tuple(shape) not in ((), tuple(allowed)):
            raise ShapeError(f"{name}'s {what} has shape {tuple(shape)}; it must be "
                             f"{tuple(allowed)} (or a number) for an input of shape {tuple(x)}")


def _batch_norm_shape(x, w, b, eps=1e-5):
    if len(x) < 2:
        raise ShapeError(f"batch_norm takes an input (N, C) or (N, C, H, W, …), got {tuple(x)}")
    if prod(x) // x[1] < 2:
        raise ShapeError(f"batch_norm needs more than one value per channel to take batch "
                         f"statistics (as PyTorch in training mode), got {tuple(x)}")
    if not eps >= 0:
        raise ShapeError(f"batch_norm's eps must be ≥ 0, got {eps}")
    _affine_shapes("batch_norm", x, w, b, (x[1],))
    return tuple(x)


def _layer_norm_shape(x, w, b, normalized_shape=(), eps=1e-5):
    k = len(normalized_shape)
    if k == 0 or tuple(x[len(x) - k:]) != tuple(normalized_shape) or k > len(x):
        raise ShapeError(f"layer_norm's normalized_shape {tuple(normalized_shape)} must be the "
                         f"last axes of the input, whose shape is {tuple(x)}")
    if not eps >= 0:
        raise ShapeError(f"layer_norm's eps must be ≥ 0, got {eps}")
    _affine_shapes("layer_norm", x, w, b, normalized_shape)
    return tuple(x)


def _flops(out, x, w, b):
    """mean, centre, square, mean, + eps, √, divide, scale, shift: about 9 per element."""
    return 9 * prod(x)


_LOCAL = ("\\frac{{{1}}}{{\\sigma}}\\left(I - \\frac{{1}}{{m}}(\\mathbf{{1}}\\mathbf{{1}}^{{\\top}} + "
          + _HAT + _HAT + "^{{\\top}})\\right)")
_CONTRIB = ("\\frac{{1}}{{\\sigma}}(d - \\bar{{d}} - " + _HAT + " \\odot \\overline{{d \\odot "
            + _HAT + "}}),\\ d = {g} \\odot {1}")
_TANGENT = ("\\frac{{{1}}}{{\\sigma}} \\odot ({t} - \\bar{{{t}}} - " + _HAT
            + " \\odot \\overline{{{t} \\odot " + _HAT + "}})")
_LATEX = ("{1} \\odot \\frac{{{0} - \\mu_{axes}}}{{\\sqrt{{\\sigma^2_{axes} + \\epsilon}}}} "
          "+ {2}")



def _norm(name: str, code: str, vjp, jvp, shape, stats: str, over: str, **more) -> None:
    """Register a normalisation: its statistics named μ_{stats}, σ_{stats}, its weight's and
    bias's gradients summed over `over`; weight and bias optional (1 and 0)."""
    table_op(name, code, vjp, jvp, shape, _LATEX.replace("{axes}", stats),
             (_LOCAL, _HAT, "\\mathbf{{1}}"),
             (_CONTRIB, f"\\textstyle\\sum_{{{{{over}}}}} {{g}} \\odot " + _HAT,
              f"\\textstyle\\sum_{{{{{over}}}}} {{g}}"),
             (_TANGENT, "{t} \\odot " + _HAT, "{t}"), helpers=("normalization",),
             flops=_flops, optional=(("weight", 1.0), ("bias", 0.0)), **more)


_norm("batch_norm", "batch_norm({0}, {1}, {2}, {eps})",
      ("normalized_grad({g} * per_channel({1}, {0}), {0}, channel_axes({0}), {eps})",
       "channel_sum({g} * normalized({0}, channel_axes({0}), {eps}), {1}.shape)",
       "channel_sum({g}, {2}.shape)"),
      ("per_channel({1}, {0}) * normalized_grad({t}, {0}, channel_axes({0}), {eps})",
       "per_channel({t}, {0}) * normalized({0}, channel_axes({0}), {eps})",
       "per_channel({t}, {0}) * np.ones_like({0})"),
      _batch_norm_shape, "B", "n,h,w",
      attrs={"eps": 1e-5}, fmt=lambda eps=1e-5: {"eps": repr(float(eps))},
      routes="batch_norm (training mode, batch statistics) sends each element the gradient "
             "times the weight, minus its channel's mean and minus x̂ times the channel's mean "
             "of that times x̂, over the channel's standard deviation; the weight gets Σ g·x̂ "
             "and the bias Σ g per channel (no running statistics are kept).")
_norm("layer_norm", "normalized({0}, {axes}, {eps}) * {1} + {2}",
      ("normalized_grad({g} * {1}, {0}, {axes}, {eps})",
       "lead_sum({g} * normalized({0}, {axes}, {eps}), {1}.shape)",
       "lead_sum({g}, {2}.shape)"),
      ("{1} * normalized_grad({t}, {0}, {axes}, {eps})",
       "{t} * normalized({0}, {axes}, {eps})",
       "{t} * np.ones_like({0})"),
      _layer_norm_shape, "L", "\\text{{rows}}",
      attrs={"normalized_shape": (), "eps": 1e-5},
      fmt=lambda normalized_shape=(), eps=1e-5: {
          "eps": repr(float(eps)), "axes": repr(tuple(range(-len(normalized_shape), 0)))},
      positional="normalized_shape", positional_at=1,
      routes="layer_norm sends each element the gradient times the weight, minus its row's "
             "mean and minus x̂ times the row's mean of that times x̂, over the row's "
             "standard deviation (a row: the last normalized_shape axes); the weight gets "
             "Σ g·x̂ and the bias Σ g over the rows.")
