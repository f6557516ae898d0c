"""Shapes: each op's shape rule and numpy's broadcasting, reversed for gradients.

No derivatives here: only which shapes an op takes and gives, and how a gradient of a
broadcast shape is summed back to its input's shape (as numbers and as numpy code).
"""

from __future__ import annotations

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


def transpose_shape(a: Shape, **_) -> Shape:
    if len(a) < 2:
        raise ShapeError(f".T needs a tensor with at least 2 axes (it would leave shape {a} "
                         "as it is)")
    return tuple(reversed(a))


def check_axis(shape: Shape, axis) -> None:
    if axis is None:
        return
    if not -len(shape) <= axis < len(shape):
        raise ShapeError(f"axis={axis} is out of range for shape {shape} (ndim {len(shape)})")


def reduce_shape(a: Shape, axis=None, keepdims=False) -> Shape:
    check_axis(a, axis)
    if axis is None:
        return tuple(1 for _ in a) if keepdims else ()
    axis %= len(a)
    return tuple(1 if i == axis else n for i, n in enumerate(a) if keepdims or i != axis)


def softmax_shape(a: Shape, axis=-1) -> Shape:
    if not a:
        raise ShapeError("softmax needs a tensor with at least one axis, got a scalar")
    check_axis(a, axis)
    return a
