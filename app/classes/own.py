"""A student's own run, computed only as far as a question needs.

Every student of a class has the class's graph with a seed of their own (service.student_seed),
so the graph is parsed, scheduled and costed once per worker (`Template`: the engine's Run of
the class's spec) and a student's run is only their leaves (`init_leaves` with their seed), the
training to the question's iteration, and the trace of that iteration: the engine's Trace,
whose tape (every value and gradient) is made at once and whose steps' narration, formulas
and code lines (`step_list`, the presenter's) are made the first time they are read, which
only a `backward` question's answer and a result need. A question's prompt and its grading read the
tape, so answering a question costs a forward and backward pass of the student's graph, not
the parse and presentation of a whole run.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from app.engine.core.errors import InvalidRequestError, NotFoundError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.core.trace import Trace
from app.engine.core.training import Training, init_leaves
from app.engine.presenter import codegen


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

    def numbers(self, t: int) -> Trace:
        """Iteration t traced: the tape now (its partial sums summarised only if read), its
        steps presented only if read."""
        run = self.template.run
        return Trace(run.sweep, self.leaves_at(t), run.lr, t, self.seed, self.script,
                     summaries=False)

    @property
    def nbytes(self) -> int:
        leaves = sum(v.nbytes for v in self.leaves.values())
        return leaves + (self._training.nbytes if self._training is not None else 0)
