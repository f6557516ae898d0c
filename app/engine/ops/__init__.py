"""The op table: forward, VJP and JVP rules for every op, with their LaTeX and numpy code.

This package is the only place in Gradwalk that knows a derivative. registry.py holds the op
record and the table; derivation.py makes entries from one rule each; elementwise.py,
reductions.py and structural.py are the entries by kind; helpers.py is the numpy the rules and
the exported script share. It is also the one list of op names: the language, the notation
and the code generator read it. Broadcasting is numpy's: `apply_vjp` reduces each gradient
back to its input's shape, and `reduce_code` writes the same reduction as numpy code (both in
shapes.py, with the shape rules).
"""

from __future__ import annotations

from ..shapes import ShapeError, index_key, reduce_code, reduce_to
from . import elementwise, reductions, structural  # noqa: F401 (their entries register)
from .helpers import SCRIPT_HELPERS
from .registry import (
           FAN_OUT,
           REGISTRY,
           VARIADIC,
           MissingRuleError,
           Op,
           PerInput,
           apply_jvp,
           apply_vjp,
           get_op,
           num,
           op_flops,
           register,
           render,
)

__all__ = ["FAN_OUT", "REGISTRY", "SCRIPT_HELPERS", "VARIADIC", "MissingRuleError", "Op",
           "PerInput", "ShapeError", "apply_jvp", "apply_vjp", "get_op", "index_key", "num",
           "op_flops", "reduce_code", "reduce_to", "register", "render"]
