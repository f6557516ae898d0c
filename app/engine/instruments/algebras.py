"""The algebras symbolic.py's table is read over: scalars as SymPy expressions (the work), or
as a tally of the sizes those expressions would be, so a request is bounded before SymPy is
asked for anything (swell.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy


class SympyAlgebra:
    """Scalars as SymPy expressions; leaves are real symbols."""

    @staticmethod
    def number(value: float):
        value = float(value)
        return sympy.Integer(int(value)) if value.is_integer() else sympy.Float(value)

    @staticmethod
    def add(terms):
        return sympy.Add(*terms)

    @staticmethod
    def mul(terms):
        return sympy.Mul(*terms)

    @staticmethod
    def call(name: str, x):
        return _SYMPY_FUNCTIONS[name](x, evaluate=False)

    @staticmethod
    def positive(x, then, otherwise):
        """`then` where x > 0, else `otherwise` (relu's, leaky_relu's, elu's branch)."""
        return sympy.Piecewise((then, x > 0), (otherwise, True))

    @staticmethod
    def max(terms):
        return sympy.Max(*terms, evaluate=False)

    @staticmethod
    def min(terms):
        return sympy.Min(*terms, evaluate=False)


_SYMPY_FUNCTIONS = {"tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log,
                    "sqrt": sympy.sqrt, "abs": sympy.Abs, "sin": sympy.sin, "cos": sympy.cos,
                    "erf": sympy.erf}


@dataclass(frozen=True)
class Tally:
    """What a SymPy expression would be, counted: the nodes of its tree (every operator and
    atom, a shared subexpression counted each time it occurs). An estimate: SymPy writes
    a − b as a + (−1)·b and folds numbers, so its own count differs a little."""

    nodes: int

    def _join(self, other, extra: int = 1) -> Tally:
        return _node([self, other], extra)

    __add__ = __radd__ = __mul__ = __rmul__ = __pow__ = __rpow__ = _join

    def __sub__(self, other):  # a + (−1)·b
        return self._join(other, 3)

    __rsub__ = __truediv__ = __rtruediv__ = __sub__  # a · b^(−1)

    def __neg__(self):
        return _node([self], 2)


def _node(args, extra: int = 1) -> Tally:
    """A new node (and `extra` − 1 more on its way) over `args`."""
    return Tally(extra + sum(_nodes(a) for a in args))


def _nodes(x) -> int:
    return x.nodes if isinstance(x, Tally) else 1


class TallyAlgebra:
    """Scalars as the sizes of the expressions they would be."""

    ONE = Tally(1)

    @staticmethod
    def number(value: float) -> Tally:
        return TallyAlgebra.ONE

    @staticmethod
    def add(terms) -> Tally:
        return _node(terms)

    mul = max = min = add

    @staticmethod
    def call(name: str, x) -> Tally:
        return _node([x])

    @staticmethod
    def positive(x, then, otherwise) -> Tally:
        # Piecewise((then, x > 0), (otherwise, True)): two pairs, a relation, a zero, a True
        return _node([x, then, otherwise], 6)
