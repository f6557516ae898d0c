"""How nodes, shapes, numbers and gradients are written in LaTeX and in narration.

One notation everywhere: a node is written as the graph shows it — its name, or for a nested
sub-expression its own formula (LaTeX) or source text (narration), in parentheses where an
operator needs them — and a gradient is ∂ of the loss under its own name (∂J/∂W1, not ∂loss).
Only a sub-expression too long to write out is abbreviated t_n, and the step that computes it
says so. Only notation: no derivative lives here (the formulas come from the op registry's
templates; a broadcast input's sum comes from the shape rules).
"""

from __future__ import annotations

import ast
import re

from app.engine.core.graph import Graph
from app.engine.core.shapes import reduce_axes
from app.engine.ops.registry import render

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda", "mu",
    "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
}
ALIASES = {"lam": "lambda", "eps": "epsilon"}
#: an unnamed sub-expression whose LaTeX is longer than this is written t_n instead of its
#: formula: every preset's fits; the bound keeps a step's LaTeX small on any source
MAX_INLINE = 240
#: how a gradient summed over broadcast axes names them, by the number of axes
AXIS_NAMES = {1: ("elements",), 2: ("rows", "columns")}


def name_tex(name: str) -> str:
    """`w1` -> w_{1}, `h_relu` -> h_{\\mathrm{relu}}, `lam` -> \\lambda, `loss` -> \\mathrm{loss}."""
    base, _, sub = name.partition("_")
    if not sub:
        m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name)
        if m:
            base, sub = m.groups()
    base = ALIASES.get(base, base)
    if base in GREEK:
        base_tex = "\\" + base
    elif len(base) == 1:
        base_tex = base
    else:
        base_tex = f"\\mathrm{{{base}}}"
    if not sub:
        return base_tex
    sub_tex = sub if sub.isdigit() or len(sub) == 1 else f"\\mathrm{{{sub.replace('_', ' ')}}}"
    return f"{base_tex}_{{{sub_tex}}}"


def num_tex(v) -> str:
    v = float(v)
    text = f"{v:.6g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}\\times 10^{{{int(exp)}}}"
    return text if text not in ("nan", "inf", "-inf") else f"\\text{{{text}}}"


def operand_tex(v) -> str:
    """A number as an operand: negative ones in parentheses (2 \\cdot (-3), not 2 \\cdot -3)."""
    text = num_tex(v)
    return f"({text})" if text.startswith("-") else text


def num_text(v) -> str:
    return f"{float(v):.6g}"


def shape_tex(shape: tuple[int, ...]) -> str:
    return "\\times".join(str(n) for n in shape) if shape else "1"


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) if shape else "scalar"


def reduce_tex(tex: str, from_shape: tuple[int, ...], to_shape: tuple[int, ...],
               operand: bool = False) -> str:
    """A contribution of `from_shape` summed back to its broadcast input's `to_shape`, as
    LaTeX: \\sum_{\\text{rows}} over the axes the input was broadcast along (what `reduce_to`
    and `reduce_code` do; an axis of length 1 sums nothing and is not written). `operand`:
    `tex` reads as one operand (a fraction), so the sum needs no parentheses around it."""
    leading, kept = reduce_axes(from_shape, to_shape)
    axes = [a for a in leading + kept if from_shape[a] != 1]
    if not axes:
        return tex
    names = AXIS_NAMES.get(len(from_shape))
    words = [names[a] for a in sorted(axes)] if names else \
        [f"{'axes' if len(axes) > 1 else 'axis'} {', '.join(map(str, sorted(axes)))}"]
    summand = tex if operand else f"\\left({tex}\\right)"
    return f"\\sum_{{\\text{{{', '.join(words)}}}}} {summand}"


def bare_text(label: str) -> bool:
    """Whether a node's source text reads as one operand as it is (a name, a number, a call,
    an index, `.T`); an operator expression (`y_pred - y`, `-z`) does not."""
    try:
        expr = ast.parse(label, mode="eval").body
    except SyntaxError:
        return False
    if isinstance(expr, ast.Constant):
        return not label.lstrip().startswith("-")
    return isinstance(expr, (ast.Name, ast.Call, ast.Subscript, ast.Attribute))


#: templates whose operands sit in an additive context: a product or a power reads there as
#: one operand without brackets (x w - y), and so does a sum on the left (a + b - c); a sum
#: after a minus or a negation does not
ADDITIVE = {"{0} + {1}", "{0} - {1}"}
#: how an op's template starts when its formula binds tighter than + and −: a product, a
#: power, a transpose, an index, a fraction
TIGHT = re.compile(r"\{0\}(\\,\{1\}|\s*\\odot|\^|_)|\\frac")


def unwrap(tex: str) -> str:
    """`\\left(a\\right)` -> `a` when those two brackets pair with each other, else `tex`."""
    if not (tex.startswith("\\left(") and tex.endswith("\\right)")):
        return tex
    depth = 0
    for m in re.finditer(r"\\left[(\[|.{]|\\right[)\]|.}]", tex):
        depth += 1 if m.group().startswith("\\left") else -1
        if depth == 0 and m.end() < len(tex):
            return tex  # the first bracket closes before the end: (a) + (b)
    return tex[len("\\left("):-len("\\right)")]


def bracketed(template: str) -> str:
    """The template with every slot its own brackets already hold — `f({0})`, `|{0}|`, a TeX
    group `{{{0}}}` — renamed `{bare0}`, to be filled with the operand without its brackets."""
    return re.sub(r"(\(|\{\{|\|)\{(\d)\}(\)|\}\}|\|)",
                  lambda m: f"{m.group(1)}{{bare{m.group(2)}}}{m.group(3)}"
                  if (m.group(1), m.group(3)) in (("(", ")"), ("{{", "}}"), ("|", "|")) else m.group(),
                  template)


class Notation:
    """LaTeX symbols of one graph's nodes (cached)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._symbols: dict[str, str] = {}
        #: node -> its narration text (parsing a label each time was a tenth of a trace)
        self._texts: dict[str, str] = {}
        #: a node's formula and its contributions' LaTeX, which depend on the graph alone (a
        #: run's traces share its notation: steps.py)
        self._formulas: dict[str, str] = {}
        self._contribs: dict[tuple[str, int], str] = {}

    def symbol(self, nid: str) -> str:
        if nid not in self._symbols:
            self._symbols[nid] = self._symbol(nid)
        return self._symbols[nid]

    def _symbol(self, nid: str) -> str:
        node = self.graph.nodes[nid]
        if node.kind == "const" and not node.named:
            return operand_tex(node.init["value"])
        if node.named:
            return name_tex(nid)
        formula = self.formula(nid)
        if len(formula) <= MAX_INLINE:
            return formula if self.graph.op(nid).call_like else f"\\left({formula}\\right)"
        return f"t_{{{nid.removeprefix('tmp')}}}"

    def abbreviated(self, nid: str) -> bool:
        """Whether the node is written t_n (its formula was too long to inline)."""
        node = self.graph.nodes[nid]
        return node.kind == "op" and not node.named and self.symbol(nid).startswith("t_")

    def alias_text(self, nid: str) -> str:
        """An abbreviated node's t_n as narration writes it (t11), so a reader can find it."""
        return "t" + self.symbol(nid).removeprefix("t_{").removesuffix("}")

    def formula(self, nid: str, inputs: list[str] | None = None) -> str:
        """The op's LaTeX with its inputs' symbols (or the given input texts)."""
        node = self.graph.nodes[nid]
        op = self.graph.op(nid)
        if inputs is not None:
            return self._scalar_dot(nid, render(op.latex, op.fmt(**node.attrs), inputs))
        found = self._formulas.get(nid)
        if found is None:
            found = self._formulas[nid] = self._formula(nid, node, op)
        return found

    def _formula(self, nid: str, node, op) -> str:
        template = op.latex
        if template in ADDITIVE:
            for slot, i in enumerate(node.inputs):
                # a + b - c: a sum's first operand, or the second of a +, may be a sum itself
                chain = self.graph.op(i).latex in ADDITIVE if self.graph.nodes[i].kind == "op" else False
                if self._tight(i) or (chain and (slot == 0 or template == "{0} + {1}")):
                    template = template.replace(f"{{{slot}}}", f"{{bare{slot}}}")
        return self._scalar_dot(nid, self._render(nid, template))

    def _tight(self, nid: str) -> bool:
        """Whether an unnamed op's formula binds tighter than + and − (a product, a power)."""
        node = self.graph.nodes[nid]
        return node.kind == "op" and bool(TIGHT.match(self.graph.op(nid).latex))

    def _render(self, nid: str, template: str, **names: str) -> str:
        """Fill one of nid's templates with its inputs' symbols, each without brackets where
        the template's own hold it (σ(−z), not σ((−z)))."""
        node = self.graph.nodes[nid]
        op = self.graph.op(nid)
        symbols = [self.symbol(i) for i in node.inputs]
        bare = {f"bare{k}": unwrap(t) for k, t in enumerate(symbols)}
        return render(bracketed(template), op.fmt(**node.attrs), symbols, **bare, **names)

    def _scalar_dot(self, nid: str, tex: str) -> str:
        """Elementwise products read as a plain product between scalars."""
        node = self.graph.nodes[nid]
        if node.shape == () and all(self.graph.nodes[i].shape == () for i in node.inputs):
            return tex.replace("\\odot", "\\cdot")
        return tex

    def local(self, nid: str, index: int) -> str:
        return self._render(nid, self.graph.op(nid).local[index], out=self.symbol(nid))

    def contrib(self, nid: str, index: int) -> str:
        """What input `index`'s gradient receives from nid's: the registry's contribution,
        summed over the axes the input was broadcast along (as the code line does)."""
        found = self._contribs.get((nid, index))
        if found is None:
            found = self._contribs[(nid, index)] = self._contrib(nid, index)
        return found

    def _contrib(self, nid: str, index: int) -> str:
        node = self.graph.nodes[nid]
        op = self.graph.op(nid)
        tex = self._scalar_dot(nid, self._render(nid, op.contrib[index], g=self.grad(nid),
                                                 out=self.symbol(nid)))
        if op.broadcasts:
            tex = reduce_tex(tex, node.shape, self.graph.nodes[node.inputs[index]].shape,
                             operand=op.contrib[index] == "{g}")
        return tex

    def tangent(self, nid: str) -> str:
        """ẋ: the node's derivative along the forward-mode direction."""
        symbol = self.symbol(nid)
        if self.graph.nodes[nid].named:
            base, sep, sub = symbol.partition("_{")
            return f"\\dot{{{base}}}_{{{sub}" if sep else f"\\dot{{{symbol}}}"  # ẏ_pred
        if symbol.startswith("\\left("):
            return f"{symbol}^{{\\bullet}}"
        return f"\\left({symbol}\\right)^{{\\bullet}}"

    def tangent_term(self, nid: str, index: int, tangent: str) -> str:
        """The LaTeX of what input `index`'s tangent adds to nid's (from the registry)."""
        return self._scalar_dot(nid, self._render(nid, self.graph.op(nid).tangent[index],
                                                  t=tangent, out=self.symbol(nid)))

    def grad(self, nid: str) -> str:
        """∂loss/∂node: the gradient of the loss with respect to the node."""
        return f"\\frac{{\\partial {self.symbol(self.graph.loss)}}}{{\\partial {self.symbol(nid)}}}"

    def partial(self, nid: str, wrt: str) -> str:
        return f"\\frac{{\\partial {self.symbol(nid)}}}{{\\partial {self.symbol(wrt)}}}"

    # ----- the same notation in narration (plain text) -----

    def text(self, nid: str) -> str:
        """The node as narration writes it: its label as the graph shows it, in parentheses
        when it is an operator expression (`(y_pred - y)`), so ∂J/∂(y_pred - y) reads right."""
        found = self._texts.get(nid)
        if found is None:
            label = self.graph.nodes[nid].label
            found = self._texts[nid] = label if bare_text(label) else f"({label})"
        return found

    def grad_text(self, nid: str) -> str:
        """∂J/∂W1: the gradient of the loss, under the loss's own name, w.r.t. the node."""
        return f"∂{self.text(self.graph.loss)}/∂{self.text(nid)}"

    def the_loss(self) -> str:
        """`the loss`, or `the loss J` when the loss has a name of its own."""
        name = self.text(self.graph.loss)
        return "the loss" if name == "loss" else f"the loss {name}"
