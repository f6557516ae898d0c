"""One element of a backward step's contribution, written as the sum it is, with the real
numbers: ∂loss/∂w1[3,7] += Σₘ ∂loss/∂h[m] · ∂h[m]/∂w1[3,7], one term per element m of the op's
output that the input element reaches (for h = x @ w1: m = (n, 7), the local derivative x[n,3]).

The local derivatives are the op registry's own JVP with a one-hot tangent in the input (one
column of the op's Jacobian), the upstream gradient is the tape's: no derivative rule lives
here. The terms add up to the tape's contribution, which is returned beside them. No HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.core.errors import InvalidRequestError, NotFoundError
from app.engine.core.trace import Trace
from app.engine.ops.registry import apply_jvp, apply_vjp
from app.engine.presenter.notation import num_tex, operand_tex

#: the terms listed (each one a pair of numbers); the sum is over all of them
MAX_TERMS = 12


@dataclass
class Term:
    #: the element m of the op's output
    index: list[int]
    #: ∂loss/∂out[m]
    upstream: float
    #: ∂out[m]/∂input[index]
    local: float
    product: float


@dataclass
class ElementSum:
    iteration: int
    step: int
    #: the op node whose backward step this is, and the input whose gradient receives
    node: str
    to: str
    #: the input's element, one whole number per axis
    index: list[int]
    #: how the element was chosen: "asked", or "largest" (largest contribution in magnitude)
    chosen: str
    #: the terms, in the output's element order, at most MAX_TERMS of them
    terms: list[Term]
    #: how many terms the sum has (output elements the input element reaches)
    count: int
    #: the sum of every term, and the tape's contribution to that element (equal up to
    #: round-off: the sum is the same number computed term by term)
    total: float
    contribution: float
    latex: str


def _element_tex(symbol: str, index) -> str:
    """w_{1} and (3, 7) -> {w_{1}}[3, 7] (braced: a name's own subscript stays its own)."""
    return f"{{{symbol}}}[{', '.join(map(str, index))}]" if len(index) else symbol


def _parse_index(index: tuple[int, ...] | None, shape: tuple[int, ...], to: str) -> tuple[int, ...]:
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape, strict=False)):
        allowed = ", ".join(f"0 to {n - 1}" for n in shape) if shape else "none: it is a scalar"
        raise InvalidRequestError(
            f"{to} has shape ({', '.join(map(str, shape))}): the element needs "
            f"{len(shape)} whole number{'s' if len(shape) != 1 else ''} ({allowed}); "
            f"got [{', '.join(map(str, index))}]", "index")
    return index


def element_sum(trace: Trace, k: int, to: str | None = None,
                index: tuple[int, ...] | None = None) -> ElementSum:
    """Element `index` of what backward step k sends to input `to` (the step's first input
    if None; the element with the largest contribution if `index` is None)."""
    trace.check_step(k)
    step = trace.step_list[k]
    if step.phase != "backward" or not step.contributions:
        raise InvalidRequestError(
            f"step {k} is a {step.phase} step{' that sends nothing' if step.phase == 'backward' else ''}: "
            "one element at a time is shown for a backward step that sends a gradient", "k")
    targets = [c.to for c in step.contributions]
    if to is None:
        to = targets[0]
    if to not in targets:
        raise NotFoundError(f"input of step {k}", to, f"this step sends to {', '.join(targets)}")
    graph = trace.graph
    nid = step.node
    node = graph.nodes[nid]
    op = graph.op(nid)
    send = next(s for s in trace.schedule.events[k].sends if s.edge.source == to)
    slot = send.edge.index
    tape = trace.tape
    inputs = [tape.array(i, "value", 0) for i in node.inputs]
    out = tape.array(nid, "value", 0)
    g = tape.array(nid, "grad", trace.expected[nid])
    contribution = apply_vjp(op, g, out, inputs, node.attrs, slot)
    shape = np.shape(inputs[slot])
    if index is None:
        chosen = "largest"
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(contribution))), shape)) \
            if shape else ()
    else:
        chosen = "asked"
        index = _parse_index(tuple(index), shape, to)
    # one column of the op's Jacobian: the input element's one-hot tangent through its JVP
    tangent = np.zeros(shape)
    tangent[index] = 1.0
    column = apply_jvp(op, [tangent if j == slot else None for j in range(len(inputs))],
                       out, inputs, node.attrs)
    column = np.broadcast_to(np.asarray(column, dtype=np.float64), np.shape(out))
    g = np.broadcast_to(np.asarray(g, dtype=np.float64), np.shape(out))
    reached = np.argwhere(column != 0)  # a 0-d array gives one empty index, or none
    mask = column != 0
    products = g[mask] * column[mask]  # C order, as argwhere lists the elements
    terms = [Term([int(i) for i in m], float(g[tuple(m)]), float(column[tuple(m)]), float(p))
             for m, p in zip(reached[:MAX_TERMS], products[:MAX_TERMS], strict=False)]
    total = float(products.sum()) if len(products) else 0.0
    value = float(np.asarray(contribution)[index]) if shape else float(contribution)
    return ElementSum(trace.iteration, k, nid, to, list(index), chosen, terms, len(reached),
                      total, value,
                      _latex(trace, nid, to, index, terms, len(reached), total, send.accumulate))


def _latex(trace: Trace, nid: str, to: str, index, terms: list[Term], count: int,
           total: float, accumulate: bool) -> str:
    """∂loss/∂to[i] (+)= Σₘ ∂loss/∂node[m] · ∂node[m]/∂to[i] = a·b + c·d + … = total."""
    tex = trace.tex
    loss = tex.symbol(trace.graph.loss)
    node, wrt = tex.symbol(nid), _element_tex(tex.symbol(to), index)
    m = "[m]" if np.ndim(trace.tape.array(nid, "value", 0)) else ""
    node = f"{{{node}}}" if m else node
    lhs = f"\\frac{{\\partial {loss}}}{{\\partial {wrt}}}"
    general = (f"\\sum_{{m}} \\frac{{\\partial {loss}}}{{\\partial {node}{m}}}"
               f"\\,\\frac{{\\partial {node}{m}}}{{\\partial {wrt}}}")
    shown = " + ".join(f"{operand_tex(t.upstream)} \\cdot {operand_tex(t.local)}" for t in terms)
    if count > len(terms):
        more = count - len(terms)
        shown += f" + \\dots\\ (\\text{{{more} more term{'s' if more != 1 else ''}}})"
    rel = "\\mathrel{\\text{+=}}" if accumulate else "="
    return f"{lhs} {rel} {general} = {shown or '0'} = {num_tex(total)}"
