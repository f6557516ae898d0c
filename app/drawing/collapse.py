"""A run's graph with some of its groups folded, each into one node: what the layout endpoint
draws (`GET /runs/{run_id}/layout?collapsed=…`).

The graph is the run document's `graph` before layout (app.engine.core.graph.Graph.to_dict); every
node lists its `groups`, outermost first. Folding a group replaces its members by one node of
`"kind": "group"` whose id is the group's name; a folded group inside another folded group
disappears into the outer one. An edge between two nodes of one folded group disappears; an
edge crossing a folded group's boundary stays, with its own id, now ending at the group: the
viewer pulses it when a step uses it. A group's members are consecutive in declaration order
(a block of statements), so folding keeps the graph acyclic and in topological order.

Stacked, MIN_STACK or more folded groups in a row that are copies of one another (node by node
the same kind, op, attributes and shape, wired alike: a 100-layer MLP's layers) fold further
into one box, "layer 1 … layer 100 × 100", whose `stack` lists them.
No math, no HTTP, no coordinates (app.drawing.layout adds those).
"""

from __future__ import annotations

from app.engine.core.errors import NotFoundError


def group_names(graph: dict) -> list[str]:
    """Every group of the graph, in the order of their first node."""
    return list(dict.fromkeys(g for node in graph["nodes"] for g in node.get("groups", [])))


#: this many identical folded groups in a row or more draw as one box when stacked
MIN_STACK = 3


def collapse(graph: dict, names: list[str] | tuple[str, ...], stacked: bool = False) -> dict:
    """The graph with the groups `names` folded (`stacked`: identical ones in a row as one box).
    NotFoundError names an unknown group."""
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
    if stacked:
        nodes = _stack(nodes, {node["id"]: node for node in graph["nodes"]}, into)
    edges = [{**edge, "source": into[edge["source"]], "target": into[edge["target"]]}
             for edge in graph["edges"] if into[edge["source"]] != into[edge["target"]]]
    return {**graph, "loss": into[graph["loss"]], "nodes": nodes, "edges": edges,
            "collapsed": sorted(boxes)}


def _stack(nodes: list[dict], by_id: dict[str, dict], into: dict[str, str]) -> list[dict]:
    """`nodes` (folded) with each run of MIN_STACK or more identical folded groups, one after
    another and each fed by the one before, as one box; `into` is updated to match."""
    out: list[dict] = []
    #: a stacked group's name -> its stack's id
    stacked_as: dict[str, str] = {}
    i = 0
    while i < len(nodes):
        j = i + 1
        if nodes[i]["kind"] == "group":
            shape = _copy_shape(nodes[i], by_id)
            while (j < len(nodes) and nodes[j]["kind"] == "group"
                   and nodes[j]["groups"] == nodes[i]["groups"]
                   and nodes[j - 1]["id"] in nodes[j]["inputs"]
                   and _copy_shape(nodes[j], by_id) == shape):
                j += 1
        if j - i < MIN_STACK:
            out.extend(nodes[i:j])
            i = j
            continue
        run = nodes[i:j]
        names = [box["id"] for box in run]
        box = {**run[0], "id": f"{names[0]} … {names[-1]}",
               "label": f"{_span(names[0], names[-1])} × {len(run)}",
               "members": [m for b in run for m in b["members"]], "stack": names,
               "inputs": [s for b in run for s in b["inputs"] if s not in names]}
        box["inputs"] = list(dict.fromkeys(box["inputs"]))
        for member in box["members"]:
            into[member] = box["id"]
        stacked_as.update(dict.fromkeys(names, box["id"]))
        out.append(box)
        i = j
    for node in out:  # a node fed by a stacked group is fed by its stack
        node["inputs"] = list(dict.fromkeys(stacked_as.get(s, s) for s in node["inputs"]))
    return out


def _span(first: str, last: str) -> str:
    """`layer 1–100` for layer 1 … layer 100; else `first … last`."""
    a, b = first.rstrip("0123456789"), last.rstrip("0123456789")
    if a == b and a != first and b != last:
        return f"{first}–{last[len(b):]}"
    return f"{first} … {last}"


def _copy_shape(box: dict, by_id: dict[str, dict]) -> tuple:
    """What makes two folded groups copies: per member its kind, op, attributes and shape,
    and where each input comes from (a member's place, or outside: -1)."""
    place = {m: i for i, m in enumerate(box["members"])}
    return tuple((n["kind"], n["op"], repr(sorted(n["attrs"].items())), tuple(n["shape"]),
                  tuple(place.get(s, -1) for s in n["inputs"]))
                 for n in (by_id[m] for m in box["members"]))


def parse_collapsed(text: str | None) -> tuple[str, ...]:
    """`layer 1,layer 2` -> the names, each once, sorted (so equal sets share a cache entry);
    empty items are ignored."""
    if not text:
        return ()
    return tuple(sorted({name for name in text.split(",") if name}))
