"""What a question asks of one run: its checks, its prompt with that run's numbers, its choices,
its right answer and its explanation — all read off the run's trace (the engine's numbers,
narration and formulas; nothing is computed here that the engine does not compute).

A question is (iteration, step, node, kind, element, input). Kinds:

- `gradient`: ∂loss/∂node after the step, one element; `value`: the node's value after it;
  `sign`: the sign (−, 0, +) of that gradient element; `shape`: the shape of ∂loss/∂node;
- `larger`: which input of the node's op receives the larger |contribution| (its L2 norm) in
  the node's backward step (`equal` when they tie);
- `rule`: the node's gate pattern, one of four of the op registry's routing sentences;
- `backward`: the contribution the node's backward step sends to one input, typed as an
  expression (grading.py evaluates it).

No HTTP and no database here: the routes and crud.py call this with a trace.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from app.api import present
from app.engine.core.errors import InvalidRequestError, NotFoundError
from app.engine.core.schedule import Backward
from app.engine.core.tape import contribution
from app.engine.core.trace import Trace
from app.engine.ops.registry import REGISTRY
from app.engine.presenter.notation import num_text, shape_text

KINDS = ("gradient", "value", "sign", "larger", "shape", "rule", "backward")
SIGNS = ("−", "0", "+")
EQUAL = "equal"
#: routing sentences offered for a `rule` question: the right one and this many others
RULE_CHOICES = 4


@dataclass(frozen=True)
class Spec:
    """What a question asks; the same for every student (their numbers differ)."""

    id: str
    iteration: int
    step: int
    node: str
    kind: str
    element: tuple[int, ...] = ()
    input: str | None = None


def _element_text(spec: Spec) -> str:
    return spec.node + (f"[{', '.join(map(str, spec.element))}]" if spec.element else "")


def backward_step(trace: Trace, node: str) -> int:
    """The index of the step where `node`'s backward sends its contributions."""
    for k, event in enumerate(trace.schedule.events):  # one step per event
        if isinstance(event, Backward) and event.node == node:
            return k
    raise InvalidRequestError(f"{node!r} has no backward step (it is a leaf, or nothing "
                              f"upstream of it needs a gradient)", "node")


def _sends(trace: Trace, node: str):
    return trace.schedule.events[backward_step(trace, node)].sends


def receivers(trace: Trace, node: str) -> list[str]:
    """The inputs of `node` its backward step sends a contribution to, each once, in order."""
    return list(dict.fromkeys(send.edge.source for send in _sends(trace, node)))


def contributions(trace: Trace, node: str, values=None, upstream=None) -> dict[str, np.ndarray]:
    """Per input, what `node`'s backward sends it (summed when it is an input twice), from the
    trace's values and the node's complete gradient, or from the `values` and `upstream` given."""
    if values is None:
        values = trace.values
        upstream = trace.tape.array(node, "grad", trace.expected[node])
    out: dict[str, np.ndarray] = {}
    for send in _sends(trace, node):
        c = contribution(trace.graph, send, values, upstream)
        source = send.edge.source
        out[source] = c if source not in out else out[source] + c
    return out


def check(trace: Trace, spec: Spec) -> None:
    """InvalidRequestError (422, naming the field) when the question cannot be asked of this
    run; runs of one class share a graph and schedule, so one check holds for every student."""
    graph = trace.graph
    if spec.kind not in KINDS:
        raise InvalidRequestError(f"must be one of {', '.join(KINDS)}", "kind")
    if spec.node not in graph.nodes:
        raise InvalidRequestError(f"no node {spec.node!r}; nodes are {', '.join(graph.order)}",
                                  "node")
    try:
        trace.check_step(spec.step)
    except NotFoundError as error:
        raise InvalidRequestError(error.message, "step") from None
    shape = graph.nodes[spec.node].shape
    if spec.kind in ("gradient", "value", "sign"):
        if len(spec.element) != len(shape) or any(not 0 <= i < n for i, n in
                                                   zip(spec.element, shape, strict=False)):
            raise InvalidRequestError(
                f"{spec.node} has shape {shape_text(shape)}: give one index per axis, each "
                f"from 0 to its size − 1 ([] for a scalar)", "index")
        try:
            trace.tensor(spec.step, spec.node, "value" if spec.kind == "value" else "grad")
        except NotFoundError as error:
            raise InvalidRequestError(error.message, "step") from None
    elif spec.kind == "shape":
        if trace.expected.get(spec.node, 0) == 0:
            raise InvalidRequestError(f"the backward pass computes no ∂loss/∂{spec.node}", "node")
    else:
        found = receivers(trace, spec.node)
        if spec.kind == "larger" and len(found) < 2:
            raise InvalidRequestError(
                f"{spec.node}'s backward sends to {len(found)} input(s); `larger` needs an op "
                f"whose gradient goes to two or more different inputs", "node")
        if spec.kind == "backward":
            if "g" in graph.nodes:
                raise InvalidRequestError("the graph has a node named g, which a backward "
                                          "answer uses for the upstream gradient", "node")
            if spec.input is not None and spec.input not in found:
                raise InvalidRequestError(f"{spec.node}'s backward sends to "
                                          f"{', '.join(found) or 'nothing'}", "input")
        if spec.kind == "rule" and graph.nodes[spec.node].op in graph.custom:
            raise InvalidRequestError(f"{spec.node} is an op the source defines: its rule is "
                                      f"the source's, not one of the registry's", "node")


def backward_input(trace: Trace, spec: Spec) -> str:
    return spec.input if spec.input is not None else receivers(trace, spec.node)[0]


def choices(trace: Trace, spec: Spec) -> list[str] | None:
    """The choices of a multiple-choice question (the same list for the whole room)."""
    if spec.kind == "sign":
        return list(SIGNS)
    if spec.kind == "larger":
        return receivers(trace, spec.node) + [EQUAL]
    if spec.kind == "rule":
        right = trace.graph.op(spec.node).routes
        others = sorted({op.routes for op in REGISTRY.values()} - {right, ""},
                        key=lambda s: hashlib.sha256((spec.id + s).encode()).hexdigest())
        picked = [right, *others[:RULE_CHOICES - 1]]
        return sorted(picked, key=lambda s: hashlib.sha256((s + spec.id).encode()).hexdigest())
    return None


def expected(trace: Trace, spec: Spec):
    """The right answer in this trace's run, as JSON (a number, a choice, a shape list; for
    `backward`, the numpy statement of the contribution)."""
    if spec.kind in ("gradient", "value", "sign"):
        array = trace.tensor(spec.step, spec.node, "value" if spec.kind == "value" else "grad")
        x = float(array[spec.element])
        if spec.kind != "sign":
            return x
        return SIGNS[int(np.sign(x)) + 1] if np.isfinite(x) else "NaN"
    if spec.kind == "shape":
        return list(trace.graph.nodes[spec.node].shape)
    if spec.kind == "rule":
        return trace.graph.op(spec.node).routes
    if spec.kind == "larger":
        sizes = {name: float(np.linalg.norm(c)) for name, c in
                 contributions(trace, spec.node).items()}
        ranked = sorted(sizes.items(), key=lambda item: -item[1])
        if np.isclose(ranked[0][1], ranked[1][1], rtol=1e-9, atol=0.0):
            return EQUAL
        return ranked[0][0]
    step = trace.step_list[backward_step(trace, spec.node)]
    target = backward_input(trace, spec)
    return next(c.code for c in step.contributions if c.to == target)


def prompt(trace: Trace, spec: Spec, own_numbers: bool) -> str:
    """The question as a sentence; with `own_numbers`, followed by this run's numbers."""
    at = f"after step {spec.step} of iteration {spec.iteration}"
    loss = trace.graph.loss
    element = _element_text(spec)
    text = {
        "gradient": f"What is ∂{loss}/∂{element} {at}?",
        "value": f"What is the value of {element} {at}?",
        "sign": f"Is ∂{loss}/∂{element} {at} negative, zero or positive?",
        "shape": f"What is the shape of ∂{loss}/∂{spec.node}?",
        "larger": f"In the backward step through {spec.node} (iteration {spec.iteration}), "
                  f"which input receives the larger contribution (in absolute value, L2 norm "
                  f"for a tensor)?",
        "rule": f"How does {spec.node} = {trace.graph.nodes[spec.node].expr} route the "
                f"gradient back to its inputs?",
        "backward": f"Write the contribution that the backward step through {spec.node} = "
                    f"{trace.graph.nodes[spec.node].expr} sends to ∂{loss}/∂"
                    f"{backward_input(trace, spec)}, as an expression of the graph's names "
                    f"and g (= ∂{loss}/∂{spec.node}).",
    }[spec.kind]
    if not own_numbers:
        return text
    numbers = your_numbers(trace, spec)
    return text + (" Your numbers: " + "; ".join(numbers) + "." if numbers else "")


def _first(array: np.ndarray) -> str:
    array = np.asarray(array)
    if array.ndim == 0:
        return num_text(array)
    return f"{num_text(array.flat[0])} (its first element; shape {shape_text(array.shape)})"


def your_numbers(trace: Trace, spec: Spec) -> list[str]:
    """The numbers of this run a student needs to answer: the node's value, what flows into
    its gradient or out of its backward step."""
    graph = trace.graph
    node = spec.node
    if spec.kind in ("gradient", "value", "sign"):
        value = trace.tensor(spec.step, node, "value")
        out = [f"{_element_text(spec)} = {num_text(value[spec.element])}"]
        if spec.kind == "value":
            for i in dict.fromkeys(graph.nodes[node].inputs):
                out.append(f"{i} = {_first(trace.values[i])}")
            return out
        for edge in graph.edges_out[node]:
            consumer = edge.target
            if trace.grad_version(spec.step, consumer) >= trace.expected[consumer] > 0:
                grad = trace.tensor(spec.step, consumer, "grad")
                same = grad.shape == value.shape
                shown = num_text(grad[spec.element]) if same else _first(grad)
                where = _element_text(Spec(spec.id, 0, 0, consumer, "", spec.element)) \
                    if same else consumer
                out.append(f"∂{graph.loss}/∂{where} = {shown}")
        return list(dict.fromkeys(out))
    if spec.kind in ("larger", "backward"):
        out = [f"{i} = {_first(trace.values[i])}" for i in dict.fromkeys(graph.nodes[node].inputs)]
        grad = trace.tape.array(node, "grad", trace.expected[node])
        out.append(f"g = ∂{graph.loss}/∂{node} = {_first(grad)}")
        return out
    return []


def explanation_step(trace: Trace, spec: Spec) -> int:
    """The step that explains the answer: where the value was computed, where the gradient
    element last grew, or the node's backward step."""
    made = trace.tape.made_at
    if spec.kind == "value":
        version = trace.value_version(spec.step, spec.node)
        return made[(spec.node, "value", version)]
    if spec.kind in ("gradient", "sign", "shape"):
        received = trace.grad_version(spec.step, spec.node) or trace.expected[spec.node]
        return made[(spec.node, "grad", received)]
    return backward_step(trace, spec.node)


def explanation(trace: Trace, spec: Spec) -> dict:
    """The step that explains the answer, as the step list shows it, from this run."""
    k = explanation_step(trace, spec)
    step = trace.step_list[k]
    return {"iteration": spec.iteration, "step": k, "phase": step.phase, "node": step.node,
            "narration": step.narration, "latex": step.latex,
            "mathml": present.mathml(step.latex), "code": step.code, "rule": step.rule}
