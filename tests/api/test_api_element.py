"""GET …/runs/{id}/iterations/{t}/steps/{k}/element: one element of a backward step's
contribution as the sum of its terms, checked against numpy written out by hand (the seed
network's ∂loss/∂w1[i, j] = Σₙ x[n, i] · ∂loss/∂h[n, j]) and against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from apihelpers import API, make_client


@pytest.fixture(scope="module")
def client():
    return make_client()


SEED = {"preset": "pytorch-numpy-two-layer", "iterations": 2,
        "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 10}}


def tensor(client, rid, t, k, node, which):
    return np.array(client.get(f"{API}/runs/{rid}/iterations/{t}/steps/{k}/tensors/{node}/{which}")
                    .json()["values"])


@pytest.fixture(scope="module")
def seed(client):
    rid = client.post(f"{API}/runs", json=SEED).json()["run_id"]
    steps = client.get(f"{API}/runs/{rid}/iterations/1/steps").json()["steps"]
    k = next(s["index"] for s in steps if s["phase"] == "backward" and s["node"] == "h")
    return rid, k


def test_a_matmul_element_is_the_sum_over_the_batch_with_the_real_numbers(client, seed):
    rid, k = seed
    doc = client.get(f"{API}/runs/{rid}/iterations/1/steps/{k}/element",
                     params={"to": "w1", "index": "3,7"}).json()
    x = tensor(client, rid, 1, k, "x", "value")
    g = tensor(client, rid, 1, k, "h", "grad")  # ∂loss/∂h, complete at this step
    assert (doc["node"], doc["to"], doc["index"], doc["chosen"]) == ("h", "w1", [3, 7], "asked")
    # ∂loss/∂w1[3, 7] = Σₙ x[n, 3] · g[n, 7]: one term per row n of the batch
    assert doc["count"] == 8 and len(doc["terms"]) == 8
    for n, term in enumerate(doc["terms"]):
        assert term["index"] == [n, 7]
        assert term["upstream"] == pytest.approx(g[n, 7], rel=1e-12, abs=1e-300)
        assert term["local"] == pytest.approx(x[n, 3], rel=1e-12)
        assert term["product"] == pytest.approx(g[n, 7] * x[n, 3], rel=1e-12, abs=1e-300)
    assert doc["total"] == pytest.approx((x[:, 3] * g[:, 7]).sum(), rel=1e-12)
    assert doc["contribution"] == pytest.approx((x.T @ g)[3, 7], rel=1e-12)
    assert doc["latex"].startswith("\\frac{\\partial \\mathrm{loss}}{\\partial {w_{1}}[3, 7]} = \\sum_{m}")
    assert doc["mathml"].startswith("<math")


def test_the_largest_element_by_default_and_the_same_number_as_pytorch(client, seed):
    torch = pytest.importorskip("torch")
    rid, k = seed
    doc = client.get(f"{API}/runs/{rid}/iterations/1/steps/{k}/element").json()
    x = torch.tensor(tensor(client, rid, 1, k, "x", "value"))
    y = torch.tensor(tensor(client, rid, 1, k, "y", "value"))
    w1 = torch.tensor(tensor(client, rid, 1, 0, "w1", "value"), requires_grad=True)
    w2 = torch.tensor(tensor(client, rid, 1, 0, "w2", "value"))
    loss = ((x @ w1).clamp(min=0) @ w2 - y).pow(2).sum()
    loss.backward()
    grad = w1.grad.numpy()
    assert doc["chosen"] == "largest"
    assert tuple(doc["index"]) == np.unravel_index(np.argmax(np.abs(grad)), grad.shape)
    assert doc["total"] == pytest.approx(grad[tuple(doc["index"])], rel=1e-10)


def test_a_broadcast_bias_element_sums_over_the_rows(client):
    rid = client.post(f"{API}/runs", json={"source": "x = input(5, 3)\nb = param(3)\n"
                                           "loss = sum(relu(x + b) ** 2)\n"}).json()["run_id"]
    steps = client.get(f"{API}/runs/{rid}/iterations/0/steps").json()["steps"]
    step = next(s for s in steps if s["phase"] == "backward" and "b" in [c["to"] for c in s["contributions"]])
    doc = client.get(f"{API}/runs/{rid}/iterations/0/steps/{step['index']}/element",
                     params={"to": "b", "index": "1"}).json()
    g = tensor(client, rid, 0, step["index"], step["node"], "grad")
    assert [t["index"] for t in doc["terms"]] == [[n, 1] for n in range(5)]
    assert all(t["local"] == 1 for t in doc["terms"])
    assert doc["total"] == pytest.approx(g[:, 1].sum(), rel=1e-12)


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"to": "w1", "index": "3"}, 422, "needs 2 whole numbers"),
    ({"to": "w1", "index": "20,0"}, 422, "0 to 19"),
    ({"to": "w1", "index": "a"}, 422, "index"),
    ({"to": "x"}, 404, "this step sends to w1"),
])
def test_bad_elements_are_refused_in_words(client, seed, params, status, words):
    rid, k = seed
    response = client.get(f"{API}/runs/{rid}/iterations/1/steps/{k}/element", params=params)
    assert response.status_code == status, response.text
    assert words in response.text


def test_a_step_that_is_not_backward_is_refused(client, seed):
    rid, _ = seed
    response = client.get(f"{API}/runs/{rid}/iterations/1/steps/1/element")
    assert response.status_code == 422
    assert "forward step" in response.text and "backward step" in response.text


def test_a_wrong_hand_written_backward_shows_beside_the_true_sum(client):
    rid = client.post(f"{API}/runs", json={"preset": "custom-backward"}).json()["run_id"]
    run = client.get(f"{API}/runs/{rid}").json()
    steps = client.get(f"{API}/runs/{rid}/iterations/0/steps").json()["steps"]
    ops = ("my_softplus", "my_log_sigmoid")
    custom = {n["id"]: n["op"] for n in run["graph"]["nodes"] if n.get("op") in ops}
    agree = {}
    for step in steps:
        if step["phase"] != "backward" or step["node"] not in custom or not step["contributions"]:
            continue
        doc = client.get(f"{API}/runs/{rid}/iterations/0/steps/{step['index']}/element").json()
        agree[custom[step["node"]]] = doc["total"] == pytest.approx(doc["contribution"], rel=1e-9)
    # the right backward sends the definition's derivative; the deliberately wrong one does not
    assert agree == {"my_softplus": True, "my_log_sigmoid": False}
