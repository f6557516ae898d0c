"""How an answer is read and judged against the right answer of the student's own run.

`read_answer` turns what a student sent into the stored form, or raises InvalidRequestError
(422: the wrong type for the kind, a choice that is not offered) or LimitError (413: over the
answer size). `judge` says whether it is right: numbers within relative 1e-2 or absolute 1e-6,
choices and shapes exactly, and a `backward` expression by evaluating it with the engine — parsed
by the expression language (never Python's eval) over the graph's names and `g`, evaluated by
the op registry's forwards — on the student's own values and on a second random draw of the
whole graph, where it must agree with the registry's VJP on both.
"""

from __future__ import annotations

import ast
import hashlib
import math
import re

import numpy as np

from app.classes import questions
from app.classes.questions import Spec
from app.engine.core.errors import InvalidRequestError, LimitError, SourceError
from app.engine.core.graph import Graph, Node
from app.engine.core.limits import Limits
from app.engine.core.trace import Trace
from app.engine.core.training import init_leaves
from app.engine.language.custom import evaluate
from app.engine.language.parser import Builder
from app.engine.ops.registry import op_flops

#: a number is right within this relative error, or this absolute one
REL_TOLERANCE = 1e-2
ABS_TOLERANCE = 1e-6
#: a backward expression is right when it matches the VJP this closely on both draws
EXPRESSION_RTOL = 1e-6
EXPRESSION_ATOL = 1e-9
#: element operations one answer's expression may cost (it is evaluated twice): a contribution
#: needs a few products of the graph's tensors, not chains of large matmuls
MAX_EXPRESSION_COST = 200_000_000
_MINUSES = str.maketrans({"−": "-", "–": "-", "—": "-"})
_SHAPE = re.compile(r"^[\s(\[]*(\d+(\s*[x×,]\s*\d+)*)?\s*,?[\s)\]]*$")


def read_answer(spec: Spec, answer, choices: list[str] | None, max_chars: int):
    """The answer in stored form: a float, a choice, a list of sizes or an expression."""
    if isinstance(answer, str) and len(answer) > max_chars:
        raise LimitError("max_answer_chars", max_chars, len(answer), "(characters of an answer)")
    kind = spec.kind
    if kind in ("gradient", "value"):
        return _number(answer)
    if kind == "shape":
        return _shape(answer)
    if kind == "backward":
        if not isinstance(answer, str) or not answer.strip():
            raise InvalidRequestError("must be an expression (text) such as `g * b`", "answer")
        return answer.strip()
    if not isinstance(answer, str):
        raise InvalidRequestError(f"must be one of the choices: {', '.join(choices)}", "answer")
    if kind == "sign":
        answer = {"-": "−", "–": "−"}.get(answer.strip(), answer.strip())
    if answer not in choices:
        raise InvalidRequestError(f"must be one of the choices: {', '.join(choices)}", "answer")
    return answer


def _number(answer) -> float:
    if isinstance(answer, bool) or not isinstance(answer, (int, float, str)):
        raise InvalidRequestError("must be a number (like -0.25 or 1.5e-3)", "answer")
    if isinstance(answer, str):
        try:
            answer = float(answer.strip().translate(_MINUSES))
        except ValueError:
            raise InvalidRequestError("must be a number (like -0.25 or 1.5e-3)",
                                      "answer") from None
    value = float(answer) if abs(answer) < 1e308 else math.inf
    if not math.isfinite(value):
        raise InvalidRequestError("must be a finite number", "answer")
    return value


def _shape(answer) -> list[int]:
    if isinstance(answer, list) and len(answer) <= 32 and all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**31 for n in answer):
        return answer
    if isinstance(answer, str) and _SHAPE.match(answer) and len(answer) <= 200:
        if answer.strip().lower() in ("scalar", ""):
            return []
        return [int(n) for n in re.findall(r"\d+", answer)][:32]
    if isinstance(answer, str) and answer.strip().lower() == "scalar":
        return []
    raise InvalidRequestError("must be a shape: a list of sizes like [64, 100], or text like "
                              "'64x100' ([] or 'scalar' for a scalar)", "answer")


def judge(trace: Trace, spec: Spec, answer, right, limits: Limits) -> bool:
    """Whether `answer` (read_answer's form) is right in the student's run, whose right answer
    is `right` (questions.expected)."""
    if spec.kind in ("gradient", "value"):
        return bool(math.isfinite(right) and
                    abs(answer - right) <= max(REL_TOLERANCE * abs(right), ABS_TOLERANCE))
    if spec.kind == "backward":
        return _backward_right(trace, spec, answer, limits)
    return answer == right


def expression_graph(text: str, shapes: dict[str, tuple[int, ...]], limits: Limits) -> Graph:
    """The graph of one expression over the names in `shapes` (each a leaf of that shape),
    built by the expression language: SourceError (line, column) when it is not one."""
    if len(text) > limits.max_source_chars:
        raise LimitError("max_source_chars", limits.max_source_chars, len(text),
                         "(characters of the expression)")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        detail = e.msg if e.msg.startswith("invalid syntax") else f"invalid syntax: {e.msg}"
        raise SourceError(detail, e.lineno or 1, e.offset or 1) from None
    except (RecursionError, MemoryError, ValueError):
        raise SourceError("the expression is nested too deeply", 1, 1) from None
    builder = Builder(text, limits, {})
    for name in sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}):
        if name in shapes:
            builder.nodes.append(Node(name, "input", name, tuple(shapes[name]), 1, 1,
                                      init={"dist": "value", "value": 0.0}, named=True))
            builder.names[name] = name
            builder.taken.add(name)
    try:
        out = builder.expr(tree.body, line=1)
    except RecursionError:
        raise SourceError("the expression is nested too deeply", 1, 1) from None
    graph = Graph(builder.nodes, out, limits, outputs=[out])
    cost = sum(op_flops(graph.op(n.id), n.shape, *(graph.nodes[i].shape for i in n.inputs))
               for n in graph.ops)
    if cost > MAX_EXPRESSION_COST:
        raise LimitError("max_expression_cost", MAX_EXPRESSION_COST, cost,
                         "(element operations of the expression, counted from its shapes)")
    return graph


def check_expression(trace: Trace, spec: Spec, text: str, limits: Limits) -> None:
    """SourceError or InvalidRequestError (422) unless `text` is an expression over the graph's
    names and g whose shape is the input's: only well-formed answers are stored."""
    graph = trace.graph
    shapes = {nid: graph.nodes[nid].shape for nid in graph.order}
    shapes["g"] = graph.nodes[spec.node].shape
    expr = expression_graph(text, shapes, limits)
    target = questions.backward_input(trace, spec)
    got, want = expr.nodes[expr.loss].shape, graph.nodes[target].shape
    if tuple(got) != tuple(want):
        raise InvalidRequestError(
            f"your expression has shape {list(got)}, but a contribution to ∂{graph.loss}/∂"
            f"{target} has the shape of {target}, {list(want)} (sum over the axes it was "
            f"broadcast along)", "answer")


def _evaluate(expr: Graph, values: dict[str, np.ndarray]) -> np.ndarray:
    leaves = {nid: values[nid] for nid in expr.order if expr.nodes[nid].kind == "input"}
    with np.errstate(all="ignore"):
        return np.asarray(evaluate(expr, leaves)[expr.loss], dtype=np.float64)


def _draw_seed(spec: Spec, trace: Trace) -> int:
    digest = hashlib.sha256(f"{spec.id}:{trace.seed}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


#: leaves the source writes out: the second draw draws them too (standard normal), or an
#: answer that writes their number (2 * g for x1 = 2) would pass on both draws
GIVEN = ("value", "zeros", "ones")


def second_draw(graph: Graph, seed: int) -> dict[str, np.ndarray]:
    """Leaf values unlike the run's: drawn with another seed, given ones drawn as well."""
    leaves = init_leaves(graph, seed)
    rs = np.random.RandomState(seed ^ 0x5EED)
    for nid, value in leaves.items():
        if graph.nodes[nid].init["dist"] in GIVEN:
            leaves[nid] = rs.standard_normal(np.shape(value))
    return leaves


def _backward_right(trace: Trace, spec: Spec, text: str, limits: Limits) -> bool:
    graph = trace.graph
    shapes = {nid: graph.nodes[nid].shape for nid in graph.order}
    shapes["g"] = graph.nodes[spec.node].shape
    expr = expression_graph(text, shapes, limits)
    target = questions.backward_input(trace, spec)
    upstream = trace.tape.array(spec.node, "grad", trace.expected[spec.node])
    own = questions.contributions(trace, spec.node)[target]
    # the second draw: every leaf drawn anew, every op recomputed, a random upstream gradient
    seed = _draw_seed(spec, trace)
    values = evaluate(graph, second_draw(graph, seed))
    g2 = np.random.RandomState(seed).standard_normal(graph.nodes[spec.node].shape)
    other = questions.contributions(trace, spec.node, values, g2)[target]
    for vals, right in (({**trace.values, "g": upstream}, own), ({**values, "g": g2}, other)):
        got = _evaluate(expr, vals)
        if got.shape != np.shape(right) or not np.allclose(
                got, right, rtol=EXPRESSION_RTOL, atol=EXPRESSION_ATOL, equal_nan=True):
            return False
    return True
