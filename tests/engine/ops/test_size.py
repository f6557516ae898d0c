"""How many lines the op table spends on the 46 ops issue 19 counted (ops.py was 1,341 lines).

The counting rule: every line (as `wc -l`) of every file of app/engine/ops/ but the files of the
ops added since (the layers' ops: conv, pools, flatten, normalisations, dropout, embedding). A
file is theirs only if it registers none of the 46, and its numpy (the helpers it gives the
rules) is called by none of the 46; both are checked here, so the rule cannot hide an op's
lines. Shared machinery (registry, derivation, helpers, the package) counts in full, and so
does softsign, the example op added after the count. `python -m tests.engine.ops.test_size`
prints the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

OPS = Path(__file__).resolve().parents[3] / "app" / "engine" / "ops"

#: the op table when issue 19 was written
ORIGINAL = frozenset("""add sub mul div neg power maximum minimum pow relu sigmoid tanh exp log sqrt abs
    sin cos square softplus log1p expm1 log_sigmoid leaky_relu elu gelu clip sum mean logsumexp prod
    var std norm max min softmax log_softmax cross_entropy matmul matmul_nd transpose index reshape
    concatenate stack""".split())
#: the files of the ops added since
LAYERS = frozenset({"conv.py", "windows.py", "norm.py", "normhelpers.py", "dropout.py", "embedding.py"})
#: the lines the count may not exceed (issue 19's target: under 800; 935 before the layers' fields
#: and helpers left these files; 865 then, and 2 more for a rule's walk bound once by training;
#: 819 with no re-exports in the package, simpler helpers, defaults said once; 799 with the fan-out
#: wording the presenter's, cross-entropy's shape rule beside the others, simpler matmul_grad and
#: logsumexp, the default FLOPs in the record)
CEILING = 799

#: run in a fresh interpreter: which file's call registers each op (the first frame outside
#: registry.py and derivation.py when `register` is called)
_WHO = """
import json, sys
from pathlib import Path
where = {}
def profile(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_name == "register" and code.co_filename.endswith("registry.py"):
        caller = frame.f_back
        while Path(caller.f_code.co_filename).name in ("registry.py", "derivation.py"):
            caller = caller.f_back
        where[frame.f_locals["op"].name] = Path(caller.f_code.co_filename).name
sys.setprofile(profile)
import app.engine.ops
sys.setprofile(None)
print(json.dumps(where))
"""


def registered_by() -> dict[str, str]:
    """Op name -> the file of app/engine/ops/ that registers it."""
    out = subprocess.run([sys.executable, "-c", _WHO], capture_output=True, text=True, check=True,
                         cwd=OPS.parents[2])
    return json.loads(out.stdout)


def counted() -> dict[str, int]:
    """The counted files and their lines."""
    return {p.name: len(p.read_text().splitlines()) for p in sorted(OPS.glob("*.py"))
            if p.name not in LAYERS}


def test_the_46_ops_and_their_machinery_stay_within_the_ceiling():
    lines = counted()
    assert {"__init__.py", "registry.py", "derivation.py", "helpers.py"} <= set(lines)
    assert sum(lines.values()) <= CEILING, lines


def test_the_layers_files_hold_none_of_the_46():
    """The rule cannot hide an op: the 46 are registered from counted files only, and no rule
    of theirs calls a helper of a file left out."""
    from app.engine.ops.helpers import FUNCTIONS
    from app.engine.ops.registry import REGISTRY

    where = registered_by()
    assert set(where) == set(REGISTRY)
    assert ORIGINAL <= set(REGISTRY) and len(ORIGINAL) == 46
    assert {name for name, file in where.items() if file in LAYERS} == set(REGISTRY) - ORIGINAL - {
        "softsign"}
    left_out = {name for name, f in FUNCTIONS.items()
                if Path(sys.modules[f.__module__].__file__).name in LAYERS}
    for name in sorted(ORIGINAL):
        op = REGISTRY[name]
        templates = [op.code, *(rules[i] for rules in (op.code_vjp, op.code_jvp)
                                for i in range(2 if op.arity < 0 else op.arity))]
        called = {f for f in left_out for text in templates if f + "(" in text}
        assert not called, f"{name} calls {called}, helpers of a layers' file"


def test_the_checks_see_an_op_or_a_helper_left_out(monkeypatch):
    """The checks can fail: an original op said to be registered by a layers' file is caught,
    and so is a file left out whose helpers the 46 call."""
    real = registered_by()
    me = sys.modules[__name__]
    monkeypatch.setattr(me, "registered_by", lambda: {**real, "relu": "conv.py"})
    with pytest.raises(AssertionError):
        test_the_layers_files_hold_none_of_the_46()
    monkeypatch.setattr(me, "registered_by", lambda: real)
    monkeypatch.setattr(me, "LAYERS", LAYERS | {"helpers.py"})
    with pytest.raises(AssertionError, match="helpers of a layers' file"):
        test_the_layers_files_hold_none_of_the_46()


if __name__ == "__main__":
    for file, n in counted().items():
        print(f"{n:5d}  app/engine/ops/{file}")
    print(f"{sum(counted().values()):5d}  in all (ceiling {CEILING}; target under 800)")
