"""Property-based tests of the whole API from its own /openapi.json (schemathesis, in process).

Limits are tight so that generated runs stay cheap; the checks are: never a 5xx, every
response matches its documented schema, status code and content type.
"""

from __future__ import annotations

import schemathesis
from apihelpers import make_client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

TIGHT = dict(
    max_tensor_elements=400, max_total_elements=4000, max_nodes=40, max_iterations=3,
    max_source_chars=400, max_compute_seconds=2.0, max_body_bytes=2000, max_run_id_chars=2000,
)
APP = make_client(**TIGHT).app
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
cases_run = []


@schema.parametrize()
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    response = case.call_and_validate(checks=CHECKS)
    cases_run.append((case.operation.label, response.status_code))


def test_enough_cases_were_generated_and_real_runs_were_read():
    assert len(cases_run) >= 500, f"only {len(cases_run)} generated cases"
    succeeded = {label for label, status in cases_run if status == 200}
    # The documented examples (a real run id, iteration, step, node) reach the engine.
    assert ("POST /api/v1/runs", 201) in cases_run
    for path in ("/runs/{run_id}", "/steps/{k}", "/tensors/{node_id}/{which}", "/losses"):
        assert any(label.endswith(path) for label in succeeded), path
