"""The README's table of ops, made from the registry and the language's spellings: `gradwalk
ops` prints it, and a test keeps the README's copy equal to it."""

from __future__ import annotations

from app.engine.language.spellings import SPELLINGS
from app.engine.language.vocabulary import FUNCTIONS
from app.engine.ops.registry import REGISTRY, VARIADIC

_WRITTEN = {"+": "`a + b`", "-": "`a - b`", "*": "`a * b`", "/": "`a / b`",
            "@": "`A @ B` (2-D)", "**": "`a ** 3` (a constant exponent)", "unary -": "`-a`",
            ".T": "`a.T`", "@ (vectors, batches)": "`a @ b` (1-D or batched)",
            "x[…]": "`x[0]`, `x[:, 1:3]`, `x[::2]`"}


def ops_table() -> str:
    """Every op of the registry as a Markdown table: how it is written in the language, the
    names numpy and PyTorch give it (spellings.py), and how it routes the gradient (the
    registry's sentence). The README holds this table."""
    rows = ["| op | written | also, after `np.`, `torch.`, `F.` or as a method | "
            "how it routes the gradient |", "|---|---|---|---|"]
    for name, op in REGISTRY.items():
        written = [_WRITTEN[op.syntax]] if op.syntax in _WRITTEN else []
        attrs = {k: v for k, v in op.attrs.items()  # pow's p is written `** p`
                 if k not in ("n", "key", "shape", op.positional) and (k, op.syntax) != ("p", "**")}
        for call in (f for f, n in FUNCTIONS.items() if n == name):
            if op.arity == VARIADIC:
                written.append(f"`{call}([a, b, …], axis=0)`")
            elif op.positional and op.positional_at is None:
                written.append(f"`{call}(x, (2, 3))`")
            else:
                tensors = op.arity - len(op.optional) - op.drawn  # dropout: its mask is drawn
                args = [*"abcd"[:tensors], *(k for k, _ in op.optional)]
                if op.positional_at is not None:  # layer_norm(a, (d,), weight, bias)
                    args.insert(op.positional_at, "(d,)")
                keywords = "".join(f", {k}={v}" for k, v in attrs.items())
                written.append(f"`{call}({', '.join(args)}{keywords})`")
        # `pow` and `power` write `**`: a constant exponent is pow, a tensor one power
        spelled = sorted(n for n, o in SPELLINGS.items() if o == name
                         or (name == "pow" and o == "power"))
        also = ", ".join(f"`{n}`" for n in spelled)
        rows.append(f"| `{name}` | {', '.join(written)} | {also} | {op.routes} |")
    return "\n".join(rows) + "\n"
