"""A PyTorch module as Gradwalk source: `to_source(module, example_inputs)`.

The module is exported with `torch.export` (non-strict) and decomposed to ATen's core op set,
except for the few composite ops Gradwalk writes as one readable line (`linear`,
`cross_entropy_loss`, `mse_loss`, `layer_norm`…). Each ATen op of the exported graph becomes one
assignment in Gradwalk's language, written with the registry's own spellings, so the run it
makes is the module's forward, op for op:

- leaves are named after the state dict (`fc1.weight` → `fc1_weight`) and the forward's
  arguments (`x`); their values are drawn by the run's seed with PyTorch's initialisation
  ranges (your architecture, Gradwalk's numbers — the source's first lines say so);
- a float input is `input(…)`, an integer one used as class labels is `labels(N, C)`, one used
  as an embedding's ids `labels(B, T, V)` (V: the table's rows);
- the module path of each op becomes a group (`with group("features.0"):`), nested as the
  modules are;
- the forward returns a scalar loss, or `loss="mse"` / `loss="cross_entropy"` adds one against
  a `target` argument.

An op Gradwalk has no rule for is never dropped: `UnsupportedModelError` lists every such op by
name, with where it occurs (module path and source line). torch is imported only here: the
server never needs it (`pip install gradwalk[torch]`).
"""

from __future__ import annotations

import math
import re
import warnings

import torch

from app.importers.aten import emit_node
from app.importers.conv_writers import RUNNING_STATS
from app.importers.errors import UnsupportedModelError
from app.importers.writer import SourceWriter, sizes, uniform

#: composite ops kept whole (one readable line each) instead of decomposed
KEPT_WHOLE = ("linear", "cross_entropy_loss", "mse_loss", "layer_norm", "dropout")
LOSSES = ("mse", "cross_entropy")
MAX_NODES = 2000


def to_source(module: torch.nn.Module, example_inputs, *, loss: str | None = None,
              target=None) -> str:
    """Gradwalk source for `module`'s forward on inputs shaped like `example_inputs` (a
    tensor or a tuple of tensors). `loss`: None (the forward returns a scalar loss), "mse" or
    "cross_entropy" against `target` (a tensor shaped like the labels)."""
    if loss is not None and loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)} or None, got {loss!r}")
    if (loss is None) != (target is None):
        raise ValueError("give `target` exactly when `loss` names a loss")
    inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    wrapped = _WithLoss(module, loss) if loss else module
    if loss:
        inputs = (*inputs, target)
    was_training = module.training
    module.train()  # batch statistics, as Gradwalk trains
    with warnings.catch_warnings():
        try:
            warnings.simplefilter("ignore", FutureWarning)  # torch.export's, not the user's
            program = torch.export.export(wrapped, inputs, strict=False)
            table = torch.export.default_decompositions()
            for name in KEPT_WHOLE:
                table.pop(getattr(torch.ops.aten, name).default, None)
            program = program.run_decompositions(table)
        finally:
            module.train(was_training)
    names = _argument_names(module, len(inputs) - (1 if loss else 0)) + (["target"] if loss else [])
    return _Translation(program, wrapped, type(module).__name__, loss, names).source()


def _argument_names(module, count: int) -> list[str]:
    """The forward's parameter names for its first `count` positional inputs."""
    import inspect
    try:
        params = [p.name for p in inspect.signature(module.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"input_{i}" for i in range(count)]


class _WithLoss(torch.nn.Module):
    """The module followed by a common loss, so the exported graph ends in a scalar."""

    def __init__(self, module: torch.nn.Module, loss: str):
        super().__init__()
        self.model = module
        self.loss = loss

    def forward(self, *args):
        *inputs, target = args
        out = self.model(*inputs)
        if self.loss == "mse":
            return torch.nn.functional.mse_loss(out, target)
        return torch.nn.functional.cross_entropy(out, target)


def leaf_name(qualified: str, prefix: str = "") -> str:
    """`fc1.weight` → `fc1_weight` (`prefix`, our loss wrapper's attribute, dropped)."""
    name = qualified.removeprefix(prefix)
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return name if name[:1].isalpha() else "p_" + name


class _Translation:
    def __init__(self, program, module, title: str, loss: str | None, inputs: list[str]):
        self.program = program
        self.module = module
        self.title = title
        self.loss = loss
        self.writer = SourceWriter()
        self.names: dict[str, str] = {}  # fx node name -> Gradwalk name
        self.problems: list[str] = []  # every op that cannot be written, with where
        self.prefix = "model." if loss else ""  # our loss wrapper's attribute
        self.input_names = inputs  # the forward's argument names, in order
        self.result = None  # the FX node of the loss: written as `loss`

    def source(self) -> str:
        graph = self.program.graph
        calls = [n for n in graph.nodes if n.op == "call_function"]
        if len(calls) > MAX_NODES:
            raise UnsupportedModelError([f"the exported graph has {len(calls)} ops; at most "
                                         f"{MAX_NODES}"])
        w = self.writer
        w.comment(f"{self.title}, exported with torch.export and mapped onto Gradwalk's ops.")
        w.comment("Your architecture; the weights are drawn by the run's seed (PyTorch's "
                  "initialisation ranges), not the module's own.")
        output = next(n for n in graph.nodes if n.op == "output")
        user_outputs = len(self.program.graph_signature.user_outputs)
        self.result = [o for o in output.args[0] if o is not None][-user_outputs]
        needed = _read_by(self.result)
        self._leaves(graph, calls, needed)
        for node in calls:
            if node in needed:  # not the buffers' updates (a batch norm's running statistics)
                emit_node(self, node)
        if self.problems:
            raise UnsupportedModelError(self.problems)
        result = self.result
        shape = tuple(result.meta["val"].shape)
        if shape not in ((), (1,)):
            raise UnsupportedModelError([f"the forward returns a tensor of shape {list(shape)}, "
                                         "not a scalar loss: pass loss='mse' or "
                                         "loss='cross_entropy' and a target"])
        w.close_groups()
        if self.ref(result) != "loss":  # the result is a leaf, an alias, or of shape (1,)
            w.line(f"loss = {self.ref(result)}" if shape == () else
                   f"loss = sum({self.ref(result)})")
        return w.text()

    # --- leaves -------------------------------------------------------------------------
    def _leaves(self, graph, calls, needed: set) -> None:
        sig = self.program.graph_signature
        params = dict(sig.inputs_to_parameters)
        buffers = dict(sig.inputs_to_buffers)
        used_as_labels = _label_uses(calls)
        user = iter(self.input_names)
        for node in graph.nodes:
            if node.op != "placeholder":
                continue
            val = node.meta.get("val")
            shape = list(val.shape) if val is not None else []
            if node.name in params:
                name = leaf_name(params[node.name], self.prefix)
                self._declare(node, name, self._param_init(params[node.name], shape))
            elif node.name in buffers:
                if node not in needed:
                    continue
                name = leaf_name(buffers[node.name], self.prefix)  # e.g. running stats: read, never trained
                self._declare(node, name, f"input({sizes(shape)})" if shape else
                              "input(value=0.0)")
            elif node.name not in sig.user_inputs:
                raise UnsupportedModelError([f"an input {node.name!r} that is neither a "
                                             "parameter, a buffer nor an argument"])
            elif val is not None and not val.is_floating_point():
                classes, ids = used_as_labels.get(node.name, (None, False))
                if classes is None or not (ids or len(shape) == 1) or not shape:
                    raise UnsupportedModelError([
                        f"input {node.name!r} holds whole numbers of shape {shape}: Gradwalk "
                        "reads whole-number inputs only as class labels (one per row) of "
                        "cross_entropy, or as the ids an embedding looks up"])
                self._declare(node, self._fresh(next(user)), f"labels({sizes([*shape, classes])})")
            else:
                init = f"input({sizes(shape)})" if shape else "input(value=1.0)"
                self._declare(node, self._fresh(next(user)), init)

    def _param_init(self, qualified: str, shape: list[int]) -> str:
        """PyTorch's default initialisation range for the parameter's module."""
        kind = qualified.rpartition(".")[2]
        owner = _submodule(self.module, qualified.rpartition(".")[0])
        if not shape:
            return "param(value=1.0)"
        dims = sizes(shape)
        norm = isinstance(owner, (torch.nn.LayerNorm, torch.nn.modules.batchnorm._BatchNorm))
        if norm:
            return f"ones({dims})" if kind == "weight" else f"zeros({dims})"
        if isinstance(owner, torch.nn.Embedding):
            return f"param({dims})"
        return uniform(shape, _fan_in(owner, shape))

    def _declare(self, node, name: str, init: str) -> None:
        self.names[node.name] = self.writer.take(name)
        self.writer.line(f"{name} = {init}")

    # --- names ----------------------------------------------------------------------------
    def _fresh(self, wanted: str) -> str:
        return self.writer.fresh(wanted)

    def ref(self, arg) -> str:
        """The Gradwalk text of an FX argument: a node's name or a literal."""
        if isinstance(arg, torch.fx.Node):
            return self.names[arg.name]
        if isinstance(arg, bool):
            return repr(arg)
        if isinstance(arg, (int, float)):
            return repr(arg) if math.isfinite(arg) else _nonfinite(arg)
        if isinstance(arg, (list, tuple)):
            return "(" + ", ".join(self.ref(a) for a in arg) + ("," if len(arg) == 1 else "") \
                + ")"
        raise UnsupportedModelError([f"an argument {arg!r} that Gradwalk cannot write"])

    def assign(self, node, expression: str) -> None:
        """`name = expression` inside the node's module groups."""
        path = _module_path(node, self.prefix)
        self.writer.enter(path)
        name = self.writer.take("loss") if node is self.result else \
            self._fresh(f"{path[-1]}_out" if path else node.name.replace("_with_indices", ""))
        self.names[node.name] = name
        self.writer.line(f"{name} = {expression}")


def _read_by(result) -> set:
    """The FX nodes the loss reads. A batch norm's running statistics are not among them
    (Gradwalk trains with the batch's own): only their updates read them, no part of the loss."""
    seen, todo = set(), [result]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        stats = getattr(node.target, "__name__", "").split(".")[0] in RUNNING_STATS
        torch.fx.node.map_arg(node.args[:3] if stats else (node.args, node.kwargs), todo.append)
    return seen


def _nonfinite(x: float) -> str:
    raise UnsupportedModelError([f"a constant {x} (Gradwalk's sources hold finite numbers)"])


def _submodule(module, path: str):
    try:
        return module.get_submodule(path) if path else module
    except AttributeError:
        return None


def _fan_in(owner, shape) -> int:
    weight = getattr(owner, "weight", None)
    ref = list(weight.shape) if isinstance(weight, torch.Tensor) else list(shape)
    if len(ref) < 2:
        return ref[0] if ref else 0
    return int(math.prod(ref[1:]))


def _module_path(node, prefix: str) -> list[str]:
    """The module paths enclosing an op, outermost first (`prefix` dropped)."""
    stack = node.meta.get("nn_module_stack") or {}
    paths = []
    for path, _kind in stack.values():
        path = "" if prefix and path == prefix[:-1] else path.removeprefix(prefix)
        if path and path not in paths:
            paths.append(path)
    return paths


def _label_uses(calls) -> dict[str, tuple[int, bool]]:
    """Placeholder name -> (number of classes, whether an embedding's ids) for integer inputs
    read as cross_entropy's labels or as the row numbers of an embedding (its table's rows)."""
    uses = {}
    for n in calls:
        if n.target is torch.ops.aten.cross_entropy_loss.default:
            logits, labels = n.args[0], n.args[1]
            if isinstance(labels, torch.fx.Node) and labels.op == "placeholder":
                uses[labels.name] = (int(logits.meta["val"].shape[1]), False)
        elif n.target is torch.ops.aten.embedding.default:
            table, ids = n.args[0], n.args[1]
            if isinstance(ids, torch.fx.Node) and ids.op == "placeholder":
                uses[ids.name] = (int(table.meta["val"].shape[0]), True)
    return uses
