"""Every computing route is counted from the shapes before any numerics, and over the budget
is a 413 naming what to reduce: gradcheck (its forward passes), /modes (its sweeps, timed
within a counted share), the preset memory sweep. /modes answers one key per question,
however `of` and `wrt` are spelled. Each test was seen failing on the code before its fix."""

from __future__ import annotations

import pytest
from apihelpers import API, make_client

from app.engine.core.errors import LimitError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.instruments import modes

#: ten scalar parameters scaling an 800×800 matrix product: cheap to train (the product of
#: data inputs is computed once per pass), 126 forward passes for a gradient check
WIDE = ("x = input(800, 800)\ny = input(800, 800)\n"
        + "".join(f"p{i} = param(value={i + 1.0})\n" for i in range(10))
        + "s = " + " + ".join(f"p{i}" for i in range(10)) + "\n"
        + "loss = mean((x @ y) * s)\n")


def test_a_gradcheck_over_the_budget_is_refused_before_any_pass():
    """Before: 126 products of 800×800 matrices, uncounted (190 CPU s for 600 params)."""
    run = Run(RunSpec(source=WIDE, iterations=1), Limits())
    with pytest.raises(LimitError, match="max_compute") as error:
        run.gradcheck(0)
    assert "gradient check" in str(error.value) and "parameters" in str(error.value)


def test_a_gradcheck_within_the_budget_still_answers():
    run = Run(RunSpec(preset="micrograd-neuron", iterations=2), Limits())
    assert run.gradcheck(1).params


def test_modes_over_the_budget_is_a_413():
    """Before: a sweep of the Jacobian was timed whatever it cost (40 CPU s a request)."""
    client = make_client(max_compute=300_000_000)
    source = "x = input(200, 200)\nw = param(200, 200)\nloss = sum(x @ w)\n"
    rid = client.post(f"{API}/runs", json={"source": source, "iterations": 1}).json()["run_id"]
    response = client.get(f"{API}/runs/{rid}/modes")
    assert response.status_code == 413, response.text
    assert "max_compute" in response.text and "smaller" in response.text


def test_modes_times_only_a_counted_share_of_the_budget():
    run = Run(RunSpec(source="w = param(40, 40)\nx = input(40, 40)\nz = tanh(x @ w)\n"
                             "loss = sum(z)\n", iterations=1), Limits(max_compute=10**9))
    found = run.modes("z")
    for sweeps in (found.forward, found.reverse):
        assert sweeps.timed * (sweeps.cost_per_sweep) <= 10**9 // modes.SHARE
        assert sweeps.timed >= 1


@pytest.mark.parametrize("query", ["of=loss", "wrt=w,b", "wrt=b,w", "wrt=w,b,w", "wrt= w ,b",
                                   "of=loss&wrt=b,w", "wrt=w%2Cb"])
def test_modes_answers_one_url_per_question(query):
    """Before: every spelling of the same of/wrt was its own key and its own timing."""
    client = make_client()
    source = "x = input(3, 2)\nw = param(2, 2)\nb = param(2)\nloss = sum(tanh(x @ w + b))\n"
    rid = client.post(f"{API}/runs", json={"source": source, "iterations": 1}).json()["run_id"]
    response = client.get(f"{API}/runs/{rid}/modes?{query}", follow_redirects=False)
    assert response.status_code == 308, response.text
    assert response.headers["location"] == f"{API}/runs/{rid}/modes"
    assert client.get(f"{API}/runs/{rid}/modes?of=z", follow_redirects=False).status_code == 404


def test_modes_canonical_query_is_served():
    client = make_client()
    source = ("x = input(3, 2)\nw = param(2, 2)\nb = param(2)\nz = tanh(x @ w + b)\n"
              "loss = sum(z)\n")
    rid = client.post(f"{API}/runs", json={"source": source, "iterations": 1}).json()["run_id"]
    moved = client.get(f"{API}/runs/{rid}/modes?wrt=b,x&of=z", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == f"{API}/runs/{rid}/modes?of=z&wrt=x%2Cb"
    doc = client.get(moved.headers["location"]).json()
    assert (doc["of"], doc["wrt"]) == ("z", ["x", "b"])


def test_a_memory_sweep_over_the_budget_is_a_413():
    client = make_client(max_compute=1_000_000)
    response = client.get(f"{API}/presets/pytorch-numpy-two-layer/memory",
                          params={"vary": "N", "values": ",".join(map(str, range(1, 33)))})
    assert response.status_code == 413, response.text


def test_the_watchdog_covers_the_gradient_check():
    """Before: only training had a deadline; a gradient check ran as long as it took."""
    client = make_client(max_compute_seconds=1e-9)
    rid = client.post(f"{API}/runs", json={"preset": "micrograd-neuron", "iterations": 1}
                      ).json()["run_id"]
    response = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck")
    assert response.status_code == 503 and "gradient check" in response.text
    assert response.headers["retry-after"]
