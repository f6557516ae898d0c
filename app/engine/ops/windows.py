"""The numpy of the sliding-window ops (conv2d, max_pool2d, avg_pool2d, flatten), written once
as code: the rules (conv.py) call these functions and the exported script holds their text.

A window op reads, at every output position (u, v), the kh × kw elements of its window
(`windows`: NCHW in, (N, C, kh, kw, Ho, Wo) out, padding filled); its gradient puts each
window's elements back where they came from, adding where windows overlap (`unwindows`, the
adjoint). Written as the script shows them: no docstrings (they would be copied).
"""

from __future__ import annotations

import numpy as np

from app.engine.ops.helpers import scripted


def pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


# (N, C, H, W) -> (N, C, kh, kw, Ho, Wo): the element under kernel position (i, j) at each
# output position (u, v), the padding filled with `fill`
def windows(x, kh, kw, stride=1, padding=0, dilation=1, fill=0.0):
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    ho = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    cols = np.empty(x.shape[:2] + (kh, kw, ho, wo))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                                 j * dw:j * dw + sw * (wo - 1) + 1:sw]
    return cols


# the adjoint of windows: every window element added back where it was read, padding dropped
def unwindows(cols, shape, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    kh, kw, ho, wo = cols.shape[2:]
    x = np.zeros((shape[0], shape[1], shape[2] + 2 * ph, shape[3] + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            x[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
              j * dw:j * dw + sw * (wo - 1) + 1:sw] += cols[:, :, i, j]
    return x[:, :, ph:ph + shape[2], pw:pw + shape[3]]


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    cols = windows(x, w.shape[2], w.shape[3], stride, padding, dilation)
    out = np.einsum("nckluv,ockl->nouv", cols, w)
    return out if b is None else out + np.reshape(b, (-1, 1, 1))


# ∂conv2d/∂x: each output's gradient times the weights, put back under its window
def conv2d_grad_x(g, shape, w, stride=1, padding=0, dilation=1):
    return unwindows(np.einsum("nouv,ockl->nckluv", g, w), shape, stride, padding, dilation)


# ∂conv2d/∂w: each output's gradient times the window it read, summed over batch and positions
def conv2d_grad_w(g, x, shape, stride=1, padding=0, dilation=1):
    cols = windows(x, shape[2], shape[3], stride, padding, dilation)
    return np.einsum("nouv,nckluv->ockl", g, cols)


# ∂conv2d/∂b: the gradient summed per output channel (all of it for a number's bias, 0)
def conv2d_grad_b(g, shape):
    return np.sum(g, axis=(0, 2, 3)) if shape else np.sum(g)


# per window, the position of its first largest element (torch's: the first max wins), as an
# index into the flattened kh·kw window; padding (-inf) never wins
def pool_argmax(x, kernel_size, stride=None, padding=0):
    (kh, kw) = pair(kernel_size)
    cols = windows(x, kh, kw, kernel_size if stride is None else stride, padding, 1, -np.inf)
    return np.argmax(cols.reshape(cols.shape[:2] + (kh * kw,) + cols.shape[4:]), axis=2)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    (kh, kw) = pair(kernel_size)
    cols = windows(x, kh, kw, kernel_size if stride is None else stride, padding, 1, -np.inf)
    return np.max(cols, axis=(2, 3))


# ∂max_pool2d/∂x: each window's gradient to its first largest element, 0 to the others
def max_pool2d_grad(g, x, kernel_size, stride=None, padding=0):
    (kh, kw) = pair(kernel_size)
    first = pool_argmax(x, kernel_size, stride, padding)
    hit = np.arange(kh * kw)[None, None, :, None, None] == first[:, :, None]
    cols = (hit * g[:, :, None]).reshape(g.shape[:2] + (kh, kw) + g.shape[2:])
    return unwindows(cols, x.shape, kernel_size if stride is None else stride, padding)


# the tangent of max_pool2d: each window's tangent at its first largest element of x
def max_pool2d_tangent(t, x, kernel_size, stride=None, padding=0):
    (kh, kw) = pair(kernel_size)
    cols = windows(t, kh, kw, kernel_size if stride is None else stride, padding)
    flat = cols.reshape(cols.shape[:2] + (kh * kw,) + cols.shape[4:])
    first = pool_argmax(x, kernel_size, stride, padding)
    return np.take_along_axis(flat, first[:, :, None], axis=2)[:, :, 0]


# PyTorch's default count_include_pad: every window divides by kh·kw, padding counted
def avg_pool2d(x, kernel_size, stride=None, padding=0):
    (kh, kw) = pair(kernel_size)
    cols = windows(x, kh, kw, kernel_size if stride is None else stride, padding)
    return np.mean(cols, axis=(2, 3))


# ∂avg_pool2d/∂x: each window's gradient shared equally by its kh·kw elements
def avg_pool2d_grad(g, shape, kernel_size, stride=None, padding=0):
    (kh, kw) = pair(kernel_size)
    cols = np.broadcast_to((g / (kh * kw))[:, :, None, None], g.shape[:2] + (kh, kw) + g.shape[2:])
    return unwindows(cols, shape, kernel_size if stride is None else stride, padding)


def flatten(a, start_dim=0, end_dim=-1):
    s, e = start_dim % max(a.ndim, 1), end_dim % max(a.ndim, 1)
    return a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1:])


scripted(__name__, "flatten", windows=("pair", "windows", "unwindows"),
         conv2d=("conv2d", "conv2d_grad_x", "conv2d_grad_w", "conv2d_grad_b"),
         max_pool2d=("pool_argmax", "max_pool2d", "max_pool2d_grad", "max_pool2d_tangent"),
         avg_pool2d=("avg_pool2d", "avg_pool2d_grad"))
