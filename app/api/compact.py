"""The iteration document's compact form (docs/json.md, Iteration), and its inverse.

Most of a deep network's document is the same text again: layer 32's formula is layer 31's with
other numbers in the names (`h_{31}` for `h_{30}`), and its MathML is the same tags around them.
So each text of the steps is sent as a template of a table, `texts`, and the digits that differ
between the texts of that template: a template is a list of strings and slot numbers, and a
text is `[template, slot 0, slot 1, …]`: the template's strings with each number n replaced by
slot n. Likewise a step's `held` list is sent as
how many of the previous step's to keep (from its start) and which to add after them, and each
tensor summary as a row of its fields' values in the order of SUMMARY_FIELDS (a row's index
is its id's number: `t12` is row 12), without the same field names again on every one.

Nothing is computed to read it back — strings are joined, lists cut and joined — and decoding
gives the plain steps of `…/steps` exactly (`decode_iteration`, which the tests and Python
clients use; static/js/compact.js is the viewer's).
"""

from __future__ import annotations

import re

#: the text fields of a step, and of each of its contributions
STEP_TEXTS = ("narration", "latex", "mathml", "code", "rule")
CONTRIBUTION_TEXTS = ("latex", "code", "gradient")

#: a Summary's fields in a row; a heatmap is [rows, cols, cells], a histogram [edges, counts]
SUMMARY_FIELDS = ("shape", "dtype", "size", "min", "max", "mean", "std", "norm", "nan", "inf",
                  "values", "heatmap", "histogram")
HEATMAP_FIELDS = ("rows", "cols", "cells")
HISTOGRAM_FIELDS = ("edges", "counts")

_DIGITS = re.compile(r"(\d+)")


class Templates:
    """Texts -> templates: texts equal but for their digit runs share a template. A run equal in
    all of them stays in the template's text; the others are its slots, and runs that are equal
    to each other in every one of the texts are one slot (`h_{31}` written four times)."""

    def __init__(self, texts: list[str]):
        groups: dict[tuple[str, ...], list[list[str | int]]] = {}
        self.split: dict[str, tuple[tuple[str, ...], list[str]]] = {}
        for text in texts:
            if text in self.split:
                continue
            pieces = _DIGITS.split(text)
            key = tuple(pieces[0::2])
            self.split[text] = (key, pieces[1::2])
            groups.setdefault(key, []).append(pieces[1::2])
        self.table: list[list[str | int]] = []
        self.index: dict[tuple[str, ...], tuple[int, list[int]]] = {}
        for key, members in groups.items():  # in order of first use (dicts keep it)
            slots: dict[tuple[str, ...], int] = {}  # a run's values in every text -> its slot
            first: list[int] = []  # per slot, the first run that fills it
            template: list[str | int] = [key[0]]
            for j in range(len(key) - 1):
                column = tuple(runs[j] for runs in members)
                if len(set(column)) == 1:
                    template[-1] += column[0] + key[j + 1]
                    continue
                if column not in slots:
                    slots[column] = len(first)
                    first.append(j)
                template += [slots[column], key[j + 1]]
            self.index[key] = (len(self.table), first)
            self.table.append(template)

    def ref(self, text: str) -> list:
        key, runs = self.split[text]
        number, first = self.index[key]
        return [number, *(runs[j] for j in first)]


def _texts(steps: list[dict]):
    for step in steps:
        yield from (step[f] for f in STEP_TEXTS)
        for contribution in step["contributions"]:
            yield from (contribution[f] for f in CONTRIBUTION_TEXTS)


def compact_steps(steps: list[dict]) -> tuple[list[list[str | int]], list[dict]]:
    """Plain steps (present.steps_json) -> (`texts`, compact steps)."""
    templates = Templates(list(_texts(steps)))
    compact, before = [], []
    for step in steps:
        out = {k: templates.ref(v) if k in STEP_TEXTS else v for k, v in step.items()}
        out["contributions"] = [{k: templates.ref(v) if k in CONTRIBUTION_TEXTS else v
                                 for k, v in c.items()} for c in step["contributions"]]
        held = step["held"]
        keep = 0
        while keep < min(len(before), len(held)) and before[keep] == held[keep]:
            keep += 1
        out["held"] = {"keep": keep, "add": held[keep:]}
        before = held
        compact.append(out)
    return templates.table, compact


def summary_row(summary: dict) -> list:
    """A Summary's JSON (present.summary_json) -> its row."""
    row = [summary[f] for f in SUMMARY_FIELDS]
    for i, fields in ((-2, HEATMAP_FIELDS), (-1, HISTOGRAM_FIELDS)):
        if row[i] is not None:
            row[i] = [row[i][f] for f in fields]
    return row


def _record(fields: tuple[str, ...], values: list | None) -> dict | None:
    return None if values is None else dict(zip(fields, values, strict=True))


def decode_summary(row: list) -> dict:
    summary = _record(SUMMARY_FIELDS, row)
    summary["heatmap"] = _record(HEATMAP_FIELDS, summary["heatmap"])
    summary["histogram"] = _record(HISTOGRAM_FIELDS, summary["histogram"])
    return summary


def decode_text(texts: list[list[str | int]], ref: list) -> str:
    """`[template, slot, …]` -> the text: the template's strings, its numbers n replaced by
    slot n."""
    return "".join(item if isinstance(item, str) else ref[1 + item] for item in texts[ref[0]])


def decode_steps(texts: list[list[str | int]], steps: list[dict]) -> list[dict]:
    """Compact steps -> the plain steps of `…/steps`."""
    plain, before = [], []
    for step in steps:
        out = {k: decode_text(texts, v) if k in STEP_TEXTS else v for k, v in step.items()}
        out["contributions"] = [{k: decode_text(texts, v) if k in CONTRIBUTION_TEXTS else v
                                 for k, v in c.items()} for c in step["contributions"]]
        out["held"] = before = before[:step["held"]["keep"]] + step["held"]["add"]
        plain.append(out)
    return plain


def decode_iteration(document: dict) -> dict:
    """An iteration document as sent -> the same with plain steps, no `texts`, and `tensors`
    as Summaries by id."""
    out = {k: v for k, v in document.items() if k != "texts"}
    out["steps"] = decode_steps(document["texts"], document["steps"])
    out["tensors"] = {f"t{i}": decode_summary(row) for i, row in enumerate(document["tensors"])}
    return out
