"""The language's names: the modules a source may write, its leaf constructors, its functions
(the op registry's names and aliases), the names a user may not assign, how deep an expression
may nest and how many axes a tensor may have. Read by the language and by the modules that
build on it (groups, definitions, loops), so none of them imports the language itself.
"""

from __future__ import annotations

import ast
import builtins

from app.engine.ops.registry import REGISTRY

#: the names a source may write a module as (no imports: `np`, `numpy`, `torch`, and `F` for
#: torch.nn.functional, as PyTorch's examples import it)
MODULES = frozenset({"np", "numpy", "torch", "F"})
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
#: axes of a tensor at most (numpy's own limit is 64 in numpy 2, 32 before)
MAX_AXES = 32
#: syntax that is not part of the language, by what an error calls it
NOT_ALLOWED = {
    ast.Lambda: "lambdas", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Compare: "comparisons", ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions", ast.List: "lists", ast.Tuple: "tuples",
    ast.Dict: "dicts", ast.Set: "sets", ast.JoinedStr: "strings", ast.NamedExpr: ":=",
    ast.Starred: "* unpacking", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
