"""The `gradwalk` command: presets, trace (the API's own JSON), code, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.settings import Settings
from app.cli import main
from app.main import create_app
from app.serving.devserver import devserver

SMALL = ["--preset", "pytorch-numpy-two-layer", "--param", "N=8", "--param", "D_in=20",
         "--param", "H=10", "--param", "D_out=3", "--iterations", "5"]
SMALL_BODY = {"preset": "pytorch-numpy-two-layer",
              "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 3}, "iterations": 5}


def test_presets_lists_every_preset(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "pytorch-numpy-two-layer" in out and "D_in=1000" in out
    assert "micrograd-neuron" in out


@pytest.fixture(scope="module")
def api_run():
    client = TestClient(create_app(Settings()))
    run = client.post("/api/v1/runs", json=SMALL_BODY).json()
    return client, f"/api/v1/runs/{run['run_id']}"


def test_trace_prints_the_steps_the_api_serves(tmp_path, api_run):
    client, base = api_run
    out = tmp_path / "steps.json"
    assert main(["trace", *SMALL, "--iteration", "2", "--out", str(out)]) == 0
    expected = client.get(f"{base}/iterations/2/steps", headers={"accept-encoding": "identity"})
    assert out.read_bytes() == expected.content + b"\n"


def test_trace_with_step_prints_the_state_the_api_serves(tmp_path, api_run):
    client, base = api_run
    out = tmp_path / "state.json"
    assert main(["trace", *SMALL, "--iteration", "1", "--step", "9", "--out", str(out)]) == 0
    expected = client.get(f"{base}/iterations/1/steps/9", headers={"accept-encoding": "identity"})
    assert out.read_bytes() == expected.content + b"\n"
    assert json.loads(out.read_bytes())["step"] == 9


def test_trace_of_a_source_file(tmp_path):
    source = tmp_path / "neuron.py"
    source.write_text("a = input(value=2.0)\nb = param(value=-3.0)\nloss = a * b\n")
    out = tmp_path / "steps.json"
    assert main(["trace", "--source-file", str(source), "--iterations", "2", "--out",
                 str(out)]) == 0
    steps = json.loads(out.read_text())["steps"]
    assert [step["phase"] for step in steps] == ["load", "forward", "seed", "backward", "update"]


def test_code_prints_a_script_that_runs(tmp_path, api_run):
    client, base = api_run
    out = tmp_path / "run.py"
    assert main(["code", *SMALL, "--out", str(out)]) == 0
    assert out.read_text() == client.get(f"{base}/code").text
    done = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_engine_errors_exit_2_with_the_message(capsys):
    assert main(["trace", "--preset", "nope"]) == 2
    assert "pytorch-numpy-two-layer" in capsys.readouterr().err
    assert main(["trace", *SMALL, "--iteration", "99"]) == 2
    assert "iteration" in capsys.readouterr().err


def test_bad_arguments_exit_with_a_message():
    for argv, message in (
        (["trace", "--preset", "micrograd-neuron", "--param", "N"], "--param wants NAME=VALUE"),
        (["trace"], "exactly one of --preset or --source-file"),
        (["trace", "--source-file", "x.py", "--param", "N=3"], "it needs --preset"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        # SystemExit(message): Python prints it to stderr and exits with status 1.
        assert isinstance(exited.value.code, str) and message in exited.value.code, argv


def test_serve_runs_the_app_factory_under_uvicorn(monkeypatch):
    """`gradwalk serve` hands uvicorn the app factory, on loopback port 8000 by default."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setenv("GRADWALK_REQUEST_TIMEOUT", "10")  # serve sets it for its workers
    monkeypatch.delenv("GRADWALK_ACCESS_LOG", raising=False)
    assert main(["serve"]) == 0
    assert main(["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "3"]) == 0
    # on h11 with the request line and headers bounded (tests/api/test_protocol.py)
    bounded = {"http": "app.cli:BoundedH11Protocol", "timeout_keep_alive": 5,
               "h11_max_incomplete_event_size": 16_000 + 48 * 1024,
               "access_log": False}  # no line per request unless asked (below)
    assert calls == [
        (("app.main:create_app",), {"factory": True, "host": "127.0.0.1", "port": 8000,
                                    "workers": 1, **bounded}),
        (("app.main:create_app",), {"factory": True, "host": "0.0.0.0", "port": 9000,
                                    "workers": 3, **bounded}),
    ]


def test_serve_logs_every_request_only_when_asked(monkeypatch):
    """uvicorn's access log is off by default; `--access-log` or GRADWALK_ACCESS_LOG=1 turn it
    on (and GRADWALK_ACCESS_LOG=0 leaves it off)."""
    import uvicorn

    logged = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: logged.append(kwargs["access_log"]))
    monkeypatch.setenv("GRADWALK_REQUEST_TIMEOUT", "10")
    monkeypatch.delenv("GRADWALK_ACCESS_LOG", raising=False)
    main(["serve"])
    main(["serve", "--access-log"])
    main(["serve", "--behind-proxy", "--access-log"])
    monkeypatch.setenv("GRADWALK_ACCESS_LOG", "1")
    main(["serve", "--behind-proxy"])
    monkeypatch.setenv("GRADWALK_ACCESS_LOG", "0")
    main(["serve"])
    assert logged == [False, True, True, True, False]


GRADWALK = Path(sys.executable).with_name("gradwalk")


def test_gradwalk_serve_serves_the_viewer_and_the_api():
    with devserver(["--workers", "1"], command=[str(GRADWALK), "serve"]) as base:
        presets = httpx.get(f"{base}/api/v1/presets", timeout=60)
        page = httpx.get(f"{base}/", timeout=60)
    assert presets.status_code == 200
    assert "pytorch-numpy-two-layer" in presets.text
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_console_script_is_installed(capsys):
    done = subprocess.run([str(GRADWALK), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for command in ("serve", "presets", "trace", "code"):
        assert command in done.stdout
    done = subprocess.run([str(GRADWALK), "presets"], capture_output=True, text=True, timeout=60)
    assert main(["presets"]) == 0
    assert done.returncode == 0 and done.stdout == capsys.readouterr().out
