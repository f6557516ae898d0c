"""The numpy helpers the rules call and the exported script defines: written once, as code.

The rules run these functions and the script holds their text (`SCRIPT_HELPERS`, taken by
`inspect`): written as the script shows them, with no docstrings (they would be copied).
"""

from __future__ import annotations

import inspect
import math
import sys

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


def logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isinf(m), 0.0, m)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(a, axis=-1):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(a, axis=-1):
    return a - logsumexp(a, axis=axis, keepdims=True)


def gelu(a):
    return a * 0.5 * (1 + np.asarray(_erf(a / math.sqrt(2.0)), dtype=np.float64))


def gelu_grad(a):
    return (0.5 * (1 + np.asarray(_erf(a / math.sqrt(2.0)), dtype=np.float64))
            + a * np.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi))


# per element, the product of the others it is multiplied with by prod(a, axis): the reduced
# axes laid out last as one, the products before and after it (no division, so zeros work)
def prod_others(a, axis=None):
    a = np.asarray(a, dtype=np.float64)
    axes = range(a.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    axes = tuple(x % a.ndim for x in axes)
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    x = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    ones = np.ones(x.shape[:-1] + (1,))
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(x, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    return np.moveaxis((before * after).reshape(moved.shape), last, axes)


# 1 / (number of winners) where an element equals its reduction's max (or min), else 0: ties
# split the gradient evenly, as torch.amax and torch.amin do
def winners(a, out, axis, keepdims):
    kept = out if axis is None or keepdims else np.expand_dims(out, axis)
    hit = (a == kept).astype(np.float64)
    return hit / np.sum(hit, axis=axis, keepdims=True)


# g times the weights where they are not 0, else 0 (a NaN in g is not sent where blocked)
def select(g, weights):
    return np.where(weights != 0, g * weights, 0.0)


# num / den, and 0 where den is 0 (PyTorch's masking at a norm or a std of 0)
def over(num, den):
    return np.where(den == 0, 0.0, num / np.where(den == 0, 1.0, den))


# aᵇ·log a, and 0 where a = 0 and b ≥ 0 (PyTorch's), without evaluating log 0 there
def power_log(out, a, b):
    zero = (a == 0) & (b >= 0)
    return np.where(zero, 0.0, out * np.log(np.where(zero, 1.0, a)))


# the gradient of a[key]: g put back where the elements came from, zeros elsewhere
def scatter(g, shape, key):
    index = tuple(slice(*(int(x) if x.strip() else None for x in part.split(':')))
                  if ':' in part else int(part) for part in key.split(','))
    out = np.zeros(shape)
    out[index] = g
    return out


# a broadcast gradient summed back to an operand's shape
def sum_to(d, shape):
    lead = d.ndim - len(shape)
    kept = tuple(i + lead for i, n in enumerate(shape) if n == 1 and d.shape[i + lead] != 1)
    return d.sum(axis=kept, keepdims=True).sum(axis=tuple(range(lead))).reshape(shape)


# ∂(a @ b) for numpy's matmul: 1-D operands promoted, batch axes summed back
def matmul_grad(g, a, b, index):
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    g2 = np.reshape(g, batch + (a2.shape[-2], b2.shape[-1]))  # the output, 1-D's axes put back
    if index == 0:
        return sum_to(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
    return sum_to(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)


def cross_entropy(a, labels):
    return np.mean(logsumexp(a, axis=1) - a[np.arange(len(labels)), labels.astype(np.intp)])


def cross_entropy_grad(a, labels):
    p = softmax(a, axis=1)
    p[np.arange(len(labels)), labels.astype(np.intp)] -= 1.0
    return p / len(labels)


#: per helper name (an op's `helpers`), the numpy code the generated script defines
SCRIPT_HELPERS: dict[str, str] = {}
#: the functions a rule's code may call (beside numpy as `np`)
FUNCTIONS: dict = {}


def scripted(module: str, *alone: str, **groups: tuple[str, ...]) -> None:
    """A module of helpers joins the table: each group is a text the script defines (an op names
    it in `helpers`), made of its names' source in order: a function's, a global's line, or an
    import as written (a function alone is a group of its own name); the public functions the
    groups define are what rules may call."""
    space = sys.modules[module]
    lines = inspect.getsource(space).splitlines(keepends=True)

    def text(name: str) -> str:
        if name.startswith("import "):
            return name + "\n"
        if inspect.isfunction(getattr(space, name)):
            return inspect.getsource(getattr(space, name))
        return next(line for line in lines if line.startswith(name + " = "))

    groups = {name: (name,) for name in alone} | groups
    own = {name: getattr(space, name) for names in groups.values() for name in names
           if not name.startswith(("_", "import ")) and inspect.isfunction(getattr(space, name))}
    assert not own.keys() & FUNCTIONS.keys(), f"{module}: a helper's name is taken"
    FUNCTIONS.update(own)
    SCRIPT_HELPERS.update({group: "".join(map(text, names)) for group, names in groups.items()})


scripted(__name__, "logsumexp", "softmax", "log_softmax", "prod_others", "winners", "select",
         "over", "power_log", "scatter", gelu=("import math", "_erf", "gelu", "gelu_grad"),
         matmul_grad=("sum_to", "matmul_grad"),
         cross_entropy=("cross_entropy", "cross_entropy_grad"))
