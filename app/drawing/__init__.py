"""Drawing a graph: where nodes and edges go (layout) and groups folded (collapse)."""
