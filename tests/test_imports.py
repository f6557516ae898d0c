"""The import structure of app/: no module imports another's private name, and no import cycle.

Every `import` and `from … import` of app/ is read with `ast` (inside functions too, so a cycle
cannot hide in a late import); imports under `if TYPE_CHECKING:` are for annotations only and
never run, so they are not edges.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"


def _modules() -> dict[str, tuple[Path, list[str]]]:
    """Module name -> (file, the package its relative imports start from)."""
    out = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        package = parts[:-1]
        if parts[-1] == "__init__":
            parts = package
        out[".".join(parts)] = (path, package)
    return out


def _runtime_nodes(tree: ast.AST):
    """Every node, leaving out the bodies of `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports() -> tuple[dict[str, set[str]], list[str]]:
    """(module -> the app modules it imports, the private names imported across modules)."""
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    private = []
    for name, (path, package) in modules.items():
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges[name] |= {a.name for a in node.names if a.name in modules} - {name}
            if not isinstance(node, ast.ImportFrom):
                continue
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}"
                module = full if full in modules else target
                if module in modules and module != name:
                    edges[name].add(module)
                if full not in modules and alias.name.startswith("_") \
                        and not alias.name.startswith("__") and target.startswith("app"):
                    private.append(f"{name} imports {alias.name} from {target}")
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_private_name_is_imported_across_modules():
    assert imports()[1] == []


def test_no_import_cycle_in_app():
    assert cycles(imports()[0]) == []


def test_the_checks_see_a_cycle_and_a_private_import():
    """The checks can fail: a made-up pair of modules importing each other is one cycle."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    edges, _ = imports()
    assert "app.engine.ops.registry" in edges["app.engine.language.parser"]  # relative imports resolved
