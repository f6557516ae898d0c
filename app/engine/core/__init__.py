"""The core: a graph, its schedule of events, the numeric tape that runs it, training, and the run
that holds them; shapes, limits and errors."""
