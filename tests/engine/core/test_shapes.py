"""Shape rules and numpy's broadcasting reversed for gradients (app/engine/core/shapes.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.engine.core.shapes import (
    ShapeError,
    broadcast_shape,
    matmul_shape,
    reduce_code,
    reduce_shape,
    reduce_to,
    same_shape,
    softmax_shape,
    transpose_shape,
)


def _reductions(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every shape that broadcasts to `shape`: leading axes dropped, any others set to 1."""
    out = []
    for lead in range(len(shape) + 1):
        kept = shape[lead:]
        for ones in itertools.product((False, True), repeat=len(kept)):
            out.append(tuple(1 if one else n for n, one in zip(kept, ones, strict=True)))
    return sorted(set(out))


BROADCAST_PAIRS = [
    (big, small)
    for big in [(3, 4), (2, 3, 4), (1, 5), (5,), (3, 1, 2)]
    for small in _reductions(big)
]


# ----- Shape rules -----

@pytest.mark.parametrize(("a", "b", "out"), [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 4), (4,), (3, 4)),
    ((3, 1), (1, 4), (3, 4)),
    ((), (2, 3), (2, 3)),
    ((2, 3), (), (2, 3)),
    ((5, 1, 2), (3, 1), (5, 3, 2)),
])
def test_broadcast_shape_is_numpys(a, b, out):
    assert broadcast_shape(a, b) == out
    assert broadcast_shape(a, b) == np.broadcast(np.empty(a), np.empty(b)).shape


@pytest.mark.parametrize(("a", "b"), [((3, 4), (3,)), ((2, 3), (3, 2)), ((4,), (5,))])
def test_broadcast_shape_errors_name_both_shapes(a, b):
    with pytest.raises(ShapeError, match="cannot be broadcast") as error:
        broadcast_shape(a, b)
    assert str(a) in str(error.value) and str(b) in str(error.value)


def test_matmul_shape():
    assert matmul_shape((3, 4), (4, 2)) == (3, 2)
    assert matmul_shape((1, 5), (5, 1)) == (1, 1)
    with pytest.raises(ShapeError, match=r"\(3, 4\) and \(3, 2\) do not match for @ \(4 ≠ 3\)"):
        matmul_shape((3, 4), (3, 2))
    for a, b in [((3,), (3, 2)), ((3, 4), (4,)), ((2, 3, 4), (4, 2)), ((), ())]:
        with pytest.raises(ShapeError, match="two 2-D tensors"):
            matmul_shape(a, b)


def test_transpose_shape():
    assert transpose_shape((3, 4)) == (4, 3)
    assert transpose_shape((2, 3, 4)) == (4, 3, 2)
    for shape in [(), (3,)]:
        with pytest.raises(ShapeError, match="at least 2 axes"):
            transpose_shape(shape)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (5,), (1, 1)])
def test_reduce_shape_is_numpys(shape):
    x = np.empty(shape)
    for axis in [None, *range(-len(shape), len(shape))]:
        for keepdims in (False, True):
            assert reduce_shape(shape, axis=axis, keepdims=keepdims) == \
                np.sum(x, axis=axis, keepdims=keepdims).shape, (axis, keepdims)
    assert reduce_shape(shape) == ()


def test_reduce_shape_errors():
    for shape, axis in [((3, 4), 2), ((3, 4), -3), ((5,), 1), ((), 0)]:
        with pytest.raises(ShapeError, match=f"axis={axis} is out of range for shape"):
            reduce_shape(shape, axis=axis)


def test_softmax_and_elementwise_keep_the_shape():
    assert softmax_shape((3, 4)) == (3, 4)
    assert softmax_shape((3, 4), axis=0) == (3, 4)
    assert softmax_shape((5,)) == (5,)
    assert same_shape((2, 3)) == (2, 3)
    with pytest.raises(ShapeError, match="scalar"):
        softmax_shape(())
    with pytest.raises(ShapeError, match="out of range"):
        softmax_shape((3, 4), axis=2)


# ----- A broadcast gradient summed back to its input's shape -----

def test_reduce_to_numbers():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(reduce_to(g, (2, 3, 4)), g)
    np.testing.assert_array_equal(reduce_to(g, (3, 4)), g.sum(axis=0))
    np.testing.assert_array_equal(reduce_to(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(reduce_to(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(reduce_to(g, (2, 1, 4)), g.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(reduce_to(g, (1, 1, 1)), [[[276.0]]])
    assert reduce_to(g, ()) == 276.0 and reduce_to(g, ()).shape == ()


def test_reduce_to_gives_float64_and_spreads_a_single_value():
    assert reduce_to(np.arange(6).reshape(2, 3), (3,)).dtype == np.float64
    np.testing.assert_array_equal(reduce_to(np.float64(2.0), (2, 2)), np.full((2, 2), 2.0))
    np.testing.assert_array_equal(reduce_to(np.ones((1, 1)), (2, 1, 3)), np.ones((2, 1, 3)))


@pytest.mark.parametrize(("grad", "shape"), [
    ((3, 4), (5,)), ((3, 4), (3, 2)), ((3,), (2, 3)), ((2, 3), (3, 3)), ((1, 1), (3,)),
])
def test_reduce_to_refuses_shapes_that_did_not_broadcast(grad, shape):
    """A VJP that returns a wrong shape is a ShapeError naming both shapes."""
    with pytest.raises(ShapeError, match="cannot be reduced to") as error:
        reduce_to(np.ones(grad), shape)
    assert str(grad) in str(error.value) and str(shape) in str(error.value)


@pytest.mark.parametrize(("big", "small"), BROADCAST_PAIRS, ids=str)
def test_reduce_to_keeps_the_total_and_undoes_broadcasting(big, small):
    """Summing back is the adjoint of broadcasting: <g, broadcast(x)> = <reduce_to(g), x>."""
    rng = np.random.default_rng(0)
    g = rng.normal(size=big)
    x = rng.normal(size=small)
    reduced = reduce_to(g, small)
    assert reduced.shape == small
    np.testing.assert_allclose(reduced.sum(), g.sum(), rtol=1e-12)
    np.testing.assert_allclose(np.sum(g * np.broadcast_to(x, big)), np.sum(reduced * x),
                               rtol=1e-12)


@pytest.mark.parametrize(("big", "small"), BROADCAST_PAIRS, ids=str)
def test_reduce_code_computes_what_reduce_to_computes(big, small):
    g = np.random.default_rng(1).normal(size=big)
    code = reduce_code("g", big, small)
    got = np.asarray(eval(code, {"g": g}))
    assert got.shape == small, code
    np.testing.assert_array_equal(got, reduce_to(g, small))
    if big == small:
        assert code == "g"


def test_reduce_code_text():
    assert reduce_code("g", (3, 4), (3, 4)) == "g"
    assert reduce_code("g * b", (3, 4), (4,)) == "(g * b).sum(axis=0)"
    assert reduce_code("g", (3, 4), (3, 1)) == "(g).sum(axis=1, keepdims=True)"
    assert reduce_code("g", (2, 3, 4), (3, 1)) == "(g).sum(axis=2, keepdims=True).sum(axis=0)"
    assert reduce_code("g", (3, 4), ()) == "(g).sum(axis=(0, 1))"
