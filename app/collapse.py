"""A run's graph with some of its groups folded, each into one node: what the layout endpoint
draws (`GET /runs/{run_id}/layout?collapsed=…`).

The graph is the run document's `graph` before layout (app.engine.graph.Graph.to_dict); every
node lists its `groups`, outermost first. Folding a group replaces its members by one node of
`"kind": "group"` whose id is the group's name; a folded group inside another folded group
disappears into the outer one. An edge between two nodes of one folded group disappears; an
edge crossing a folded group's boundary stays, with its own id, now ending at the group: the
viewer pulses it when a step uses it. A group's members are consecutive in declaration order
(a block of statements), so folding keeps the graph acyclic and in topological order.
No math, no HTTP, no coordinates (app.layout adds those).
"""

from __future__ import annotations

from app.engine.errors import NotFoundError


def group_names(graph: dict) -> list[str]:
    """Every group of the graph, in the order of their first node."""
    return list(dict.fromkeys(g for node in graph["nodes"] for g in node.get("groups", [])))


def collapse(graph: dict, names: list[str] | tuple[str, ...]) -> dict:
    """The graph with the groups `names` folded. NotFoundError names an unknown group."""
    known = group_names(graph)
    for name in names:
        if name not in known:
            available = f"groups are {', '.join(map(repr, known))}" if known else \
                "this graph has no groups (the source has no `with group(...)` blocks)"
            raise NotFoundError("group", name, available)
    folded = set(names)

    def outermost(node: dict) -> str | None:
        return next((g for g in node.get("groups", []) if g in folded), None)

    into = {node["id"]: outermost(node) or node["id"] for node in graph["nodes"]}
    nodes: list[dict] = []
    boxes: dict[str, dict] = {}
    for node in graph["nodes"]:
        group = outermost(node)
        if group is None:
            nodes.append({**node, "inputs": [into[i] for i in node["inputs"]]})
            continue
        box = boxes.get(group)
        if box is None:
            outer = node["groups"][: node["groups"].index(group)]
            box = boxes[group] = {
                "id": group, "label": group, "kind": "group", "op": None, "inputs": [],
                "shape": [], "line": node.get("line"), "attrs": {}, "groups": list(outer),
                "members": [],
            }
            nodes.append(box)
        box["members"].append(node["id"])
        for source in node["inputs"]:
            if into[source] != group and into[source] not in box["inputs"]:
                box["inputs"].append(into[source])
    edges = [{**edge, "source": into[edge["source"]], "target": into[edge["target"]]}
             for edge in graph["edges"] if into[edge["source"]] != into[edge["target"]]]
    return {**graph, "loss": into[graph["loss"]], "nodes": nodes, "edges": edges,
            "collapsed": sorted(boxes)}


def parse_collapsed(text: str | None) -> tuple[str, ...]:
    """`layer 1,layer 2` -> the names, each once, sorted (so equal sets share a cache entry);
    empty items are ignored."""
    if not text:
        return ()
    return tuple(sorted({name for name in text.split(",") if name}))
