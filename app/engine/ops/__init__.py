"""The op table, the only place in Gradwalk that knows a derivative, and the one list of op names.

registry.py holds the op record and the table; derivation.py makes entries from one rule each;
elementwise.py, reductions.py and structural.py are the entries by kind, helpers.py the numpy
their rules and the exported script share. The layers' ops bring their own files: dropout.py,
embedding.py, conv.py (its numpy in windows.py) and norm.py (normhelpers.py).
"""

from __future__ import annotations

from app.engine.core.shapes import ShapeError, index_key, reduce_code, reduce_to
from app.engine.ops import elementwise, reductions, structural  # noqa: F401 (they register)
from app.engine.ops.helpers import SCRIPT_HELPERS
from app.engine.ops.registry import (
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

# the layers' ops register after the basic ones (`gradwalk ops` lists them last)
from app.engine.ops import conv, dropout, embedding, norm  # noqa: E402, F401
