"""Dropout (training mode), PyTorch's: each element kept with probability 1 − p and scaled by
1/(1 − p), or zeroed.

The op multiplies its input by a mask, its second input: a leaf the language draws where the
call stands (`dropout(x, p=0.5)` declares it; app/engine/language/masks.py), of kind "labels" (a leaf
never differentiated), holding 0 or 1/(1 − p) per element. The mask is drawn from the run's
RandomState(seed) with the other leaves, in declaration order: `rs.rand(*x.shape) >= p` keeps
an element (so the same run id has the same mask). It is drawn once per run, so every
iteration drops the same elements (PyTorch draws a new mask at each forward). The VJP
multiplies the gradient by the same mask (what it keeps in memory); the mask gets none.
"""

from __future__ import annotations

from app.engine.core.shapes import ShapeError
from app.engine.ops.derivation import table_op
from app.engine.ops.registry import num


def _dropout_shape(x, mask, p=0.5):
    if not 0 <= p < 1:
        raise ShapeError(f"dropout's p must be in [0, 1) (the probability of dropping an "
                         f"element), got {p}")
    if tuple(mask) != tuple(x):
        raise ShapeError(f"dropout's mask has shape {tuple(mask)}, not its input's {tuple(x)}")
    return tuple(x)


table_op("dropout", "{0} * {1}", ("{g} * {1}", "np.zeros_like({1}) * np.sum({g})"),
         ("{t} * {1}", "0.0 * {t}"), _dropout_shape,
         "\\operatorname{{dropout}}_{{p={p}}}({0})",
         ("\\frac{{m}}{{1 - {p}}},\\ m \\in \\{{0, 1\\}}", "0"),
         ("{g} \\odot {1}", "0 \\cdot {g}"), ("{1} \\odot {t}", "0 \\cdot {t}"),
         attrs={"p": 0.5}, fmt=lambda p=0.5: {"p": num(p)}, drawn=True,
         routes="dropout passes the gradient through the elements its mask kept, scaled by "
                "1/(1 − p) as the forward was, and 0 to the dropped ones.")
