"""Writes Gradwalk source line by line, opening and closing `with group(...)` blocks.

Group names follow the language's rules: at most 40 characters, no commas, each used once (a
module called again later gets " (2)", " (3)", …).
"""

from __future__ import annotations

import math
import re

MAX_GROUP = 40


class SourceWriter:
    def __init__(self):
        self._lines: list[str] = []
        self._open: list[tuple[str, str]] = []  # (module path, group name written)
        self._used: set[str] = set()
        self._taken: set[str] = set()  # the source's names so far

    def comment(self, text: str) -> None:
        self._lines.append("    " * len(self._open) + "# " + text)

    def line(self, text: str) -> None:
        self._lines.append("    " * len(self._open) + text)

    def enter(self, paths: list[str]) -> None:
        """Be inside the groups `paths` (outermost first), closing and opening as needed."""
        keep = 0
        while keep < min(len(paths), len(self._open)) and self._open[keep][0] == paths[keep]:
            keep += 1
        del self._open[keep:]
        for path in paths[keep:]:
            name = self._name(path)
            self.line(f'with group("{name}"):')
            self._open.append((path, name))

    def close_groups(self) -> None:
        self._open.clear()

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"

    def _name(self, path: str) -> str:
        base = path.replace(",", " ").replace('"', "'").replace("\\", "/")
        if len(base) > MAX_GROUP - 5:
            base = "…" + base[-(MAX_GROUP - 6):]
        name, k = base, 2
        while name in self._used:
            name, k = f"{base} ({k})", k + 1
        self._used.add(name)
        return name

    def fresh(self, wanted: str) -> str:
        """A name for a new node: an identifier, not one of the language's words, not taken."""
        from app.engine.language.parser import RESERVED

        name = re.sub(r"[^A-Za-z0-9_]", "_", wanted).strip("_") or "v"
        if not name[:1].isalpha():
            name = "v_" + name
        if name in RESERVED or name.startswith(("grad_", "tangent_")) or name == "loss":
            name += "_out"
        name = name[:28]
        base, k = name, 2
        while name in self._taken:
            name, k = f"{base}_{k}", k + 1
        self._taken.add(name)
        return name

    def take(self, name: str) -> str:
        self._taken.add(name)
        return name


def sizes(shape) -> str:
    return ", ".join(str(int(s)) for s in shape)


def uniform(shape, fan_in: int) -> str:
    """PyTorch's default range for a layer's weight and bias: ±1/√fan_in."""
    bound = 1 / math.sqrt(fan_in) if fan_in else 1.0
    return f"uniform({sizes(shape)}, low={-bound:.6g}, high={bound:.6g})"


def layer_norm(v: str, dims, eps: float, weight: str | None, bias: str | None) -> str:
    """The registry's layer_norm over the last axes `dims` (their sizes), as PyTorch writes it:
    `layer_norm(x, (12,), w, b)`; a missing weight or bias is left out (or None)."""
    args = [v, "(" + ", ".join(str(int(d)) for d in dims) + ("," if len(dims) == 1 else "") + ")"]
    if weight is not None or bias is not None:
        args.append(weight or "None")
    if bias is not None:
        args.append(bias)
    keyword = "" if float(eps) == 1e-5 else f", eps={float(eps)!r}"
    return f"layer_norm({', '.join(args)}{keyword})"
