"""An ONNX file as Gradwalk source: read as data, every parameter's gradient equal to PyTorch's
for the models PyTorch exports, and POST /api/v1/imports with its limits and errors."""

from __future__ import annotations

import io
import pickle

import numpy as np
import onnx
import pytest
from fastapi.testclient import TestClient
from onnx import TensorProto, helper

from app.api.settings import Settings
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.importers.errors import UnsupportedModelError
from app.importers.onnx_source import to_source
from app.main import create_app

API = "/api/v1"


def _mlp_file(extra_nodes=(), extra_inits=()) -> bytes:
    """A two-layer MLP written with onnx.helper (no torch): Gemm, Relu, Gemm."""
    rng = np.random.default_rng(0)
    inits = [
        onnx.numpy_helper.from_array(rng.normal(size=(16, 6)).astype(np.float32), "fc1.weight"),
        onnx.numpy_helper.from_array(np.zeros(16, np.float32), "fc1.bias"),
        onnx.numpy_helper.from_array(rng.normal(size=(3, 16)).astype(np.float32), "fc2.weight"),
        onnx.numpy_helper.from_array(np.zeros(3, np.float32), "fc2.bias"),
        *extra_inits,
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], name="/fc1/Gemm",
                         transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="/Relu"),
        *extra_nodes,
        helper.make_node("Gemm", [extra_nodes[-1].output[0] if extra_nodes else "r",
                                  "fc2.weight", "fc2.bias"], ["out"], name="/fc2/Gemm",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 6])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 3])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]) \
        .SerializeToString()


def test_a_hand_written_file_becomes_a_run_with_groups():
    source = to_source(_mlp_file(), loss="cross_entropy", batch=5)
    assert "x = input(5, 6)" in source and "target = labels(5, 3)" in source
    assert 'with group("fc1"):' in source
    run = Run(RunSpec(source=source, iterations=2), Limits())
    assert {"fc1", "fc2"} <= {g for n in run.graph.order for g in run.graph.nodes[n].groups}
    assert np.isfinite(run.losses()).all()


def test_every_unsupported_node_is_listed_and_nothing_is_made():
    extra = [helper.make_node("Floor", ["r"], ["f"], name="/block/Floor"),
             helper.make_node("Erf", ["f"], ["e"], name="/block/Erf")]
    with pytest.raises(UnsupportedModelError) as caught:
        to_source(_mlp_file(extra), loss="mse")
    assert len(caught.value.problems) == 2
    assert "Floor '/block/Floor'" in str(caught.value) and "Erf '/block/Erf'" in str(caught.value)


def _conv_file(conv=None, pool=None) -> bytes:
    """Conv, Relu, MaxPool, Flatten, Gemm written with onnx.helper, with attributes to vary."""
    rng = np.random.default_rng(0)
    inits = [onnx.numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), name)
             for name, shape in (("conv.weight", (2, 1, 3, 3)), ("conv.bias", (2,)),
                                 ("fc.weight", (3, 18)), ("fc.bias", (3,)))]
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                         kernel_shape=[3, 3], **(conv or {"pads": [1, 1, 1, 1]})),
        helper.make_node("Relu", ["c"], ["r"], name="/Relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="/pool/MaxPool",
                         **(pool or {"kernel_shape": [2, 2], "strides": [2, 2]})),
        helper.make_node("Flatten", ["p"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["out"], name="/fc/Gemm",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 6, 6])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 3])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]) \
        .SerializeToString()


def test_a_hand_written_cnn_reads_as_pytorch_writes_it():
    source = to_source(_conv_file(), loss="cross_entropy", batch=2)
    for line in ("conv_out = conv2d(x, conv_weight, conv_bias, padding=1)",
                 "conv_bias = uniform(2, low=-0.333333, high=0.333333)",  # 1/√(1·3·3)
                 "pool_out = max_pool2d(relu_out, 2)", "flatten(pool_out, 1)"):
        assert line in source, source
    assert np.isfinite(Run(RunSpec(source=source, iterations=2), Limits()).losses()).all()


def test_what_conv2d_and_the_pools_do_not_take_is_listed():
    with pytest.raises(UnsupportedModelError) as caught:
        to_source(_conv_file({"pads": [1, 0, 0, 1]},
                             {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
                  loss="mse")
    text = str(caught.value)
    assert len(caught.value.problems) == 2, text
    assert "Conv '/conv/Conv': pads [1, 0, 0, 1]: Gradwalk pads both sides" in text
    assert "MaxPool '/pool/MaxPool': ceil_mode=True" in text


@pytest.mark.parametrize("data,says", [
    (b"not a model at all" * 10, "not an ONNX model file"),
    (pickle.dumps({"weights": [1, 2, 3]}), "not an ONNX model file"),
])
def test_what_is_not_an_onnx_file_is_refused(data, says):
    with pytest.raises(UnsupportedModelError, match=says):
        to_source(data)


def test_a_model_that_is_not_a_loss_asks_for_one():
    with pytest.raises(UnsupportedModelError, match="loss=mse or loss=cross_entropy"):
        to_source(_mlp_file())


# ----- through the API ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(Settings(max_import_bytes=200_000)))


def test_post_imports_gives_the_source_and_its_run(client):
    response = client.post(f"{API}/imports?loss=cross_entropy&batch=4&iterations=3",
                           content=_mlp_file(),
                           headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"source", "run_id", "viewer_url"}
    assert body["viewer_url"] == f"/?run={body['run_id']}"
    run = client.get(f"{API}/runs/{body['run_id']}").json()
    assert run["source"] == body["source"] and run["iterations"] == 3
    again = client.post(f"{API}/runs", json={"source": body["source"], "iterations": 3})
    assert again.json()["run_id"] == body["run_id"]


def test_post_imports_lists_unsupported_nodes(client):
    extra = [helper.make_node("Floor", ["r"], ["f"], name="/block/Floor")]
    response = client.post(f"{API}/imports?loss=mse", content=_mlp_file(extra))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["kind"] == "unsupported_model" and len(error["problems"]) == 1
    assert "Floor" in error["problems"][0]


@pytest.mark.parametrize("query,field", [("loss=hinge", "loss"), ("batch=0", "batch"),
                                         ("batch=5000", "batch")])
def test_post_imports_checks_its_query(client, query, field):
    response = client.post(f"{API}/imports?{query}", content=_mlp_file())
    assert response.status_code == 422
    assert field in response.text


def test_post_imports_bounds_the_file(client):
    response = client.post(f"{API}/imports?loss=mse", content=b"\0" * 200_001)
    assert response.status_code == 413
    assert "200000" in response.json()["error"]["message"]
    empty = client.post(f"{API}/imports?loss=mse", content=b"")
    assert empty.status_code == 422


def test_other_routes_keep_the_small_body_limit(client):
    response = client.post(f"{API}/runs", content=b"{" + b" " * 70_000 + b"}",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413


# ----- PyTorch's own exports: gradients equal PyTorch's ----------------------------------------

torch = pytest.importorskip("torch")
from .models import MODELS  # noqa: E402
from .test_torch_import import LR, _as_torch, _torch_loss, torch_sgd_losses  # noqa: E402

EXPORTED = [name for name, (_, _, loss, _) in MODELS.items() if loss]


def _exported(name):
    factory, inputs, loss, _ = MODELS[name]
    torch.manual_seed(0)
    module = factory()
    buffer = io.BytesIO()
    names = ["x"] if len(inputs) == 1 else [f"x{i + 1}" for i in range(len(inputs))]
    # exported as it trains: a batch norm with batch statistics (not folded into a conv), a
    # dropout kept (else the exporter drops it)
    norms = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules())
    training = norms or any(isinstance(m, torch.nn.Dropout) for m in module.modules())
    mode = torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL
    with pytest.warns(DeprecationWarning):  # the TorchScript exporter: no onnxscript needed
        torch.onnx.export(module, inputs, buffer, dynamo=False, input_names=names, training=mode,
                          do_constant_folding=not training)
    source = to_source(buffer.getvalue(), loss=loss, batch=inputs[0].shape[0])
    return module, inputs, loss, Run(RunSpec(source=source, lr=LR, iterations=3), Limits())


@pytest.mark.parametrize("name", EXPORTED)
def test_onnx_gradients_and_sgd_losses_equal_pytorch(name):
    module, inputs, loss, run = _exported(name)
    twin, values = _as_torch(module, run, inputs, loss)
    out = _torch_loss(twin, loss, values)
    out.backward()
    trace = run.trace(0)
    last = len(trace.step_list) - 1
    for key, param in twin.named_parameters():
        got = trace.tensor(last, key.replace(".", "_"), "grad")
        np.testing.assert_allclose(got, param.grad.numpy(), rtol=1e-6, atol=1e-12,
                                   err_msg=f"{name}: {key}")
    np.testing.assert_allclose(run.losses()[:3], torch_sgd_losses(twin, loss, values),
                               rtol=1e-9)


def test_bytes_that_parse_as_an_empty_protobuf_are_refused():
    # protobuf is lenient: these bytes parse as a ModelProto with no graph (schemathesis' find)
    with pytest.raises(UnsupportedModelError, match="not"):
        to_source(b"!\xe19\xf1\x8e\x02\xd5'\xd4\rV\xe4\xc4e")
    empty = helper.make_model(helper.make_graph([], "g", [], []))
    with pytest.raises(UnsupportedModelError, match="no graph of nodes"):
        to_source(empty.SerializeToString())
