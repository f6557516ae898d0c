"""The numpy the normalisation ops (norm.py) run and the exported script defines.

Written as the script shows them, with no docstrings (helpers.py takes their text). Batch norm
normalises each channel (axis 1) over every other axis, layer norm over the last k axes; both
divide by √(var + eps) with numpy's var (ddof 0), as PyTorch does in training mode.
"""

from __future__ import annotations

import numpy as np

from app.engine.ops.helpers import scripted


# batch norm's axes: every axis but the channels (axis 1)
def channel_axes(x):
    return (0,) + tuple(range(2, np.ndim(x)))


# a per-channel weight (C,) shaped to broadcast over (N, C, H, W); a scalar stays one
def per_channel(v, x):
    v = np.asarray(v, dtype=np.float64)
    return v if v.ndim == 0 else v.reshape(v.shape + (1,) * (np.ndim(x) - 2))


# a per-channel sum of d, shaped as the weight (a scalar weight: the total)
def channel_sum(d, shape):
    s = np.sum(d, axis=channel_axes(d))
    return s if len(shape) else np.sum(s)


# (x − mean) / √(var + eps) over the axes
def normalized(x, axes, eps):
    centered = x - np.mean(x, axis=axes, keepdims=True)
    return centered / np.sqrt(np.mean(centered * centered, axis=axes, keepdims=True) + eps)


# d sent back through the normalisation: (d − mean d − x̂ · mean(d x̂)) / √(var + eps); the
# Jacobian is symmetric, so this is its JVP too
def normalized_grad(d, x, axes, eps):
    centered = x - np.mean(x, axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(np.mean(centered * centered, axis=axes, keepdims=True) + eps)
    hat = centered * rstd
    return rstd * (d - np.mean(d, axis=axes, keepdims=True)
                   - hat * np.mean(d * hat, axis=axes, keepdims=True))


def batch_norm(x, w, b, eps):
    return normalized(x, channel_axes(x), eps) * per_channel(w, x) + per_channel(b, x)


# a weight's gradient from d shaped as the output: summed over the axes it is broadcast along
# (the leading ones; a scalar weight: all of them)
def lead_sum(d, shape):
    return np.sum(d, axis=tuple(range(np.ndim(d) - len(shape))))


scripted(__name__, normalization=("channel_axes", "per_channel", "channel_sum", "normalized",
                                  "normalized_grad", "batch_norm", "lead_sum"))
