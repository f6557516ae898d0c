"""Graphs the benches share, written in the expression language."""

from __future__ import annotations


def deep_mlp_source(layers: int = 48) -> str:
    """The 48-layer tanh MLP of the issue: x, then `layers` layers h_i = tanh(h_{i-1} @ w_i + b_i),
    then a mean squared error against y — 2 + 5 per layer + 3 nodes (245 for 48 layers),
    1 + 2 · (3 per layer + 3) + 1 + 2 per layer steps an iteration (392)."""
    lines = ["x = input(16, 8)", "y = input(16, 8)"]
    previous = "x"
    for i in range(1, layers + 1):
        lines += [f"w{i} = param(8, 8, scale=0.3)", f"b{i} = param(1, 8, scale=0.1)",
                  f"h{i} = tanh({previous} @ w{i} + b{i})"]
        previous = f"h{i}"
    lines.append(f"loss = mean(({previous} - y) ** 2)")
    return "\n".join(lines) + "\n"
