"""Every preset's documents and every op's rules, byte for byte as recorded (golden/).

The record (golden/golden.json, written by golden/make_golden.py before the op table was
derived from one derivative per op) holds a hash per document and the text of every step. A
difference fails with the list of what changed; a difference that is meant is refreshed by
re-running make_golden.py and explained in the commit that does it.
"""

from __future__ import annotations

import json
import re

import pytest

from .golden.make_golden import GOLDEN, blas_fingerprint, golden

#: differences from the record that are meant, each with why (a pattern that no longer
#: matches any difference fails too, so the list stays true)
JUSTIFIED = {
    r"/ops/(maximum|minimum)-.*/(code_jvp|jvp)[01]|/presets/max-pool-hinge/forward/"
    r"(iteration[01]|steps\[9\]/code)":
        "the tangent of maximum/minimum is its VJP's code with the tangent for the gradient: "
        "it selects (as torch's forward mode does) instead of multiplying by 0/0.5/1; the "
        "values are equal, a zero is +0.0 where t·0 gave −0.0",
    r"/ops/cos-.*/tangent0":
        "one rule for a derivative with a leading minus: the sign goes before the tangent, as "
        "div's tangent always wrote it (−ṫ ⊙ sin x)",
    r"/ops/expm1-.*/local0":
        "the local derivative is written as it is computed, from the output (out + 1 = eˣ)",
    r"/ops/mean-.*/(local0|contrib0)":
        "mean's backward without the bare 1 (issue 20): g/n, where it read (g/n)·1 with an "
        "unexplained bold 1",
    r"/presets/[^/]+/(reverse|forward)/(steps\[\d+\]/latex|iteration[01])":
        "brackets only where needed (issue 20: σ(−z), not σ((−z))) and mean's backward without "
        "the bare 1, in the steps' LaTeX and the iteration documents holding it (with its "
        "MathML); every value, gradient, narration and code line is as recorded",
    r"/presets/[^/]+/reverse/gradcheck":
        "the honest gradient check (issue 20): the sweep runs along a parameter whose differences "
        "show the h² arm (or says none does), the table's h is a point of the sweep, each check "
        "carries its round-off estimate and a verdict; the gradients it checks are unchanged",
    r"/presets/deep-mlp/(reverse|forward)/describe":
        "deep-mlp's new `activation` parameter (0 = relu, the old net) is part of its run",
    r"/presets/[^/]+/(reverse|forward)/describe":
        "the graph lists `found_groups` (issue 20: groups found in a large graph typed without "
        "any); every preset's is [] (none is over 60 nodes without groups of its own), so the "
        "description gains the empty list and nothing else",
    r"/helpers/(matmul_grad|prod_others)":
        "two script helpers no preset's script defines, written more simply with the same "
        "numbers (every prod and matmul_nd case's VJP and JVP is as recorded): sum_to sums the "
        "kept and the leading axes unconditionally (a sum over no axis is the array itself), "
        "matmul_grad puts a 1-D operand's axis back into g by one reshape (no case of its own for "
        "two vectors) and sums back to the promoted operand's shape, then reshapes to the operand's, "
        "prod_others treats axis=None and a scalar as every axis moved last and holds the "
        "exclusive product it alone called",
    r"/helpers/logsumexp|/presets/(batch-standardise|d2l-mlp-l2|softmax-classifier)/reverse/script":
        "logsumexp ends in one return, `out if keepdims else np.squeeze(out, axis=axis)`: for "
        "axis=None every kept axis is 1, so squeezing them is the reshape to () it special-cased "
        "(bitwise equal on every axis, tuple and keepdims case); the three presets whose script "
        "defines logsumexp show it so, and every value, gradient and loss is as recorded",
    r"/ops/cross_entropy-.*/vjp1":
        "the labels' (zero) gradient is computed by the code the script runs, "
        "np.zeros_like(labels) * g: the sign of a zero follows g",
}


def _differences(old, new, path=""):
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                yield f"{path}/{key}: {'added' if key in new else 'removed'}"
            else:
                yield from _differences(old[key], new[key], f"{path}/{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _differences(a, b, f"{path}[{i}]")
    elif old != new:
        yield f"{path}: {old!r} -> {new!r}"


def test_every_document_and_rule_is_as_recorded():
    recorded = json.loads(GOLDEN.read_text())
    if recorded.pop("blas") != blas_fingerprint():
        pytest.skip("this machine's BLAS rounds a matmul differently from the one the record "
                    "was made on (other kernels, or not one thread: the suite pins "
                    "OPENBLAS_NUM_THREADS=1): its hashes cannot be compared here")
    now = json.loads(json.dumps(golden(), ensure_ascii=False))
    # an op, a script helper or a preset added after the record has no recorded case: the
    # registry's checks and the preset tests hold it until the record is next remade
    for part in ("ops", "helpers", "presets"):
        for case in set(now[part]) - set(recorded[part]):
            del now[part][case]
    differences = list(_differences(recorded, now))
    unexplained = [d for d in differences if not any(re.match(p, d) for p in JUSTIFIED)]
    assert not unexplained, f"{len(unexplained)} differences:\n" + "\n".join(unexplained[:60])
    unused = [p for p in JUSTIFIED if not any(re.match(p, d) for d in differences)]
    assert not unused, f"justified differences that no longer occur: {unused}"
