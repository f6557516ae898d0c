"""The notebook widget (`pip install gradwalk[notebook]`; `from gradwalk.notebook import
Walk`): an anywidget whose kernel side runs the engine (no server) and whose view is the
viewer's own modules (static/js/widget.js, bundled like the one-file page).

Owns the widget's traits (`step`, `iteration`: the view follows them and they follow the
view) and its answers to the view's requests for iteration documents (the API's documents,
made by the same functions). No math: `state()` reads the engine's arrays.
"""

from __future__ import annotations

import json
import re

import anywidget
import numpy as np
import traitlets

from app.api import present
from app.api.settings import Settings
from app.api.store import RunStore
from app.engine.core.errors import GradwalkError, NotFoundError
from app.engine.core.spec import RunSpec
from app.web import onefile

#: the engine of every widget in this kernel: runs and iterations cached, bounded (settings)
_STORE: RunStore | None = None
_ITERATION_PATH = re.compile(r"^/runs/(?P<run>[^/?]+)/iterations/(?P<t>\d{1,9})$")


def _store() -> RunStore:
    global _STORE
    if _STORE is None:
        _STORE = RunStore(Settings())
    return _STORE


def _esm() -> str:
    css = (onefile.STATIC / "css" / "app.css").read_text(encoding="utf-8")
    return (onefile.bundle("widget.js")
            + f"\nexport default __gw_widget_js.widget({json.dumps(css)});\n")


class Walk(anywidget.AnyWidget):
    """One run walked step by step in a notebook: `Walk(preset="pytorch-numpy-two-layer")`
    or `Walk(source="x = input(3)\\n…")`, with the API's run options (`params`, `seed`, `lr`,
    `iterations`, `mode`, `direction`, `input_grads`)."""

    _esm = _esm()
    #: the Run JSON of docs/json.md (graph with layout, steps per iteration, phases)
    _run = traitlets.Dict().tag(sync=True)
    #: the iteration shown (0 to iterations - 1)
    iteration = traitlets.Int(0).tag(sync=True)
    #: the step shown in that iteration (0 to steps per iteration - 1)
    step = traitlets.Int(0).tag(sync=True)

    def __init__(self, preset: str | None = None, source: str | None = None, **options):
        if (preset is None) == (source is None):
            raise ValueError("Walk: give exactly one of preset=… or source=…")
        allowed = {"params", "seed", "lr", "iterations", "mode", "direction", "input_grads"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise TypeError(f"Walk: unknown run option(s) {', '.join(unknown)}; "
                            f"the options are {', '.join(sorted(allowed))}")
        store = _store()
        entry = store.create(RunSpec(preset=preset, source=source, **options))
        self.run_id = entry.run_id
        super().__init__(_run=json.loads(entry.document.body))
        self.on_msg(self._answer)

    @traitlets.validate("iteration", "step")
    def _within_the_run(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        if name == "iteration":
            last, whose = self._run["iterations"] - 1, "this run's are"
        else:
            last, whose = self._run["steps_per_iteration"] - 1, "an iteration's steps are"
        if not 0 <= value <= last:
            raise traitlets.TraitError(f"{name} {value}: {whose} 0 to {last}")
        return value

    def _answer(self, _widget, content, _buffers) -> None:
        """The view asks for an iteration document: the kernel makes it, as the API would."""
        if not isinstance(content, dict) or content.get("type") != "request":
            return
        path = str(content.get("path", ""))
        found = _ITERATION_PATH.match(path)
        try:
            if not found or found["run"] != self.run_id:
                raise NotFoundError("document", path[:80], "a widget answers its run's iterations")
            document = _store().with_trace(self.run_id, int(found["t"]),
                                           present.iteration_document)
            status, body = 200, present.encode_json(document).decode("utf-8")
        except GradwalkError as error:
            status, body = 404, json.dumps({"error": {"message": error.message}})
        self.send({"type": "answer", "id": content.get("id"), "status": status, "body": body})

    def state(self) -> dict[str, dict[str, np.ndarray | None]]:
        """The state shown, as arrays: node id -> {"value": …, "grad": …} (None where the step
        has not computed it yet; "tangent" instead of "grad" in forward mode)."""
        quantities = self._run.get("quantities", ["value", "grad"])

        def read(trace):
            out = {}
            for node in trace.graph.order:
                out[node] = {}
                for which in quantities:
                    try:
                        out[node][which] = np.array(trace.tensor(self.step, node, which))
                    except NotFoundError:
                        out[node][which] = None
            return out

        return _store().with_trace(self.run_id, self.iteration, read)
