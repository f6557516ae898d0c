"""The language's names: its leaf constructors, its functions (the op registry's names and
aliases), the names a user may not assign, and how deep an expression may nest. Read by the
language and by the modules that build on it (groups, definitions, loops), so none of them
imports the language itself.
"""

from __future__ import annotations

import builtins

from app.engine.language.spellings import MODULES
from app.engine.ops import REGISTRY

#: leaf constructors and what they draw from the RandomState
LEAVES = {"input": "normal", "param": "normal", "onehot": "onehot", "bernoulli": "bernoulli",
          "zeros": "zeros", "ones": "ones", "uniform": "uniform", "labels": "labels"}
#: functions called by name, from the op registry (its names and aliases): name -> op
FUNCTIONS = {
    **{op.name: op.name for op in REGISTRY.values() if op.syntax == "call"},
    **{alias: op.name for op in REGISTRY.values() for alias in op.names},
}
#: names a user may not assign: the language's functions, Python builtins the generated
#: script uses, numpy's alias; `grad_` names are the gradients of the exported script, `dot_`
#: names forward mode's tangents. (The script's other names — its learning rate, `rs`, `t`,
#: its helpers — give way to a user's: codegen.py.)
RESERVED = set(LEAVES) | set(FUNCTIONS) | set(dir(builtins)) | {"np"}
RESERVED |= MODULES  # `F.relu(x)`, `torch.exp(x)`: a module prefix, never a variable
RESERVED_PREFIXES = {"grad_": "the gradients of the exported script (grad_x is ∂loss/∂x)",
                     "dot_": "forward mode's tangents (dot_x is the derivative of x along "
                             "the direction)"}
MAX_DEPTH = 60
