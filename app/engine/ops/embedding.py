"""`embedding(ids, table)`, PyTorch's F.embedding: the rows of a table the ids pick.

The ids are whole numbers (a labels leaf, of any shape) and get no gradient; each id's row of
the gradient is added into the table's row it picked, so a row picked twice receives the sum.
The two functions are the rules' numpy and the script's text (no docstrings: they are copied).
"""

from __future__ import annotations

from math import prod

import numpy as np

from app.engine.core.shapes import ShapeError
from app.engine.ops.derivation import table_op
from app.engine.ops.helpers import scripted


# the rows of table the ids pick: ids of any shape, each row (D,) in its place
def embedding(ids, table):
    index = np.asarray(ids).astype(np.intp)
    if index.size and (index.min() < 0 or index.max() >= len(table)):
        raise IndexError(f"embedding ids must be in 0 … {len(table) - 1} (the table's rows), "
                         f"got {index.min()} … {index.max()}")
    return table[index]


# the table's gradient: each id's row of g added into its row (a repeated id accumulates)
def embedding_grad(g, ids, shape):
    out = np.zeros(shape)
    np.add.at(out, np.asarray(ids).astype(np.intp), g)
    return out


scripted(__name__, embedding=("embedding", "embedding_grad"))


def _embedding_shape(ids, table, **_):
    if len(table) != 2:
        raise ShapeError(f"embedding's table must be 2-D (rows, D), got {tuple(table)}")
    return (*ids, table[1])


# ids index the table's rows (PyTorch's F.embedding(ids, table)); the ids are whole numbers
# (a labels leaf): they get no gradient, and the table's rows get g scatter-added
table_op("embedding", "embedding({0}, {1})",
         ("np.zeros_like({0}) * np.sum({g})", "embedding_grad({g}, {0}, {1}.shape)"),
         ("0.0 * np.expand_dims({t}, -1)", "embedding({0}, {t})"),
         _embedding_shape, "{1}_{{[{0}]}}", ("0", "\\mathbb{{1}}[\\text{{its row picked}}]"),
         ("0 \\cdot {g}", "\\textstyle\\sum_{{i:\\,{0}_i = r}} {g}_i"),
         ("0 \\cdot {t}", "{t}_{{[{0}]}}"), helpers=("embedding",),
         flops=lambda out, ids, table: prod(out),
         routes="embedding adds each position's gradient into the table row its id picked (a "
                "row picked several times receives the sum); the ids, whole numbers, get none.")
