"""`with group("…"):` blocks of the language: every node knows its groups, outermost first;
every misuse is refused at its line and column, and everything a user writes has a limit."""

from __future__ import annotations

import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.groups import MAX_GROUP_CHARS, MAX_GROUP_DEPTH, MAX_GROUPS
from app.engine.language.parser import parse
from app.engine.presets import get_preset

NESTED = '''x = input(4, 3)
y = input(4, 2)
with group("encoder"):
    w1 = param(3, 5)
    with group("layer 1"):
        h = relu(x @ w1 + 1)
    z = tanh(h)
with group("head"):
    w2 = param(5, 2)
    loss = sum((z @ w2 - y) ** 2)
'''


def groups_of(source: str) -> dict[str, list[str]]:
    return {n["id"]: n["groups"] for n in parse(source, Limits()).to_dict()["nodes"]}


def test_every_node_lists_its_groups_outermost_first():
    graph = parse(NESTED, Limits()).to_dict()
    by_label = {n["label"]: n["groups"] for n in graph["nodes"]}
    assert by_label["x"] == [] and by_label["y"] == []
    assert by_label["w1"] == ["encoder"]
    assert by_label["x @ w1"] == ["encoder", "layer 1"]
    assert by_label["1"] == ["encoder", "layer 1"], "a constant belongs where it is written"
    assert by_label["h"] == ["encoder", "layer 1"]
    assert by_label["z"] == ["encoder"]
    assert by_label["w2"] == ["head"]
    assert by_label["loss"] == ["head"], "the last assignment is the loss inside a group too"
    assert graph["loss"] == "loss"


def test_groups_change_nothing_but_the_groups():
    plain = "\n".join(line.strip() for line in NESTED.splitlines()
                      if not line.strip().startswith("with")) + "\n"
    grouped = parse(NESTED, Limits()).to_dict()
    flat = parse(plain, Limits()).to_dict()
    for node in grouped["nodes"]:
        node.pop("groups"), node.pop("line")
    for node in flat["nodes"]:
        node.pop("groups"), node.pop("line")
    assert grouped == flat
    a = Run(RunSpec(source=NESTED, iterations=3), Limits()).losses()
    b = Run(RunSpec(source=plain, iterations=3), Limits()).losses()
    assert a == b


def test_a_named_number_belongs_to_the_group_that_first_uses_it():
    source = 'lam = 0.5\nx = input(3)\nwith group("penalty"):\n    s = lam * sum(x ** 2)\n' \
             'loss = s + lam\n'
    assert groups_of(source)["lam"] == ["penalty"]


def test_deep_mlp_preset_declares_its_layers():
    graph = Run(RunSpec(preset="deep-mlp", params={"depth": 3}), Limits()).describe()["graph"]
    groups = {n["id"]: n["groups"] for n in graph["nodes"]}
    assert groups["w1"] == groups["h1"] == ["layer 1"]
    assert groups["h3"] == ["layer 3"]
    assert groups["loss"] == groups["w_out"] == ["output"]
    assert groups["x"] == []
    assert "group" in get_preset("deep-mlp").source_for({"depth": 2, "N": 4})


def _error(source: str) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(source, Limits())
    return caught.value


BODY = "    a = param(2)\n    loss = sum(a * a)\n"


@pytest.mark.parametrize(("header", "column", "words"), [
    ("with group(3):", 12, "a string in quotes"),
    ("with group(name):", 12, "a string in quotes"),
    ('with group(f"x{1}"):', 12, "a string in quotes"),
    ('with group(""):', 12, "cannot be empty"),
    ('with group("   "):', 12, "cannot be empty"),
    (f'with group("{"x" * (MAX_GROUP_CHARS + 1)}"):', 12, f"at most {MAX_GROUP_CHARS}"),
    ('with group("a,b"):', 12, "comma"),
    ('with group("a\\nb"):', 12, "one line"),
    ('with group(" a"):', 12, "start or end with a space"),
    ('with open("secrets"):', 6, "only for groups"),
    ("with lock:", 6, "only for groups"),
    ('with group("a") as g:', 20, "no `as`"),
    ('with group("a"), group("b"):', 1, "one group per `with`"),
    ("with group():", 6, "takes one name"),
    ('with group("a", "b"):', 6, "takes one name"),
    ('with group(name="a"):', 6, "takes one name"),
])
def test_a_bad_group_header_is_refused_at_its_line_and_column(header, column, words):
    error = _error(f"x = input(2)\n{header}\n{BODY}")
    assert (error.line, error.column) == (2, column), error.message
    assert words in error.detail


def test_nesting_is_limited():
    lines, indent = [], ""
    for depth in range(MAX_GROUP_DEPTH + 1):
        lines.append(f'{indent}with group("g{depth}"):')
        indent += "    "
    lines += [f"{indent}a = param(2)", f"{indent}loss = sum(a * a)"]
    error = _error("\n".join(lines) + "\n")
    assert (error.line, error.column) == (MAX_GROUP_DEPTH + 1, 4 * MAX_GROUP_DEPTH + 1)
    assert f"at most {MAX_GROUP_DEPTH} deep" in error.detail


def test_the_number_of_groups_is_limited():
    lines = ["a = param(2)", "t0 = a * 1"]
    for i in range(1, MAX_GROUPS + 2):
        lines += [f'with group("g{i}"):', f"    t{i} = t{i - 1} * 1"]
    lines.append(f"loss = sum(t{MAX_GROUPS + 1})")
    error = _error("\n".join(lines) + "\n")
    assert f"at most {MAX_GROUPS} groups" in error.detail
    assert error.line == 2 * MAX_GROUPS + 3


def test_a_group_name_is_used_once():
    source = ('a = param(2)\nwith group("layer"):\n    b = a * 2\n'
              'with group("layer"):\n    c = b * 2\nloss = sum(c)\n')
    error = _error(source)
    assert (error.line, error.column) == (4, 12)
    assert "already used at line 2, column 1" in error.detail


def test_a_group_holds_a_node():
    error = _error('a = param(2)\nwith group("numbers"):\n    n = 3\nloss = sum(a * n)\n')
    assert (error.line, error.column) == (2, 1)
    assert "holds no node" in error.detail


def test_a_group_cannot_share_a_node_id():
    error = _error('a = param(2)\nwith group("h"):\n    h = a * 2\nloss = sum(h)\n')
    assert (error.line, error.column) == (2, 1)
    assert "name of a node" in error.detail


def test_functions_are_defined_outside_groups():
    source = ('x = input(2)\nwith group("defs"):\n    def f(v):\n        return v * 2\n'
              '    y = f(x)\nloss = sum(y)\n')
    error = _error(source)
    assert (error.line, error.column) == (3, 5)
    assert "outside any `with group" in error.detail


def test_group_called_as_a_function_explains_the_block():
    error = _error('a = param(2)\nloss = sum(group("x") * a)\n')
    assert (error.line, error.column) == (2, 12)
    assert 'with group("name"):' in error.detail


def test_other_statements_inside_a_group_are_refused_as_outside():
    error = _error('a = param(2)\nwith group("g"):\n    import os\n    loss = sum(a)\n')
    assert (error.line, error.column) == (3, 5)
    assert "imports are not allowed" in error.detail
