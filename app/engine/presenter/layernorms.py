"""Per layer, how large the loss's gradient is with respect to its parameters: ‖∂loss/∂W‖.

What the viewer's layer strip draws as the backward pass runs, so a deep sigmoid net's
vanishing gradient (each layer's norm a fraction of the one above it) is seen at a glance. A
layer is the innermost group holding a parameter (a `with group("layer 3"):` block, or a group
found by app.engine.language.repeats); a parameter outside every group is a layer of its own. A layer's
norm is the L2 norm of all its parameters' gradients together, √(Σ ‖∂loss/∂p‖²), read from the
summaries the tape already made; it is known from the step that completes the last of them.
Reverse mode only (forward mode computes no gradient of the loss). No HTTP, no JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LayerNorm:
    #: the group's name, or the parameter's id when it is in no group
    name: str
    #: its parameters, in declaration order
    params: tuple[str, ...]
    #: √(Σ ‖∂loss/∂p‖²) over its parameters, once every one of their gradients is complete
    norm: float
    #: the first step after which that norm is known (the last of their gradients completed)
    step: int


def layer_of(node) -> str:
    """The layer a parameter belongs to: its innermost group, else itself."""
    return node.groups[-1] if node.groups else node.id


def layer_norms(trace) -> list[LayerNorm]:
    """Every layer with a trained parameter, in declaration order (input side first)."""
    if trace.mode != "reverse":
        return []
    layers: dict[str, list[str]] = {}
    for node in trace.graph.parameters:
        if trace.expected[node.id]:  # a parameter the loss does not depend on gets none
            layers.setdefault(layer_of(node), []).append(node.id)
    made = trace.tape.made_at
    out = []
    for name, params in layers.items():
        norms = [_norm(trace.tape.summary(p, "grad", trace.expected[p])) for p in params]
        out.append(LayerNorm(name, tuple(params), math.hypot(*norms),
                             max(made[(p, "grad", trace.expected[p])] for p in params)))
    return out


def _norm(summary) -> float:
    """A gradient's L2 norm; NaN or Inf when one of its elements is (the summary's own norm
    covers the finite elements only)."""
    if summary.nan:
        return math.nan
    if summary.inf or summary.norm is None:
        return math.inf
    return summary.norm
