"""Stage 4 of a drawing (layout.py): every node's `short` label, at most SHORT_CHARS
characters and distinct from every other node's; an elided label keeps its distinguishing end
(`sum(W1…(W3 ** 2)`).
"""

from __future__ import annotations

#: characters of a node's `short` label at most (what fits a node box)
SHORT_CHARS = 15


def _elisions(label: str, limit: int) -> list[str]:
    """Ways to cut `label` to `limit` characters, the most of its beginning first."""
    if len(label) <= limit:
        return [label]
    out = [label[: limit - 1] + "…"]
    for tail in range(3, limit - 2):
        out.append(label[: limit - 1 - tail] + "…" + label[-tail:])
    out.append("…" + label[-(limit - 1):])
    return out


def short_labels(labels: list[str], ids: list[str], lines: list[int | None],
                 limit: int = SHORT_CHARS, alike: frozenset[int] = frozenset()) -> list[str]:
    """A label of at most `limit` characters per node, no two alike: a long label is cut in
    the middle where that tells it apart, keeping its distinguishing end; labels equal in
    full are told apart by their line, else their id — except the nodes `alike` (constants:
    two 1s are both "1")."""
    choices = [_elisions(label, limit) for label in labels]
    picked = [0] * len(labels)
    while True:
        shown = [c[p] if p < len(c) else None for c, p in zip(choices, picked, strict=True)]
        seen: dict[str, list[int]] = {}
        for i, s in enumerate(shown):
            if s is not None:
                seen.setdefault(s, []).append(i)
        clashes = [i for group in seen.values() if len(group) > 1 for i in group
                   if picked[i] < len(choices[i])]
        # a label that fits clashes only with a cut one: the cut one moves on
        movable = [i for i in clashes if len(choices[i]) > 1]
        if not movable:
            break
        for i in movable:
            picked[i] += 1
    out = [c[min(p, len(c) - 1)] for c, p in zip(choices, picked, strict=True)]
    twins: dict[str, list[int]] = {}
    for i, s in enumerate(out):
        twins.setdefault(s, []).append(i)
    taken = set(out)
    for i, s in enumerate(out):
        if len(twins[s]) == 1 or (i in alike and s == labels[i]):
            continue
        # the line tells twins apart when no twin shares it (`stack([E[3], E[1], E[3]])`
        # does not); else the id
        own_line = lines[i] and sum(lines[j] == lines[i] for j in twins[s]) == 1
        for mark in ([f"L{lines[i]}"] if own_line else []) + [ids[i]]:
            candidate = _elisions(labels[i], limit - len(mark) - 1)[0] + " " + mark
            if len(candidate) <= limit and candidate not in taken:
                break
        else:
            candidate = "…" + ids[i][-(limit - 1):]
            # two long ids may end alike (`…zzzzzzzzz_tail` twice): then a number tells them
            count = 0
            while candidate in taken:
                count += 1
                candidate = f"{_elisions(labels[i], limit - len(str(count)) - 2)[0]} #{count}"
        out[i] = candidate
        taken.add(candidate)
    return out
