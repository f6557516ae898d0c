"""An ONNX model file as Gradwalk source, read as data: `to_source(data, loss=…, batch=…)`.

The file is parsed as a protobuf message (never pickle, never code); only the graph's structure
and the initialisers' shapes are read — no weight, no external data file. Each ONNX node becomes
one assignment written with the registry's ops; initialisers of more than one number are the
parameters (named after them, `fc1.weight` → `fc1_weight`, their values drawn by the run's seed
with PyTorch's initialisation ranges); whole-number initialisers and constants (a Reshape's
shape, axes) and single numbers are read as constants. An older exporter's layer norm (nine
elementary nodes, onnx_patterns.py) is read back as one `layer_norm`. The node names PyTorch's exporter writes
(`/features/features.0/Gemm`) give the groups. Every node Gradwalk cannot write is listed, with
its name, in one `UnsupportedModelError`: never a partial graph.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from app.importers.errors import Alias, NotWritable, UnsupportedModelError
from app.importers.onnx_ops import WRITERS, fused_layer_norm
from app.importers.onnx_patterns import layer_norms
from app.importers.writer import SourceWriter, sizes, uniform

MAX_BYTES = 8 * 2**20
MAX_NODES = 2000
MAX_CONSTANT = 64  # elements of a constant read from the file
MAX_BATCH = 1024
LOSSES = ("mse", "cross_entropy")
_NORMS = ("LayerNormalization", "BatchNormalization")


def to_source(data: bytes, *, loss: str | None = None, batch: int = 8) -> str:
    """Gradwalk source for the ONNX model in `data`. `loss`: None (the model's output is a
    scalar loss), "mse" or "cross_entropy" (against a target leaf). `batch` replaces a symbolic
    first dimension (`batch_size`)."""
    if len(data) > MAX_BYTES:
        raise UnsupportedModelError([f"the file is {len(data):,} bytes; at most {MAX_BYTES:,}"])
    if loss is not None and loss not in LOSSES:
        raise UnsupportedModelError([f"loss must be one of {', '.join(LOSSES)}, got {loss!r}"])
    if not 1 <= batch <= MAX_BATCH:
        raise UnsupportedModelError([f"batch must be from 1 to {MAX_BATCH}, got {batch}"])
    try:
        model = onnx.load_from_string(data)
    except Exception as error:  # a protobuf DecodeError, or not ONNX at all
        raise UnsupportedModelError([f"not an ONNX model file ({type(error).__name__})"]) \
            from None
    if not model.graph.node or not model.graph.output:
        raise UnsupportedModelError(["not an ONNX model file (no graph of nodes with an "
                                     "output)"])
    try:
        onnx.checker.check_model(model)
    except Exception as error:  # onnx.checker.ValidationError, or worse on garbage
        raise UnsupportedModelError([f"not a valid ONNX model: {str(error)[:300]}"]) from None
    if len(model.graph.node) > MAX_NODES:
        raise UnsupportedModelError([f"the graph has {len(model.graph.node)} nodes; at most "
                                     f"{MAX_NODES}"])
    if any(f.name for f in model.graph.node for f in f.attribute if f.type == f.GRAPH) or \
            any(n.op_type in ("If", "Loop", "Scan") for n in model.graph.node):
        raise UnsupportedModelError(["control flow (If, Loop, Scan): Gradwalk graphs are "
                                     "straight-line"])
    _fix_batch(model.graph, batch)
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as error:
        raise UnsupportedModelError([f"the model's shapes cannot be inferred: {error}"]) \
            from None
    return _Translation(model.graph, loss).source()


def _fix_batch(graph, batch: int) -> None:
    for value in graph.input:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param or not dim.HasField("dim_value"):
                dim.Clear()
                dim.dim_value = batch


def _dims(value) -> list[int] | None:
    t = value.type.tensor_type
    if not t.HasField("shape") or any(not d.HasField("dim_value") for d in t.shape.dim):
        return None
    return [d.dim_value for d in t.shape.dim]


def _path(node_name: str) -> list[str]:
    """`/features/features.0/Gemm` → ["features", "features.0"]."""
    parts = [p for p in node_name.split("/") if p]
    return parts[:-1]


class _Translation:
    def __init__(self, graph, loss: str | None):
        self.graph = graph
        self.loss = loss
        self.writer = SourceWriter()
        self.names: dict[str, str] = {}  # ONNX value name -> Gradwalk name (or a literal)
        self.constants: dict[str, object] = {}  # ONNX value name -> numpy array read
        self.shapes: dict[str, list[int]] = {}
        self.problems: list[str] = []
        self.consumed = {name for n in graph.node for name in n.input} | \
            {o.name for o in graph.output}
        for value in (*graph.input, *graph.value_info, *graph.output):
            dims = _dims(value)
            if dims is not None:
                self.shapes[value.name] = dims
        for init in graph.initializer:
            self.shapes[init.name] = list(init.dims)
        self.initialised = {i.name: list(i.dims) for i in graph.initializer}
        self.fused = layer_norms(graph, self.shapes)  # an older exporter's nine-node chain

    def source(self) -> str:
        w = self.writer
        w.comment("An ONNX model, mapped onto Gradwalk's ops.")
        w.comment("Its architecture; the weights are drawn by the run's seed (PyTorch's "
                  "initialisation ranges), not the file's own.")
        self._leaves()
        for node in self.graph.node:
            self._node(node)
        if self.problems:
            raise UnsupportedModelError(self.problems)
        self._loss()
        return w.text()

    # --- leaves and constants --------------------------------------------------------------
    def _leaves(self) -> None:
        consumers = {}
        for node in self.graph.node:
            for i, name in enumerate(node.input):
                consumers.setdefault(name, (node, i))
        for init in self.graph.initializer:
            count = 1
            for d in init.dims:
                count *= d
            consumer = consumers.get(init.name)
            if consumer and consumer[0].op_type == "BatchNormalization" and consumer[1] > 2:
                continue  # its running mean and variance: Gradwalk trains with the batch's
            if init.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32) or count == 1:
                self._constant(init)
            else:
                self._param(init, consumer)
        initialised = {i.name for i in self.graph.initializer}
        for value in self.graph.input:
            if value.name in initialised:
                continue
            shape = self.shapes.get(value.name)
            if shape is None:
                self.problems.append(f"input {value.name!r} has no fixed shape")
                continue
            name = self.writer.fresh(value.name)
            self.names[value.name] = name
            kind = value.type.tensor_type.elem_type
            if kind in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
                rows = self._looked_up(value.name)
                if rows is None or not shape:
                    self.problems.append(f"input {value.name!r} holds whole numbers: Gradwalk "
                                         "reads whole numbers only as cross_entropy's labels "
                                         "or the ids a Gather looks up in a 2-D initialiser")
                else:
                    self.writer.line(f"{name} = labels({sizes([*shape, rows])})")
                continue
            self.writer.line(f"{name} = input({sizes(shape)})" if shape else
                             f"{name} = input(value=1.0)")

    def _looked_up(self, value: str) -> int | None:
        """The rows of the 2-D initialiser every reader of `value` gathers from (axis 0): an
        embedding's table; None when something else reads it."""
        readers = [n for n in self.graph.node if value in n.input]
        tables = {self._table(n) for n in readers}
        return next(iter(tables)) if len(tables) == 1 and None not in tables \
            and all(n.input[1] == value for n in readers) else None

    def _table(self, node) -> int | None:
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        shape = self.initialised.get(node.input[0]) if node.op_type == "Gather" else None
        return shape[0] if shape is not None and len(shape) == 2 and axis == 0 else None

    def _constant(self, tensor) -> None:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            self.problems.append(f"{tensor.name!r} is stored outside the file")
            return
        count = 1
        for d in tensor.dims:
            count *= d
        if count > MAX_CONSTANT:
            self.problems.append(f"constant {tensor.name!r} has {count} whole numbers; at most "
                                 f"{MAX_CONSTANT}")
            return
        self.constants[tensor.name] = numpy_helper.to_array(tensor)

    def _param(self, init, consumer) -> None:
        shape = list(init.dims)
        name = self.writer.fresh(init.name)
        self.names[init.name] = name
        node, slot = consumer if consumer else (None, 0)
        if init.name in self.fused.weights or init.name in self.fused.biases:
            text = f"ones({sizes(shape)})" if init.name in self.fused.weights else \
                f"zeros({sizes(shape)})"
        elif node is not None and node.op_type in _NORMS:
            text = f"ones({sizes(shape)})" if slot == 1 else f"zeros({sizes(shape)})"
        elif node is not None and node.op_type == "Gather" and slot == 0:
            text = f"param({sizes(shape)})"  # an embedding's table: N(0, 1), as nn.Embedding
        elif node is not None and node.op_type == "Gemm" and slot == 2:
            weight = self.shapes.get(node.input[1], [])
            trans_b = any(a.name == "transB" and a.i for a in node.attribute)
            fan_in = (weight[1] if trans_b else weight[0]) if len(weight) == 2 else shape[-1]
            text = uniform(shape, fan_in)
        elif node is not None and node.op_type == "Conv" and slot == 2:  # PyTorch's bias range
            text = uniform(shape, _prod(self.shapes.get(node.input[1], [0, 1])[1:]))
        elif len(shape) >= 2:
            fan_in = shape[0] if node is not None and node.op_type == "MatMul" else \
                _prod(shape[1:])
            if node is not None and node.op_type == "Gemm":
                trans_b = any(a.name == "transB" and a.i for a in node.attribute)
                fan_in = shape[1] if trans_b else shape[0]
            text = uniform(shape, fan_in)
        else:
            text = uniform(shape, shape[0] if shape else 1)
        self.writer.line(f"{name} = {text}")

    # --- nodes -----------------------------------------------------------------------------
    def ref(self, value: str) -> str:
        if value in self.names:
            return self.names[value]
        if value in self.constants and self.constants[value].size == 1:
            number = float(self.constants[value].reshape(()))
            return repr(number)
        raise NotWritable(f"the value {value!r} is not a tensor Gradwalk holds")

    def constant(self, value: str):
        if value not in self.constants:
            raise NotWritable(f"{value!r} must be a constant in the file")
        return self.constants[value]

    def shape(self, value: str) -> list[int]:
        if value not in self.shapes:
            raise NotWritable(f"the shape of {value!r} is unknown")
        return self.shapes[value]

    def _node(self, node) -> None:
        if node.op_type == "Constant":
            tensor = next((a.t for a in node.attribute if a.name == "value"), None)
            if tensor is None:
                self.problems.append(f"Constant {node.name!r}: only a tensor value is read")
                return
            tensor.name = node.output[0]
            if tensor.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32) or \
                    _prod(tensor.dims) == 1:
                self._constant(tensor)
            else:
                self.problems.append(f"Constant {node.name!r}: a float tensor of "
                                     f"{_prod(tensor.dims)} numbers (only single numbers)")
            return
        if node.output[0] in self.fused.inner:
            return  # a step of a layer norm that the chain's last node writes
        norm = self.fused.last.get(node.output[0])
        writer = fused_layer_norm(norm) if norm else WRITERS.get(node.op_type)
        label = f"{node.op_type} {node.name or node.output[0]!r}"
        try:
            if writer is None:
                raise NotWritable("no Gradwalk op for it yet")
            if any(o in self.consumed for o in node.output[1:]):
                raise NotWritable("a second output that the graph reads")
            expression = writer(self, node, {a.name: _attribute(a) for a in node.attribute})
        except NotWritable as error:
            self.problems.append(f"{label}: {error}")
            self.names[node.output[0]] = node.output[0]
            return
        if isinstance(expression, Alias):
            self.names[node.output[0]] = str(expression)
            return
        path = _path(node.name)
        self.writer.enter(path)
        name = self.writer.fresh(f"{path[-1]}_out" if path else node.op_type.lower())
        self.names[node.output[0]] = name
        self.writer.line(f"{name} = {expression}")

    def _loss(self) -> None:
        output = self.graph.output[0]
        out = self.names[output.name]
        shape = self.shape(output.name)
        self.writer.close_groups()
        if self.loss is None:
            if shape not in ([], [1]):
                raise UnsupportedModelError([f"the model's output has shape {shape}, not a "
                                             "scalar loss: ask for loss=mse or "
                                             "loss=cross_entropy"])
            self.writer.line(f"loss = {out}" if not shape else f"loss = sum({out})")
        elif self.loss == "mse":
            self.writer.line(f"target = input({sizes(shape)})")
            self.writer.line(f"loss = mean(({out} - target) ** 2)")
        else:
            if len(shape) != 2:
                raise UnsupportedModelError([f"cross_entropy needs (N, C) logits; the output "
                                             f"has shape {shape}"])
            self.writer.line(f"target = labels({shape[0]}, {shape[1]})")
            self.writer.line(f"loss = cross_entropy({out}, target)")


def _attribute(a):
    """An attribute's value; a float32 one as the shortest decimal that is it (1e-05, not
    9.999999747378752e-06), as the model's author wrote it."""
    value = onnx.helper.get_attribute_value(a)
    if a.type == onnx.AttributeProto.FLOAT:
        return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))
    return value


def _prod(dims) -> int:
    count = 1
    for d in dims:
        count *= d
    return count
