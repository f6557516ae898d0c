"""A student's own run, computed only as far as a question needs.

Every student of a class has the class's graph with a seed of their own (service.student_seed),
so the graph is parsed, scheduled and costed once per worker (`Template`: the engine's Run of
the class's spec) and a student's run is only their leaves (`init_leaves` with their seed), the
training to the question's iteration, and the tape of that iteration. `Numbers` is the
engine's Trace of that iteration without its presentation: the tape (every value and
gradient, the same arrays a Trace holds) and the Trace's readers (`tensor`, `grad_version`, …);
the narration, formulas and code lines of its steps (`step_list`) are made the first time they
are read — by the same methods of the engine's Trace, on the same tape — which only a
`backward` question's answer and a result need. A question's prompt and its grading read the
tape, so answering a question costs a forward and backward pass of the student's graph, not
the parse and presentation of a whole run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from app.engine import codegen, memory
from app.engine.errors import InvalidRequestError, NotFoundError
from app.engine.limits import Limits
from app.engine.notation import Notation
from app.engine.run import Run, RunSpec
from app.engine.schedule import QUANTITIES, Schedule
from app.engine.stepper import Trace
from app.engine.tape import Tape
from app.engine.training import Training, init_leaves


class Numbers(Trace):
    """One iteration of a run, traced: the tape now, the steps' presentation when read."""

    def __init__(self, schedule: Schedule, leaves: dict[str, np.ndarray], lr: float,
                 iteration: int, seed: int, script: Callable[[], codegen.Script]):
        # Trace.__init__ without its last part (the loop that presents every step)
        self.schedule = schedule
        self.mode = schedule.mode
        self.quantities = QUANTITIES[self.mode]
        self.direction = None
        self.graph = schedule.graph
        self.iteration = iteration
        self.lr = lr
        self.tape = Tape(schedule, leaves, lr, None)
        self.expected = self.tape.expected
        self._seed_number = seed
        self._script_of = script
        self._steps: list | None = None

    def check_step(self, k: int) -> None:
        """Trace.check_step, counting the steps without presenting them (one per event)."""
        steps = len(self.schedule.events)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < steps:
            raise NotFoundError("step", k, f"steps are 0 to {steps - 1}")

    @property
    def step_list(self):
        """The steps as the engine's Trace presents them, made on first reading (never by
        two threads at once: the compute pool runs one computation per run at a time)."""
        if self._steps is None:
            self._steps = []  # Trace._add appends each step to it
            self.tex = Notation(self.graph)
            self.script = self._script_of()
            self.ledger = memory.ledger(self.schedule)
            self._arrived = dict.fromkeys(self.graph.order, 0)
            try:
                for event in self.schedule.events:
                    getattr(self, "_" + event.phase)(event)
            except BaseException:
                self._steps = None
                raise
        return self._steps


class Template:
    """The class's run, parsed once: what every student's run shares (graph, schedule,
    cost, checked custom backwards)."""

    def __init__(self, spec: RunSpec, limits: Limits):
        self.run = Run(dataclasses.replace(spec, seed=0), limits)
        if self.run.mode != "reverse":
            raise InvalidRequestError("a class asks about gradients: make the run in reverse "
                                      "mode (the default)", "run_id")
        self.run.check_backwards()

    def student(self, seed: int) -> StudentRun:
        return StudentRun(self, seed)


class StudentRun:
    """A student's run: the template's graph with the student's seed (what `Run` with that
    seed computes: the same leaves, training and tapes), trained lazily to the iteration
    asked."""

    def __init__(self, template: Template, seed: int):
        run = template.run
        self.template = template
        self.seed = seed
        self.leaves = init_leaves(run.graph, seed)
        self._training: Training | None = None
        self._script: codegen.Script | None = None

    def leaves_at(self, t: int) -> dict[str, np.ndarray]:
        run = self.template.run
        if not 0 <= t < run.iterations:
            raise NotFoundError("iteration", t, f"iterations are 0 to {run.iterations - 1}")
        if t == 0:
            return self.leaves
        if self._training is None:
            self._training = Training(run.schedule, self.leaves, run.lr, run.iterations,
                                      run.limits)
        return self._training.leaves_at(t)

    def script(self) -> codegen.Script:
        if self._script is None:
            run = self.template.run
            self._script = codegen.script(run.schedule, self.seed, run.lr, run.iterations,
                                          run.title)
        return self._script

    def numbers(self, t: int) -> Numbers:
        run = self.template.run
        return Numbers(run.sweep, self.leaves_at(t), run.lr, t, self.seed, self.script)

    @property
    def nbytes(self) -> int:
        leaves = sum(v.nbytes for v in self.leaves.values())
        return leaves + (self._training.nbytes if self._training is not None else 0)
