"""Graphs the benches share, written in the expression language."""

from __future__ import annotations


def deep_mlp_source(layers: int = 48, grouped: bool = True) -> str:
    """The 48-layer tanh MLP of the issue: x, then `layers` layers h_i = tanh(h_{i-1} @ w_i + b_i),
    each layer in its own `with group("layer i"):` block (unless `grouped` is false: the same
    graph typed without groups), then a mean squared error against y — 2 + 5 per layer + 3
    nodes (245 for 48 layers), 1 + 2 · (3 per layer + 3) + 1 + 2 per layer steps an iteration
    (392)."""
    lines = ["x = input(16, 8)", "y = input(16, 8)"]
    previous = "x"
    indent = "    " if grouped else ""
    for i in range(1, layers + 1):
        if grouped:
            lines.append(f'with group("layer {i}"):')
        lines += [f"{indent}w{i} = param(8, 8, scale=0.3)", f"{indent}b{i} = param(1, 8, scale=0.1)",
                  f"{indent}h{i} = tanh({previous} @ w{i} + b{i})"]
        previous = f"h{i}"
    lines.append(f"loss = mean(({previous} - y) ** 2)")
    return "\n".join(lines) + "\n"


def l2_mlp_source(layers: int = 6) -> str:
    """A hand-typed `layers`-layer ReLU MLP with biases, a squared error and an L2 penalty on
    every weight, the layers in `with group(...)` blocks (56 nodes at 6 layers): the graph of
    issue 11, where every weight used to sit in the first column."""
    lines = ["x = input(8, 16)", "y = input(8, 4)"]
    previous, fan_in = "x", 16
    for k in range(1, layers + 1):
        width = 4 if k == layers else 32
        lines += [f'with group("layer {k}"):',
                  f"    W{k} = param({fan_in}, {width}, scale=0.2)",
                  f"    b{k} = param(1, {width}, scale=0.1)",
                  f"    h{k} = {'relu(' if k < layers else '('}{previous} @ W{k} + b{k})"]
        previous, fan_in = f"h{k}", width
    penalty = " + ".join(f"sum(W{k} ** 2)" for k in range(1, layers + 1))
    lines += ['with group("loss"):',
              f"    L = mean(({previous} - y) ** 2)",
              f"    s = 0.01 / 2 * ({penalty})",
              "    J = L + s"]
    return "\n".join(lines) + "\n"


def random_graph(nodes: int, rng) -> dict:
    """A random graph dict of about `nodes` nodes, shaped like a run document's `graph`
    (no shapes): leaves, ops of one to three inputs reading mostly recent nodes, every
    node used, a sum chain into the loss. `rng` is a random.Random."""
    spec: list[tuple[str, str, list[str]]] = []
    unused: set[str] = set()
    while len(spec) + max(0, len(unused) - 2) < nodes - 1:
        i = len(spec)
        made = [nid for nid, _, _ in spec]
        if i < 3 or rng.random() < 0.25:
            spec.append((f"p{i}", "param", []))
        else:
            inputs = sorted({made[max(0, i - 1 - int(rng.expovariate(0.25)))]
                             for _ in range(rng.choice((1, 2, 2, 3)))})
            spec.append((f"n{i}", "op", inputs))
            unused.difference_update(inputs)
        unused.add(spec[-1][0])
    rest = sorted(unused, key=lambda nid: int(nid[1:]))
    while len(rest) > 2:  # fold the unused into a chain, two at a time
        spec.append((f"n{len(spec)}", "op", rest[:2]))
        rest = [spec[-1][0], *rest[2:]]
    spec.append(("loss", "op", rest))
    graph_nodes = [{"id": nid, "label": nid, "kind": kind, "op": "add" if inputs else None,
                    "inputs": inputs, "shape": [], "line": None, "attrs": {}}
                   for nid, kind, inputs in spec]
    edges = [{"id": f"e{k}", "source": s, "target": t, "index": j}
             for k, (s, t, j) in enumerate((s, nid, j) for nid, _, ins in spec
                                           for j, s in enumerate(ins))]
    return {"loss": "loss", "nodes": graph_nodes, "edges": edges}


def rnn_source(steps: int) -> str:
    """An unrolled RNN (backprop through time): W and U are read at every step, so their
    edges span the whole drawing (5 nodes a step, 999 nodes at 199 steps)."""
    lines = ["W = param(4, 4)", "U = param(3, 4)", "h0 = input(1, 4)"]
    for t in range(1, steps + 1):
        lines += [f"x{t} = input(1, 3)", f"h{t} = tanh(h{t - 1} @ W + x{t} @ U)"]
    lines.append(f"loss = sum(h{steps})")
    return "\n".join(lines)
