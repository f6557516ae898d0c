"""One iteration's schedule, as data: the events every part of Gradwalk reads.

A schedule is computed once from the graph: `load` (the leaves hold their values), one
`forward` event per op in topological order (compute its value), `seed` (∂loss/∂loss = 1), one
`backward` event per op that needs a gradient, in reverse order, carrying its sends — one per
input edge, `accumulate` when a contribution already arrived at that input (`+=`) — and one
`update` event per parameter. The tape executes it (tape.py), training runs it with the sends
pruned to what the parameters need (training.py), the exported script writes it out
(codegen.py), and the presenter narrates it (presenter/steps.py): this is the one backward order in the
repository. No numbers here: only which node, which edge, in which order.

Events are types (Load, Forward, Seed, Backward, Update), and each part that reads a schedule
is an `EventReader`: one method per kind of event, called by the event itself (`visit`), so
no reader dispatches on a name and a new kind of event is a new method every reader sees.

Forward mode (`Schedule.forward_mode`) is the other sweep: `load`, then one `forward` event per
op that computes its value and its tangent together — the derivative of every node along one
direction of one leaf.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from app.engine.core.graph import Edge, Graph

#: per mode, the quantities an iteration computes per node (its phases are its events')
QUANTITIES = {"reverse": ("value", "grad"), "forward": ("value", "tangent")}


@dataclass(frozen=True)
class Send:
    """One contribution along `edge`: from its target's gradient to its source's."""

    edge: Edge
    #: a contribution already arrived at edge.source: this one is added (`+=`)
    accumulate: bool


@dataclass(frozen=True)
class Event:
    node: str | None = None
    sends: tuple[Send, ...] = ()
    #: the kind's name in the documents and the viewer: the step's phase
    phase: ClassVar[str]

    def visit(self, reader: EventReader, k: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no reader method")


@dataclass(frozen=True)
class Load(Event):
    """The leaves hold their values."""

    phase: ClassVar[str] = "load"

    def visit(self, reader: EventReader, k: int) -> None:
        reader.on_load(self, k)


@dataclass(frozen=True)
class Forward(Event):
    """Op `node` computes its value (and in forward mode its tangent)."""

    phase: ClassVar[str] = "forward"

    def visit(self, reader: EventReader, k: int) -> None:
        reader.on_forward(self, k)


@dataclass(frozen=True)
class Seed(Event):
    """∂output/∂output = 1 at `node`."""

    phase: ClassVar[str] = "seed"

    def visit(self, reader: EventReader, k: int) -> None:
        reader.on_seed(self, k)


@dataclass(frozen=True)
class Backward(Event):
    """`node`'s gradient is complete: its VJP makes `sends`, one per input edge."""

    phase: ClassVar[str] = "backward"

    def visit(self, reader: EventReader, k: int) -> None:
        reader.on_backward(self, k)


@dataclass(frozen=True)
class Update(Event):
    """Parameter `node` takes its SGD step."""

    phase: ClassVar[str] = "update"

    def visit(self, reader: EventReader, k: int) -> None:
        reader.on_update(self, k)


class EventReader:
    """A part of Gradwalk that reads a schedule (the tape, training, the script, the budget,
    the memory ledger, the presenter): one method per kind of event, with the event's step k.
    A reader overrides the kinds it acts on; the others do nothing for it."""

    def read(self, events: Iterable[Event]) -> None:
        for k, event in enumerate(events):
            event.visit(self, k)

    def on_load(self, event: Load, k: int) -> None:
        pass

    def on_forward(self, event: Forward, k: int) -> None:
        pass

    def on_seed(self, event: Seed, k: int) -> None:
        pass

    def on_backward(self, event: Backward, k: int) -> None:
        pass

    def on_update(self, event: Update, k: int) -> None:
        pass


def gradient_leaves(graph: Graph, input_grads: bool) -> list[str]:
    """The leaves a run's backward pass differentiates: every parameter, and the data inputs
    too when `input_grads` (the seed script and D2L never compute ∂loss/∂x; colah and
    micrograd ask for ∂e/∂a)."""
    kinds = ("input", "param") if input_grads else ("param",)
    return [n.id for n in graph.nodes.values() if n.kind in kinds]


class Schedule:
    """The events of one reverse-mode iteration of `graph`: gradients of `output` (default
    the loss) towards the leaves `wrt` (default: every input and parameter, as the viewer
    shows them). Parameters are updated only when the output is the loss."""

    mode = "reverse"

    def __init__(self, graph: Graph, wrt: Iterable[str] | None = None,
                 output: str | None = None):
        self.graph = graph
        output = graph.loss if output is None else output
        self.output = output
        if wrt is None:
            wrt = gradient_leaves(graph, input_grads=True)
        #: nodes that get a gradient: the output's ancestors among the leaves `wrt` and every
        #: op computed from one
        self.grad_nodes = graph.depending_on(wrt) & graph.ancestors(output)
        events: list[Event] = [Load()]
        events += [Forward(n.id) for n in graph.ops]
        events.append(Seed(output))
        arrived: set[str] = set()
        for node in reversed(graph.ops):
            if node.id not in self.grad_nodes:
                continue
            sends = []
            for edge in graph.edges_in[node.id]:
                if edge.source in self.grad_nodes:
                    sends.append(Send(edge, edge.source in arrived))
                    arrived.add(edge.source)
            events.append(Backward(node.id, tuple(sends)))
        if output == graph.loss:
            events += [Update(p.id) for p in graph.parameters]
        self.events: list[Event] = events

    @classmethod
    def forward_mode(cls, graph: Graph, leaf: str) -> Schedule:
        """The forward-mode sweep along one element of `leaf`: values and tangents together."""
        schedule = cls.__new__(cls)
        schedule.mode = "forward"
        schedule.graph = graph
        schedule.output = graph.loss
        schedule.leaf = leaf
        #: nodes whose tangent can be non-zero: the leaf and every op computed from it
        schedule.grad_nodes = graph.depending_on([leaf])
        schedule.events = [Load()] + [Forward(n.id) for n in graph.ops]
        return schedule

    @property
    def quantities(self) -> tuple[str, ...]:
        return QUANTITIES[self.mode]

    def __len__(self) -> int:
        return len(self.events)

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def without_updates(self) -> None:
        """Only the gradients: a check, a timing or a sweep that must not move the parameters."""
        self.events = [e for e in self.events if not isinstance(e, Update)]

    @property
    def parameters(self) -> list[str]:
        """The parameters updated, in order."""
        return [e.node for e in self.of(Update)]

    def phases(self) -> dict[str, list[int]]:
        """Each phase present -> [first step, last step], in order."""
        spans: dict[str, list[int]] = {}
        for k, event in enumerate(self.events):
            spans.setdefault(event.phase, [k, k])[1] = k
        return spans

    def expected(self) -> dict[str, int]:
        """Per node, how many contributions make its gradient complete (the seed counts as
        the loss's one)."""
        counts = dict.fromkeys(self.graph.order, 0)
        for event in self.events:
            if isinstance(event, Seed):
                counts[event.node] += 1
            for send in event.sends:
                counts[send.edge.source] += 1
        return counts

    def arrivals(self) -> dict[str, list[tuple[int, Send]]]:
        """Per node, the (step, send) of every contribution it receives, in order."""
        out: dict[str, list[tuple[int, Send]]] = {n: [] for n in self.graph.order}
        for k, event in enumerate(self.events):
            for send in event.sends:
                out[send.edge.source].append((k, send))
        return out

    def pruned(self, wrt: Iterable[str]) -> list[Event]:
        """These events with only the backward work that reaches `wrt` (what training needs:
        no gradient that no parameter needs is computed)."""
        keep = self.graph.depending_on(wrt)
        out = []
        for event in self.events:
            if isinstance(event, Backward):
                if event.node not in keep:
                    continue
                event = Backward(event.node, tuple(s for s in event.sends if s.edge.source in keep))
            out.append(event)
        return out
