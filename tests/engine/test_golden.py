"""Every preset's documents and every op's rules, byte for byte as recorded (golden/).

The record (golden/golden.json, written by golden/make_golden.py before the op table was
derived from one derivative per op) holds a hash per document and the text of every step. A
difference fails with the list of what changed; a difference that is meant is refreshed by
re-running make_golden.py and explained in the commit that does it.
"""

from __future__ import annotations

import json

from .golden.make_golden import GOLDEN, golden


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
    now = json.loads(json.dumps(golden(), ensure_ascii=False))
    # an op added after the record has no recorded case: it is compared from then on
    added = {case for case in now["ops"] if case not in recorded["ops"]}
    for case in added:
        del now["ops"][case]
    differences = list(_differences(recorded, now))
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:60])
