"""The op table's rules run their code templates without eval: what a template may name.

An index key is the user's text written into a template (`x[1:3, 0]`), so the walk over a
rule's parsed tree is what stands between that text and Python.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.ops.registry import REGISTRY


def test_a_rule_computes_its_template():
    a = np.arange(12.0).reshape(3, 4)
    index = REGISTRY["index"]
    assert np.array_equal(index.forward(a, key="-2:, ::2"), a[-2:, ::2])
    g = np.ones((2, 2))
    assert np.array_equal(index.vjp[0](g, None, a, key="-2:, ::2"),
                          np.where(np.isin(np.arange(12).reshape(3, 4), [4, 6, 8, 10]), 1.0, 0.0))
    assert REGISTRY["clip"].forward(np.array([-3.0, 0.5, 3.0]), min=-1.0, max=2.0).tolist() \
        == [-1.0, 0.5, 2.0]


@pytest.mark.parametrize("key", ["__import__('os')", "x0.__class__", "np._core", "open('x')",
                                 "(lambda: 1)()", "x0.astype(int)", "[y for y in x0]",
                                 "np.no_such_function", "*x0", "x0 if 1 else 2"])
def test_a_template_naming_anything_else_is_refused(key):
    with pytest.raises(ValueError, match="not a rule of the op table"):
        REGISTRY["index"].forward(np.ones(3), key=key)
