"""app.engine.language.vocabulary: the language's names, each read from the op table."""

from __future__ import annotations

import builtins

import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.language.parser import parse
from app.engine.language.vocabulary import FUNCTIONS, LEAVES, MAX_DEPTH, RESERVED, RESERVED_PREFIXES
from app.engine.ops.registry import REGISTRY


def test_every_called_op_and_every_alias_is_a_function_of_its_op():
    called = {name for name, op in REGISTRY.items() if op.syntax == "call"}
    aliases = {alias: op.name for op in REGISTRY.values() for alias in op.names}
    assert FUNCTIONS == {**{name: name for name in called}, **aliases}
    assert FUNCTIONS["dot"] == "matmul" and FUNCTIONS["pow"] == "power"
    assert "add" not in FUNCTIONS  # written `+`, never called by name


def test_every_function_leaf_and_builtin_is_reserved():
    assert set(LEAVES) | set(FUNCTIONS) | set(dir(builtins)) | {"np", "F", "torch"} <= RESERVED


@pytest.mark.parametrize("name", ["relu", "param", "len", "np", "dot", "F"])
def test_a_reserved_name_cannot_be_assigned(name):
    with pytest.raises(SourceError) as error:
        parse(f"x = input(3)\n{name} = x + 1\nloss = sum({name})\n", Limits())
    assert error.value.line == 2


@pytest.mark.parametrize("prefix", sorted(RESERVED_PREFIXES))
def test_the_scripts_own_prefixes_are_refused_with_their_reason(prefix):
    with pytest.raises(SourceError, match=RESERVED_PREFIXES[prefix].split(" (")[0]):
        parse(f"x = input(3)\n{prefix}x = x + 1\nloss = sum({prefix}x)\n", Limits())


def test_an_expression_nests_at_most_max_depth():
    deep = "x = input(3)\nloss = sum(" + "tanh(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH + ")\n"
    with pytest.raises(SourceError, match="deep"):
        parse(deep, Limits())
    shallow = "x = input(3)\nloss = sum(" + "tanh(" * 10 + "x" + ")" * 10 + ")\n"
    assert parse(shallow, Limits()).loss == "loss"
