"""Shared pieces of the engine tests: op cases drawn from the registry itself."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.engine.ops.registry import REGISTRY

UNARY_SHAPES = [(3, 4), (), (5,), (2, 3, 2)]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3, 4)), ((2, 3), ())]
#: ops whose inputs must be positive (log, sqrt, log1p; non-integer powers)
POSITIVE = {"log", "sqrt", "log1p", "power"}


def attr_variants(op) -> list[dict]:
    """Every combination of the op's attributes worth checking."""
    choices = {
        "axis": [None, 0, -1, (0, -1)] if op.attrs.get("axis", -1) is None else [-1, 0],
        "keepdims": [False, True],
        "p": [2.0, 3.0, 0.5, -1.0],
        "slope": [0.01, 0.2],
        "alpha": [1.0, 0.5],
        "min": [-1.0, 0.2],
        "max": [1.0],
    }
    keys = list(op.attrs)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(choices[k] for k in keys))]


#: (op, input) pairs that take whole numbers (class labels): not differentiated
INTEGER_INPUTS = {("cross_entropy", 1), ("embedding", 0), ("dropout", 1)}
#: ops whose attributes depend on the input's shape: (input shapes, attrs) cases
SHAPED_CASES = {
    "index": [(((3, 4),), {"key": k}) for k in (":, 0", "1:3", "-1", "::2, 1:", "0:2, -1")]
    + [(((5,),), {"key": k}) for k in ("2", "1:4", "-4:-1:2")]
    + [(((2, 3, 2),), {"key": "1, :, 0"})],
    "reshape": [(((3, 4),), {"shape": s}) for s in ((4, 3), (12,), (2, 2, 3), (-1, 6))]
    + [(((6,),), {"shape": (2, 3)}), (((),), {"shape": (1, 1)})],
    "cross_entropy": [(((4, 3), (4,)), {}), (((1, 5), (1,)), {})],
    "concatenate": [(((2, 3), (4, 3)), {"axis": 0, "n": 2}),
                    (((2, 3), (2, 1), (2, 2)), {"axis": 1, "n": 3}),
                    (((3,), (2,)), {"axis": -1, "n": 2})],
    "embedding": [(((3,), (5, 2)), {}), (((2, 4), (3, 3)), {}), (((2, 1, 3), (4, 1)), {})],
    "dropout": [(((3, 4), (3, 4)), {"p": 0.5}), (((5,), (5,)), {"p": 0.2}),
                (((2, 1, 3), (2, 1, 3)), {"p": 0.0})],
    "batch_norm": [(((4, 3), (3,), (3,)), {"eps": 1e-5}),
                   (((2, 3, 2, 2), (3,), (3,)), {"eps": 1e-5}),
                   (((3, 2, 4), (), ()), {"eps": 0.1})],
    "layer_norm": [(((4, 3), (3,), (3,)), {"normalized_shape": (3,), "eps": 1e-5}),
                   (((2, 3, 4), (3, 4), (3, 4)), {"normalized_shape": (3, 4), "eps": 1e-5}),
                   (((2, 5), (), ()), {"normalized_shape": (5,), "eps": 0.1})],
    "stack": [(((2, 3), (2, 3)), {"axis": 0, "n": 2}),
              (((3,), (3,), (3,)), {"axis": 1, "n": 3}),
              (((), ()), {"axis": 0, "n": 2})],
    "conv2d": [(((2, 3, 5, 6), (4, 3, 3, 2), (4,)), attrs) for attrs in (
        {"stride": 1, "padding": 0, "dilation": 1}, {"stride": 2, "padding": 1, "dilation": 1},
        {"stride": (1, 2), "padding": (2, 0), "dilation": (2, 1)})]
    + [(((1, 2, 4, 4), (3, 2, 1, 1), ()), {"stride": 3, "padding": 0, "dilation": 1})],
    **{name: [(((2, 3, 6, 5),), {"kernel_size": k, "stride": s, "padding": p})
              for k, s, p in ((2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0)), (1, None, 0))]
       for name in ("max_pool2d", "avg_pool2d")},
    "flatten": [(((2, 3, 4, 2),), {"start_dim": s, "end_dim": e})
                for s, e in ((0, -1), (1, -1), (1, 2), (-2, -1), (2, 2))]
    + [(((),), {"start_dim": 0, "end_dim": -1}), (((5,),), {"start_dim": 0, "end_dim": 0})],
}


def shape_variants(op) -> list[tuple]:
    if op.name == "matmul_nd":
        return [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((4, 2, 3), (3, 5)),
                ((2, 1, 2, 3), (4, 3, 2))]
    if op.name == "matmul":
        return [((3, 4), (4, 2)), ((1, 5), (5, 1))]
    if op.name == "transpose":
        return [((3, 4),), ((2, 3, 2),)]
    if op.name in ("softmax", "log_softmax"):
        return [((3, 4),), ((5,),)]
    if op.arity == 2:
        return BINARY_SHAPES
    if op.name == "std":  # one element: std is 0 and its derivative 0/0, as in PyTorch
        return [(s,) for s in UNARY_SHAPES if s != ()]
    return [(s,) for s in UNARY_SHAPES]


def op_cases():
    """(op name, input shapes, attrs) for every registry entry; ids name them."""
    cases = []
    for name, op in sorted(REGISTRY.items()):
        if name in SHAPED_CASES:
            cases += [pytest.param(name, shapes, attrs, id=f"{name}-{shapes}-{attrs}")
                      for shapes, attrs in SHAPED_CASES[name]]
            continue
        for shapes in shape_variants(op):
            for attrs in attr_variants(op):
                if isinstance(attrs.get("axis"), tuple) and len(shapes[0]) < 2:
                    continue  # (0, -1) names one axis twice below 2-D
                if "axis" in attrs and attrs["axis"] is not None and len(shapes[0]) < 2:
                    if attrs["axis"] not in (0, -1) or len(shapes[0]) == 0:
                        continue
                cases.append(pytest.param(name, shapes, attrs, id=f"{name}-{shapes}-{attrs}"))
    return cases


def sample_inputs(name: str, shapes, attrs, rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs away from kinks (0 for relu/abs) and inside the op's domain."""
    positive = name in POSITIVE or (name == "pow" and not float(attrs["p"]).is_integer())
    out = []
    if name == "cross_entropy":  # logits, and one class index per row
        logits, labels = shapes
        return [rng.normal(size=logits),
                rng.integers(logits[1], size=labels).astype(np.float64)]
    if name == "dropout":  # the input, and a mask as the run draws it: 0 or 1/(1 - p)
        x, mask = shapes
        p = attrs["p"]
        return [rng.normal(size=x), (rng.random(size=mask) >= p) / (1 - p)]
    if name == "embedding":  # row numbers (repeats likely), and the table
        ids, table = shapes
        return [rng.integers(table[0], size=ids).astype(np.float64), rng.normal(size=table)]
    for shape in shapes:
        magnitude = rng.uniform(0.5, 1.5, size=shape)
        sign = 1.0 if positive else rng.choice([-1.0, 1.0], size=shape)
        out.append(np.asarray(magnitude * sign, dtype=np.float64))
    return out


def state_json(trace, k: int) -> dict:
    """The state after step k as the API serves it (JSON-ready)."""
    from app.api.present import state_json as as_json

    return as_json(trace.state(k))
