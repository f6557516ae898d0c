"""The memory ledger of D2L 4.7: the intermediates held for the backward pass, step by step.

It follows from the schedule and the shapes alone, no numerics: a forward step that needs a
gradient holds what its op's VJP reads (the registry's `saves`: its output and/or inputs that
are op nodes — leaves are held anyway), and the node's backward step lets them go. So the peak
comes at the end of the forward pass and grows with the batch (every activation's rows) and the
depth (every layer's activations).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from app.engine.core.schedule import Backward, EventReader, Forward, Schedule

#: bytes per element (float64)
ITEMSIZE = 8


@dataclass
class Held:
    """One intermediate: its bytes, held from step `first` until step `released` (the step
    that lets it go; None if none does)."""

    node: str
    bytes: int
    first: int
    released: int | None


@dataclass
class Ledger:
    #: after each step: bytes held and which nodes (in graph order)
    bytes_after: list[int]
    held_after: list[list[str]]
    peak_bytes: int
    #: the first step at which the peak is reached
    peak_step: int
    nodes: list[Held]


def saved(schedule: Schedule, nid: str) -> list[str]:
    """The op nodes whose values the VJPs of `nid` that run read (one entry per read): a VJP
    runs for each input that gets a gradient (the registry's `reads`: what each one reads)."""
    graph = schedule.graph
    if schedule.mode == "forward" or nid not in schedule.grad_nodes:
        return []  # forward mode keeps nothing for a backward pass: there is none
    node = graph.nodes[nid]
    op = graph.op(nid)
    needing = [j for j, source in enumerate(node.inputs) if source in schedule.grad_nodes]
    if op.reads is None:
        wanted = set(op.saves) if needing else set()
    else:
        wanted = {ref for j in needing for ref in op.reads[j]}
    refs = [nid if ref == "out" else node.inputs[int(ref)] for ref in op.saves if ref in wanted]
    return [r for r in refs if graph.nodes[r].kind == "op"]


class _Holding(EventReader):
    """Per op node, how many VJPs still to run read its value; when it was first and last held."""

    def __init__(self, schedule: Schedule):
        self.schedule = schedule
        self.count: dict[str, int] = {}
        self.first: dict[str, int] = {}
        self.released: dict[str, int] = {}

    def on_forward(self, event: Forward, k: int) -> None:
        for h in saved(self.schedule, event.node):
            self.count[h] = self.count.get(h, 0) + 1
            self.first.setdefault(h, k)

    def on_backward(self, event: Backward, k: int) -> None:
        for h in saved(self.schedule, event.node):
            self.count[h] -= 1
            if self.count[h] == 0:
                self.released[h] = k


def ledger(schedule: Schedule) -> Ledger:
    graph = schedule.graph
    holding = _Holding(schedule)
    count, first, released = holding.count, holding.first, holding.released
    bytes_after, held_after = [], []
    for k, event in enumerate(schedule.events):
        event.visit(holding, k)
        held = [n for n in graph.order if count.get(n)]
        held_after.append(held)
        bytes_after.append(sum(prod(graph.nodes[n].shape) * ITEMSIZE for n in held))
    peak = max(bytes_after, default=0)
    nodes = [Held(n, prod(graph.nodes[n].shape) * ITEMSIZE, first[n], released.get(n))
             for n in graph.order if n in first]
    return Ledger(bytes_after, held_after, peak, bytes_after.index(peak) if bytes_after else 0,
                  nodes)
