"""Shapes: each op's shape rule and numpy's broadcasting, reversed for gradients.

No derivatives here: only which shapes an op takes and gives, and how a gradient of a
broadcast shape is summed back to its input's shape (as numbers and as numpy code).
"""

from __future__ import annotations

from math import prod

import numpy as np

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """Inputs whose shapes the op cannot take; the message names the shapes."""


# ----- Broadcasting -----

def reduce_axes(from_shape: Shape, to_shape: Shape) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Axes to sum so a gradient of `from_shape` gets `to_shape`: (leading axes, kept axes)."""
    lead = len(from_shape) - len(to_shape)
    leading = tuple(range(lead))
    kept = tuple(
        i + lead for i, n in enumerate(to_shape) if n == 1 and from_shape[i + lead] != 1
    )
    return leading, kept


def reduce_to(grad: np.ndarray, shape: Shape) -> np.ndarray:
    """Sum a broadcast gradient back to the input's shape (numpy broadcasting, reversed)."""
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape == shape:
        return grad
    if grad.ndim < len(shape) or _broadcast_or_none(grad.shape, shape) != grad.shape:
        if grad.size == 1 and grad.ndim <= len(shape):
            return np.broadcast_to(grad, shape).copy()
        _bad(grad, shape)
    leading, kept = reduce_axes(grad.shape, shape)
    if kept:
        grad = grad.sum(axis=kept, keepdims=True)
    if leading:
        grad = grad.sum(axis=leading)
    return grad.reshape(shape)


def reduce_code(expr: str, from_shape: Shape, to_shape: Shape) -> str:
    """The numpy code of `reduce_to` for these shapes (empty reduction: the expression itself)."""
    if from_shape == to_shape:
        return expr
    leading, kept = reduce_axes(from_shape, to_shape)
    code = f"({expr})"
    if kept:
        code += f".sum(axis={_axis_literal(kept)}, keepdims=True)"
    if leading:
        code += f".sum(axis={_axis_literal(leading)})"
    return code


def _axis_literal(axes: tuple[int, ...]) -> str:
    return str(axes[0]) if len(axes) == 1 else str(axes)


def _broadcast_or_none(a: Shape, b: Shape) -> Shape | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _bad(grad: np.ndarray, shape: Shape):
    raise ShapeError(f"a gradient of shape {grad.shape} cannot be reduced to {shape}")


# ----- Shape rules -----

def same_shape(*shapes: Shape, **_) -> Shape:
    return shapes[0]


def broadcast_shape(a: Shape, b: Shape, **_) -> Shape:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ShapeError(f"shapes {a} and {b} cannot be broadcast together") from None


def matmul_shape(a: Shape, b: Shape, **_) -> Shape:
    if len(a) != 2 or len(b) != 2:
        raise ShapeError(f"@ takes two 2-D tensors, got shapes {a} and {b}")
    if a[1] != b[0]:
        raise ShapeError(f"shapes {a} and {b} do not match for @ ({a[1]} ≠ {b[0]})")
    return (a[0], b[1])


def matmul_nd_shape(a: Shape, b: Shape, **_) -> Shape:
    """numpy's matmul: 1-D operands as a row (left) or a column (right), batch axes broadcast."""
    if not a or not b:
        raise ShapeError(f"@ needs tensors with at least one axis, got shapes {a} and {b}")
    k_a = a[-1]
    k_b = b[0] if len(b) == 1 else b[-2]
    if k_a != k_b:
        raise ShapeError(f"shapes {a} and {b} do not match for @ ({k_a} ≠ {k_b})")
    try:
        batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        raise ShapeError(f"the batch axes of {a} and {b} do not broadcast") from None
    return batch + (a[-2:-1] if len(a) > 1 else ()) + (b[-1:] if len(b) > 1 else ())


def index_key(text: str):
    """The numpy key of an index written as text: "1:3, 0" -> (slice(1, 3), 0)."""
    key = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            key.append(slice(*(int(x) if x.strip() else None for x in part.split(":"))))
        else:
            key.append(int(part))
    return tuple(key)


def index_shape(a: Shape, key=":") -> Shape:
    """The shape of a[key] (constant integers and slices only)."""
    try:
        return tuple(np.broadcast_to(np.empty(()), a)[index_key(key)].shape)
    except IndexError as e:
        raise ShapeError(f"[{key}] does not index shape {a}: {e}") from None


def reshape_shape(a: Shape, shape=()) -> Shape:
    try:
        return tuple(np.broadcast_to(np.empty(()), a).reshape(shape).shape)
    except ValueError:
        raise ShapeError(f"cannot reshape {a} ({prod(a)} elements) to {tuple(shape)}") from None


def concat_shape(*shapes: Shape, axis=0, n=2) -> Shape:
    first = shapes[0]
    if not first:
        raise ShapeError("concatenate needs tensors with at least one axis, got a scalar")
    check_axis(first, axis)
    axis %= len(first)
    for other in shapes[1:]:
        if len(other) != len(first) or any(a != b for i, (a, b) in
                                            enumerate(zip(first, other, strict=True))
                                            if i != axis):
            raise ShapeError(f"shapes {first} and {other} do not concatenate along axis {axis}")
    return first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]


def stack_shape(*shapes: Shape, axis=0, n=2) -> Shape:
    first = shapes[0]
    if any(other != first for other in shapes[1:]):
        raise ShapeError(f"stack needs tensors of one shape, got {', '.join(map(str, shapes))}")
    if not -len(first) - 1 <= axis <= len(first):
        raise ShapeError(f"axis={axis} is out of range for stacking shape {first}")
    axis %= len(first) + 1
    return first[:axis] + (len(shapes),) + first[axis:]


def transpose_shape(a: Shape, **_) -> Shape:
    if len(a) < 2:
        raise ShapeError(f".T needs a tensor with at least 2 axes (it would leave shape {a} "
                         "as it is)")
    return tuple(reversed(a))


def check_axis(shape: Shape, axis) -> None:
    """axis is None, an axis of `shape`, or a tuple of distinct axes of it."""
    if axis is None:
        return
    for one in axis if isinstance(axis, tuple) else (axis,):
        if not -len(shape) <= one < len(shape):
            raise ShapeError(f"axis={one} is out of range for shape {shape} (ndim {len(shape)})")
    if isinstance(axis, tuple) and len({one % len(shape) for one in axis}) != len(axis):
        raise ShapeError(f"axis={axis} names an axis twice")


def reduce_shape(a: Shape, axis=None, keepdims=False) -> Shape:
    check_axis(a, axis)
    if axis is None:
        return tuple(1 for _ in a) if keepdims else ()
    axes = {one % len(a) for one in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(a) if keepdims or i not in axes)


def softmax_shape(a: Shape, axis=-1) -> Shape:
    if not a:
        raise ShapeError("softmax needs a tensor with at least one axis, got a scalar")
    check_axis(a, axis)
    return a


def cross_entropy_shape(logits: Shape, labels: Shape, **_) -> Shape:
    if len(logits) != 2 or labels != logits[:1]:
        raise ShapeError(f"cross_entropy takes logits (N, C) and labels (N,) from "
                         f"labels(N, C), got {logits} and {labels}")
    return ()
