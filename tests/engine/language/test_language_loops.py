"""Spellings, rebinding, loops and lists of the language (issue 25): what each builds, every
misuse refused at its line and column with what is allowed, and loops bounded before they are
unrolled."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.core.errors import LimitError, SourceError
from app.engine.core.limits import Limits
from app.engine.language import parser as language
from app.engine.language.parser import parse
from app.engine.language.spellings import PREFIXES, SPELLINGS
from app.engine.ops.registry import REGISTRY

LIMITS = Limits()
HEAD = "x = input(3, 4)\nw = param(4, 2)\n"


def error_of(source: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse(source, LIMITS)
    return info.value


def ops_of(source: str) -> list[tuple]:
    graph = parse(source, LIMITS)
    return [(graph.nodes[n].op, graph.nodes[n].attrs, graph.nodes[n].shape)
            for n in graph.order if graph.nodes[n].kind == "op"]


# ----- spellings: each is the one registry op -----

@pytest.mark.parametrize("spelled, plain", [
    ("x.dot(w)", "x @ w"), ("np.dot(x, w)", "x @ w"), ("torch.mm(x, w)", "x @ w"),
    ("x.matmul(w)", "x @ w"), ("np.maximum(x @ w, 0)", "maximum(x @ w, 0)"),
    ("np.square(x @ w).sum()", "sum(square(x @ w))"),
    ("(x @ w).relu().sum()", "sum(relu(x @ w))"), ("torch.relu(x @ w)", "relu(x @ w)"),
    ("F.softmax(x @ w, dim=1)", "softmax(x @ w, axis=1)"),
    ("F.softmax(x @ w, 1)", "softmax(x @ w, axis=1)"),
    ("torch.nn.functional.log_softmax(x @ w, dim=0)", "log_softmax(x @ w, axis=0)"),
    ("x.mean(dim=0)", "mean(x, axis=0)"), ("x.mean(0)", "mean(x, axis=0)"),
    ("x.sum(axis=1)", "sum(x, axis=1)"), ("x.sum(dim=1, keepdim=True)", "sum(x, axis=1, keepdims=True)"),
    ("x.sum(1, True)", "sum(x, axis=1, keepdims=True)"),
    ("x.max(axis=0)", "max(x, axis=0)"), ("torch.amax(x, dim=1)", "max(x, axis=1)"),
    ("torch.max(x, x * 2)", "maximum(x, x * 2)"), ("x.min(0)", "min(x, axis=0)"),
    ("np.max(x, None)", "max(x)"), ("np.min(x, (0, 1))", "min(x, axis=(0, 1))"),
    ("torch.min(x, 2.5)", "minimum(x, 2.5)"),
    ("x.tanh()", "tanh(x)"), ("x.exp()", "exp(x)"), ("np.exp(x)", "exp(x)"),
    ("numpy.log1p(x * x)", "log1p(x * x)"), ("x.sigmoid()", "sigmoid(x)"),
    ("x.pow(2)", "x ** 2"), ("np.power(x, 3)", "x ** 3"), ("torch.pow(x, x)", "x ** x"),
    ("x.square()", "square(x)"), ("x.t()", "x.T"), ("x.transpose()", "x.T"),
    ("np.transpose(x)", "x.T"), ("x.reshape(2, 6)", "reshape(x, (2, 6))"),
    ("x.reshape((6, 2))", "reshape(x, (6, 2))"), ("x.view(-1)", "reshape(x, (-1,))"),
    ("x.clamp(min=0)", "maximum(x, 0)"), ("x.clamp(max=1)", "minimum(x, 1)"),
    ("x.clamp(min=-1, max=2)", "clip(x, min=-1, max=2)"),
    ("np.clip(x, a_min=0, a_max=1)", "clip(x, min=0, max=1)"),
    ("np.add(x, 1)", "x + 1"), ("torch.sub(x, 1)", "x - 1"), ("np.multiply(x, x)", "x * x"),
    ("np.divide(x, 2)", "x / 2"), ("x.div(2)", "x / 2"), ("np.negative(x)", "-x"),
    ("x.neg()", "-x"), ("torch.cat([x, x], dim=1)", "concatenate([x, x], axis=1)"),
    ("torch.cat((x, x), 1)", "concatenate([x, x], axis=1)"),
    ("np.stack([x, x])", "stack([x, x])"), ("np.linalg.norm(x, axis=1)", "norm(x, axis=1)"),
    ("x.norm()", "norm(x)"), ("F.leaky_relu(x, negative_slope=0.2)", "leaky_relu(x, slope=0.2)"),
    ("F.leaky_relu(x, 0.2)", "leaky_relu(x, slope=0.2)"), ("F.logsigmoid(x)", "log_sigmoid(x)"),
    ("x.std(axis=0)", "std(x, axis=0)"), ("x.var()", "var(x)"),
    ("torch.std(x, dim=0, correction=0)", "std(x, axis=0)"),
    ("x.var(dim=1, unbiased=False)", "var(x, axis=1)"), ("np.std(x, ddof=0)", "std(x)"),
    ("sum(x, dim=1, keepdim=True)", "sum(x, axis=1, keepdims=True)"),
    ("softmax(x, dim=0)", "softmax(x, axis=0)"), ("std(x, ddof=0)", "std(x)"),
    ("np.absolute(x)", "abs(x)"), ("x.abs()", "abs(x)"), ("np.amin(x)", "min(x)"),
])
def test_a_spelling_is_the_registry_s_op(spelled, plain):
    program = "x = input(3, 4)\nw = param(4, 2)\nloss = sum({}) + sum(w)\n"
    assert ops_of(program.format(spelled)) == ops_of(program.format(plain))


def test_every_op_has_a_numpy_a_pytorch_and_a_method_spelling():
    """Derived from the registry: each op under every prefix and as a method."""
    spelled = set(SPELLINGS.values()) | {"pow"}  # pow and power with a constant exponent
    assert spelled == set(REGISTRY) - {"index", "matmul_nd"}
    assert {"np", "numpy", "torch", "F", "torch.nn.functional"} <= PREFIXES


def test_a_spelled_node_is_labelled_as_written():
    graph = parse(HEAD + "h = x.dot(w)\nloss = np.square(h - 1).sum()\n", LIMITS)
    labels = [graph.nodes[n].label for n in graph.order]
    assert "np.square(h - 1)" in labels and graph.nodes["h"].op == "matmul"


# ----- rebinding and augmented assignment -----

def test_rebinding_makes_a_new_node_each_time_and_the_loss_is_the_last_assignment():
    graph = parse(HEAD + "h = x @ w\nh = relu(h)\nh -= 1\nh *= h\nloss = sum(h)\nloss /= 2\n",
                  LIMITS)
    assert [n for n in graph.order if graph.nodes[n].named and graph.nodes[n].kind == "op"] \
        == ["h", "h_2", "h_3", "h_4", "loss", "loss_2"]
    assert graph.loss == "loss_2"
    assert graph.nodes["h_4"].inputs == ("h_3", "h_3")
    assert graph.nodes["h_3"].expr == "h_2 - 1"


def test_a_version_never_takes_a_name_the_source_uses():
    graph = parse(HEAD + "h = x @ w\nh_2 = h * 2\nh = relu(h_2)\nloss = sum(h)\n", LIMITS)
    assert graph.nodes["h_2"].op == "mul" and graph.nodes["h_2_"].op == "relu"
    assert all(n.isidentifier() for n in graph.order)


def test_a_name_may_name_another_node_before_a_loop():
    graph = parse(HEAD + "h = x\nh = h @ w\nloss = sum(h)\n", LIMITS)
    assert graph.nodes["h"].inputs == ("x", "w")


def test_a_leaf_may_be_declared_again():
    graph = parse("w = param(2)\nv = w * 2\nw = param(2)\nloss = sum(v * w)\n", LIMITS)
    assert graph.nodes["w_2"].kind == "param" and graph.nodes["w_2"].label == "w_2"


def test_seed_style_unpacking_of_named_numbers():
    graph = parse("N, D = 3, 4\nx = input(N, D)\nloss = sum(x * 2)\n", LIMITS)
    assert graph.nodes["x"].shape == (3, 4)


# ----- loops and lists -----

NESTED = """x = input(2, 4)
W = [param(4, 4, scale=0.5) for k in range(3)]
h = x
for i in range(2):
    for j in range(1, 3):
        h = h + tanh(h @ W[i + j - 1])
for i in range(1):
    h = h * 2
loss = sum(h * x[1])
"""


def test_nested_loops_unroll_one_group_per_pass():
    graph = parse(NESTED, LIMITS)
    groups = [graph.nodes[n].groups for n in graph.order if graph.nodes[n].named
              and graph.nodes[n].kind == "op"]
    assert groups == [("i=0", "i=0 j=1"), ("i=0", "i=0 j=2"), ("i=1", "i=1 j=1"),
                      ("i=1", "i=1 j=2"), ("i=0 (line 7)",), ()]
    matmuls = [graph.nodes[n] for n in graph.order if graph.nodes[n].op == "matmul"]
    assert [m.inputs[1] for m in matmuls] == ["W_0", "W_1", "W_1", "W_2"]
    assert [m.label for m in matmuls] == ["x @ W_0", "h @ W_1", "h_2 @ W_1", "h_3 @ W_2"]


ZIPPED = """x = input(2, 3)
W = [param(3, 3) for k in range(3)]
B = [param(3) for k in range(3)]
h = x
{loop}
loss = sum(h)
"""


@pytest.mark.parametrize("loop", [
    "for w, b in zip(W, B):\n    h = relu(h @ w + b)",
    "for i, w in enumerate(W):\n    h = relu(h @ w + B[i])",
    "for i, w, b in zip(range(3), W, B):\n    h = relu(h @ w + b)",
])
def test_a_loop_over_lists_is_the_loop_over_their_indices(loop):
    indexed = ops_of(ZIPPED.format(loop="for i in range(3):\n    h = relu(h @ W[i] + B[i])"))
    assert ops_of(ZIPPED.format(loop=loop)) == indexed
    graph = parse(ZIPPED.format(loop=loop), LIMITS)
    assert graph.nodes["h_3"].inputs[0] != graph.nodes["h_2"].inputs[0]
    assert [graph.nodes[n].label for n in graph.order if graph.nodes[n].op == "matmul"] == \
        ["x @ W_0", "h @ W_1", "h_2 @ W_2"]
    assert graph.nodes["h_2"].groups[0] in ("w=W_1 b=B_1", "i=1 w=W_1", "i=1 w=W_1 b=B_1")


def test_a_loop_variable_is_a_number_in_formulas_and_indices():
    graph = parse("x = input(3, 4)\nh = x * 1\nfor i in range(3):\n    h = h + x[i] * i\n"
                  "loss = sum(h)\n", LIMITS)
    consts = [graph.nodes[n] for n in graph.order if graph.nodes[n].kind == "const"]
    assert [c.init["value"] for c in consts] == [1.0, 0.0, 1.0, 2.0]
    assert [c.label for c in consts] == ["1", "0", "1", "2"]
    assert [graph.nodes[n].attrs["key"] for n in graph.order if graph.nodes[n].op == "index"] \
        == ["0", "1", "2"]


def test_sizes_may_be_formulas_of_named_numbers_and_loop_variables():
    graph = parse("N = 2\nW = [param(N * (i + 1), 3) for i in range(3)]\n"
                  "loss = sum(W[0]) + sum(W[2])\nloss += sum(W[1])\n", LIMITS)
    assert [graph.nodes[f"W_{i}"].shape for i in range(3)] == [(2, 3), (4, 3), (6, 3)]


def test_a_list_element_may_be_an_expression():
    graph = parse("x = input(3)\nP = [x * (k + 1) for k in range(2)]\nloss = sum(P[0] + P[-1])\n",
                  LIMITS)
    assert graph.nodes["P_1"].op == "mul" and graph.nodes["P_1"].label == "P_1"


@pytest.mark.parametrize("source, line, column, message", [
    (HEAD + "for i in range(x):\n    h = x\n", 3, 16, "range() takes constant whole numbers"),
    (HEAD + "for i in [1, 2]:\n    h = x\n", 3, 10, "a loop runs over range(n)"),
    (HEAD + "for i, j in range(2):\n    h = x\n", 3, 5, "a loop's variable is one name"),
    (HEAD + "for i in range(2):\n    h = x * 2\nelse:\n    h = x\n", 6, 5, "for … else"),
    (HEAD + 'for i in range(2):\n    with group("a"):\n        h = x * 2\n', 4, 5,
     "write `with group(...)` around the loop"),
    (HEAD + "for i in range(2):\n    def f(a):\n        return a\n", 4, 5,
     "define functions outside loops"),
    (HEAD + "for i in range(2):\n    n = 3\n", 4, 5, "named numbers are assigned outside loops"),
    (HEAD + "W = [param(2) for i in range(3)]\nfor v in W:\n    n = 3\n", 5, 5,
     "named numbers are assigned outside loops"),
    (HEAD + "for i in range(2):\n    i = x * 2\n", 4, 5, "'i' is the variable of a loop"),
    (HEAD + "for i in range(2):\n    for i in range(2):\n        h = x * 2\n", 4, 9,
     "already the variable of an enclosing loop"),
    (HEAD + "for i in range(2):\n    h = x * 2\nloss = sum(h * i)\n", 5, 16, "undefined name 'i'"),
    (HEAD + "for i in range(3, 1, 0):\n    h = x\n", 3, 22, "step cannot be 0"),
    (HEAD + "for x in range(3):\n    h = w * 2\n", 3, 5, "a loop's variable needs a name"),
    (HEAD + "W = [param(2) for i in range(3)]\nfor w, b in zip(W):\n    h = w * 2\n", 4, 5,
     "this loop gives 1 values per pass"),
    (HEAD + "W = [param(2) for i in range(3)]\nfor w in zip(W, W):\n    h = w * 2\n", 4, 5,
     "this loop gives 2 values per pass"),
    (HEAD + "W = [param(2) for i in range(3)]\nfor i, w in enumerate(W, 1):\n    h = w * 2\n",
     4, 13, "enumerate() takes one list"),
    (HEAD + "W = [param(2) for i in range(3)]\nfor v in W:\n    v = v * 2\n", 5, 5,
     "'v' is the variable of a loop"),
    (HEAD + "for sum in range(2):\n    h = x\n", 3, 5, "'sum' is reserved"),
    (HEAD + "W = [param(2) for i in range(3)]\nloss = sum(W[3])\n", 4, 14, "out of range"),
    (HEAD + "W = [param(2) for i in range(3)]\nloss = sum(W[0:2])\n", 4, 14, "pick one element"),
    (HEAD + "W = [param(2) for i in range(3)]\nloss = sum(W[x])\n", 4, 14,
     "a list's index is a constant whole number"),
    (HEAD + "W = [param(2) for i in range(3)]\nloss = sum(W)\n", 4, 12,
     "W is a list of 3 tensors"),
    (HEAD + "W = [param(2) for i in range(3)]\nW = [param(2) for i in range(3)]\n", 4, 1,
     "'W' is a list and is assigned once"),
    (HEAD + "W = [param(2) for i in range(3) if i]\n", 3, 5, "no `if`"),
    (HEAD + "W = [param(2) for i in range(0)]\n", 3, 24, "at least one tensor"),
    (HEAD + "W = [x for i in range(2)]\n", 3, 6, "only renames"),
    (HEAD + "x[0] += 1\n", 3, 1, "augmented assignment to a subscript"),
    (HEAD + "n = 2\nn += 1\n", 4, 1, "'n' is a number"),
    (HEAD + "q += 1\n", 3, 1, "undefined name 'q'"),
    (HEAD + "h = x * 2\nh //= 2\n", 4, 1, "the operator FloorDiv is not allowed"),
    (HEAD + "N, D = 3\n", 3, 1, "unpacking assigns named numbers only"),
    (HEAD + "loss = sum(np.squre(x))\n", 3, 12, "did you mean np.square()?"),
    (HEAD + "loss = sum(x.sqaure())\n", 3, 12, "unknown method .sqaure(); did you mean .square()?"),
    (HEAD + "loss = sum(x.backward())\n", 3, 12, "is not an op of the language"),
    (HEAD + "loss = sum(math.exp(x))\n", 3, 12, "undefined name"),
    (HEAD + "N = 3\nloss = sum(x * N.exp())\n", 4, 16, "N is a number: a method is called on"),
    (HEAD + "loss = sum(torch.special.expit(x))\n", 3, 12, "unknown module torch.special"),
    (HEAD + "z = np.random.randn(3, 4)\n", 3, 5, "makes data: declare a leaf instead"),
    (HEAD + "loss = sum(torch.std(x, dim=0))\n", 3, 12, "write correction=0"),
    (HEAD + "loss = sum(x.std(ddof=1))\n", 3, 23, "only ddof=0 is allowed"),
    (HEAD + "loss = sum(std(x, dim=1))\n", 3, 12, "write correction=0"),
    (HEAD + "loss = sum(x.transpose(0, 1))\n", 3, 24, "takes no axes"),
    (HEAD + "loss = sum(x.sum(0, True, 3))\n", 3, 27, "takes 1 tensor then axis, keepdims"),
    (HEAD + "loss = sum(x.sum(0, axis=1))\n", 3, 18, "axis is given twice"),
    (HEAD + "loss = sum(np.add(x))\n", 3, 12, "np.add() takes 2 arguments, got 1"),
    (HEAD + "loss = sum(x.cat(x))\n", 3, 12, "write it as a function"),
    (HEAD + "loss = sum(x.sum(dtype=1))\n", 3, 24, "sum() takes axis=, keepdims=, not dtype="),
    (HEAD + "torch = param(3)\n", 3, 1, "'torch' is reserved: a module prefix"),
    (HEAD + "loss = sum(x.dot(w, w))\n", 3, 12, "x.dot(w, w)" if False else "takes 2 arguments"),
])
def test_misuse_names_line_and_column(source, line, column, message):
    error = error_of(source)
    assert message in error.detail, error.detail
    assert (error.line, error.column) == (line, column), error.detail


# ----- bounds: counted before unrolling -----

def test_a_loop_past_the_node_limit_is_refused_after_one_pass(monkeypatch):
    built = []
    original = language.Builder.op
    monkeypatch.setattr(language.Builder, "op",
                        lambda self, *a, **k: built.append(1) or original(self, *a, **k))
    source = ("x = input(2)\nh = x * 1\nfor i in range(250):\n    h = tanh(h * 2) + sin(h)\n"
              "loss = sum(h)\n")
    with pytest.raises(LimitError) as info:
        parse(source, LIMITS)
    assert info.value.limit == "max_nodes" and info.value.actual > LIMITS.max_nodes
    assert "the loop at line 3, column 1 would make 5 nodes per pass" in info.value.message
    assert len(built) <= 5  # the first statement and the loop's first pass: nothing more


@pytest.mark.parametrize("source", [
    "x = input(2)\nfor i in range(10 ** 12):\n    h = x * 2\n",
    "x = input(2)\nfor i in range(1000000000000):\n    h = x * 2\n",
    "x = input(2)\nfor i in range(40):\n    for j in range(40):\n        h = x * 2\n",
    "W = [param(2) for i in range(5000)]\n",
])
def test_loops_and_lists_are_bounded_before_they_are_built(source):
    with pytest.raises((LimitError, SourceError)) as info:
        parse(source, LIMITS)
    if isinstance(info.value, LimitError):
        assert info.value.limit == "max_nodes"
    else:
        assert "range() takes constant whole numbers" in info.value.detail  # no ** in bounds


def test_statements_that_make_no_node_still_count_against_the_bound():
    body = "".join(f"    a{k} = x\n" for k in range(300))
    source = f"x = input(2)\nh = x * 1\nfor i in range(200):\n{body}    h = h * 2\nloss = sum(h)\n"
    with pytest.raises(LimitError) as info:
        parse(source, LIMITS)
    assert "the one at line 3, column 1 would read 60200" in info.value.message


def test_loops_nest_as_deep_as_groups():
    source = "x = input(2)\nh = x * 1\n" + "".join(
        "    " * k + f"for i{k} in range(1):\n" for k in range(9)) + "    " * 9 + "h = h * 2\n"
    error = error_of(source + "loss = sum(h)\n")
    assert "groups nest at most 8 deep" in error.detail and error.line == 11


def test_a_loop_of_many_passes_is_refused_when_its_groups_pass_the_limit():
    source = "x = input(2)\nh = x * 1\nfor i in range(300):\n    h = h * 2\nloss = sum(h)\n"
    error = error_of(source)
    assert "each pass of a loop is one" in error.detail and error.line == 3


def test_a_loop_within_the_node_limit_still_meets_the_counted_budget():
    from app.engine.core.run import Run, RunSpec

    source = ("x = input(100, 100)\nW = [param(100, 100) for i in range(100)]\nh = x\n"
              "for i in range(100):\n    h = tanh(h @ W[i])\nloss = sum(h)\n")
    with pytest.raises(LimitError) as info:
        Run(RunSpec(source=source, iterations=5000), LIMITS)
    assert info.value.limit == "max_compute"
    assert Run(RunSpec(source=source, iterations=2), LIMITS).cost.total < LIMITS.max_compute


# ----- generated spellings: each parses to what its plain call does -----

#: ops of one tensor whose attributes are axis and keepdims: spelled every way
REDUCING = sorted(n for n, op in REGISTRY.items() if op.syntax == "call" and op.arity == 1
                  and set(op.attrs) <= {"axis", "keepdims"})


@st.composite
def spelled_calls(draw):
    """(a call written as numpy, PyTorch or a method write it, the plain call, the shape)."""
    op = REGISTRY[draw(st.sampled_from(REDUCING))]
    name = draw(st.sampled_from(sorted(n for n, o in SPELLINGS.items() if o == op.name)))
    shape = draw(st.sampled_from([(3,), (2, 3), (2, 3, 4)]))
    attrs = {}
    if "axis" in op.attrs:
        axes = list(range(-len(shape), len(shape)))
        attrs["axis"] = draw(st.sampled_from(axes + [None] if op.attrs["axis"] is None else axes))
    if "keepdims" in op.attrs:
        attrs["keepdims"] = draw(st.booleans())
    plain = f"{op.name}(x{''.join(f', {k}={v}' for k, v in attrs.items())})"
    style = draw(st.sampled_from(["np", "numpy", "torch", "F", "method", "positional"]))
    pytorch = style in ("torch", "F", "method") and draw(st.booleans())
    given = {{"axis": "dim", "keepdims": "keepdim"}[k]: v for k, v in attrs.items()} \
        if pytorch else dict(attrs)
    if op.name in ("var", "std") and (pytorch or style in ("torch", "F")):
        given["correction"] = 0  # PyTorch's var and std divide by n - 1 unless told
    keywords = ", ".join(f"{k}={v}" for k, v in given.items())
    if style == "method":
        return f"x.{name}({keywords})", plain, shape
    if style == "positional":
        return f"x.{name}({', '.join(str(v) for v in attrs.values())})", plain, shape
    return f"{style}.{name}(x{', ' if keywords else ''}{keywords})", plain, shape


@settings(max_examples=300, deadline=None, derandomize=True)
@given(spelled_calls())
def test_a_generated_spelling_is_its_plain_call(case):
    spelled, plain, shape = case
    program = f"x = param{shape}\nloss = sum({{}})\n"
    assert ops_of(program.format(spelled)) == ops_of(program.format(plain)), spelled
