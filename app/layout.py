"""Where every node and edge of a graph is drawn: python-igraph's Sugiyama layout, left to right.

Op nodes are layered by their longest path from the leaves; every leaf sits in the layer just
before its first consumer, and the loss is alone in the rightmost layer. igraph orders each
layer to reduce crossings and adds dummy vertices on edges that span several layers; those
become the bend points of the edge's polyline. The result depends only on the graph, so every
request of a run gets the same drawing. No math of the engine here, no HTTP.
"""

from __future__ import annotations

import igraph

#: pixels between layers (x) and between nodes of one layer (y), and around the drawing
LAYER_GAP = 160.0
NODE_GAP = 80.0
MARGIN = 60.0


def _is_leaf(node: dict) -> bool:
    """Leaves (inputs, parameters, constants) are every node that is not an op."""
    return node["kind"] != "op"


def layers_of(graph: dict) -> dict[str, int]:
    """Layer (column) index of every node id."""
    nodes = graph["nodes"]
    by_id = {node["id"]: node for node in nodes}
    consumers: dict[str, list[str]] = {node["id"]: [] for node in nodes}
    for node in nodes:
        for source in node["inputs"]:
            consumers[source].append(node["id"])

    layer: dict[str, int] = {}

    def op_layer(node_id: str) -> int:
        # Iterative longest path from the leaves: deep graphs must not hit the recursion limit.
        stack = [node_id]
        while stack:
            current = stack[-1]
            pending = [
                s
                for s in by_id[current]["inputs"]
                if s not in layer and not _is_leaf(by_id[s])
            ]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            inputs = [layer[s] for s in by_id[current]["inputs"] if s in layer]
            layer[current] = 1 + max(inputs, default=0)
        return layer[node_id]

    for node in nodes:
        if not _is_leaf(node):
            op_layer(node["id"])
    loss = graph.get("loss")
    if loss in layer:
        others = [value for key, value in layer.items() if key != loss]
        layer[loss] = max([layer[loss], *(value + 1 for value in others)])
    for node in nodes:
        if _is_leaf(node):
            firsts = [layer[c] for c in consumers[node["id"]] if c in layer]
            layer[node["id"]] = min(firsts) - 1 if firsts else 0
    return layer


def _apart(coords: list[list[float]]) -> list[list[float]]:
    """No two nodes of a layer closer than NODE_GAP: igraph's Sugiyama can place two nodes of
    one layer on the same spot; those below move down, in order."""
    by_column: dict[float, list[int]] = {}
    for i, (x, _) in enumerate(coords):
        by_column.setdefault(x, []).append(i)
    for members in by_column.values():
        members.sort(key=lambda i: (coords[i][1], i))
        for above, below in zip(members, members[1:], strict=False):
            if coords[below][1] < coords[above][1] + NODE_GAP:
                coords[below][1] = round(coords[above][1] + NODE_GAP, 2)
    return coords


def layout(graph: dict) -> dict:
    """The graph dict with `x`, `y` on each node, `points` on each edge, `width`, `height`."""
    nodes = graph["nodes"]
    edges = graph["edges"]
    index = {node["id"]: i for i, node in enumerate(nodes)}
    layer = layers_of(graph)
    g = igraph.Graph(
        n=len(nodes),
        edges=[(index[edge["source"]], index[edge["target"]]) for edge in edges],
        directed=True,
    )
    drawing = g.layout_sugiyama(layers=[layer[node["id"]] for node in nodes])

    def place(row: float, column: float) -> list[float]:
        # igraph puts layers on y; Gradwalk reads left to right, so layers become x.
        return [round(MARGIN + column * LAYER_GAP, 2), round(MARGIN + row * NODE_GAP, 2)]

    coords = _apart([place(row, column) for row, column in drawing.coords[: len(nodes)]])
    placed_nodes = [
        {**node, "x": coords[i][0], "y": coords[i][1]} for i, node in enumerate(nodes)
    ]
    placed_edges = []
    for edge, bends in zip(edges, drawing.edge_routing, strict=True):
        points = [coords[index[edge["source"]]]]
        points += [place(row, column) for row, column in bends]
        points.append(coords[index[edge["target"]]])
        placed_edges.append({**edge, "points": points})
    width = max((x for x, _ in coords), default=0.0) + MARGIN
    height = max((y for _, y in coords), default=0.0) + MARGIN
    return {
        **graph,
        "width": round(width, 2),
        "height": round(height, 2),
        "nodes": placed_nodes,
        "edges": placed_edges,
    }
