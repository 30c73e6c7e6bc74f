"""The shape of the package: no import circles, the layers in order, no oversized files.

The import graph is read from the source (``ast``), not from a running interpreter, so it sees
every ``import`` statement: at module level and inside functions alike, since a function-level
import that closes a circle is a circle that merely fails later. Imports under
``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import rtdkit

PACKAGE = Path(rtdkit.__file__).parent
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (n for child in node.orelse for n in _imports_in(child))
            continue
        yield from _imports_in(node)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modules of this package that an import statement executes, by name."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _absolute(module, node)
        # `from pkg import sub` imports the module pkg.sub; `from pkg import name`, pkg itself.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    targets = set()
    for name in names:
        while name and name not in MODULES:  # `import rtdkit._cone` (native) is no edge
            name = name.rpartition(".")[0] if "." in name else ""
        if name and name != module:
            targets.add(name)
    return targets


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = {t for node in _imports(tree) for t in _targets(module, node)}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


GRAPH = _graph()


def test_the_graph_reader_sees_module_and_function_level_imports() -> None:
    # Known edges of each kind, so that the acyclicity test below cannot pass vacuously.
    assert "rtdkit.baselines._cka" in GRAPH["rtdkit.baselines"]  # module level
    assert "rtdkit.divergence" in GRAPH["rtdkit.measures"]  # module level, a name
    assert "rtdkit.plot" in GRAPH["rtdkit.barcode"]  # inside a method
    assert not any("matplotlib" in t for t in GRAPH["rtdkit.plot"])  # only our modules


def test_circles_are_found() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}}) == [
        ["a", "b", "c"],
        ["d", "e"],
    ]
    assert _circles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_import_circles() -> None:
    circles = _circles(GRAPH)
    assert not circles, "import circles among: " + "; ".join(" <-> ".join(c) for c in circles)


def test_no_module_imports_the_top_level_facade() -> None:
    # rtdkit/__init__.py re-exports names lazily from the modules; a module that imported
    # them back from `rtdkit` would sit above and below the facade at once.
    offenders = sorted(m for m, targets in GRAPH.items() if "rtdkit" in targets)
    assert not offenders


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("rtdkit.baselines", "rtdkit.divergence"),  # the maths below RTD and the registry
        ("rtdkit.baselines", "rtdkit.measures"),
        ("rtdkit.divergence", "rtdkit.measures"),
        ("rtdkit.divergence", "rtdkit.stats"),  # t_interval comes from rtdkit._intervals
        ("rtdkit._intervals", "rtdkit.divergence"),
        ("rtdkit.plot", "rtdkit.measures"),
    ],
)
def test_lower_layers_do_not_reach_up(lower: str, upper: str) -> None:
    def below(module: str) -> bool:
        return module == lower or module.startswith(lower + ".")

    reached: set[str] = set()
    todo = [m for m in GRAPH if below(m)]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in reached:
                reached.add(target)
                todo.append(target)
    assert not any(t == upper or t.startswith(upper + ".") for t in reached), (
        f"{lower} imports {upper} (directly or through other modules)"
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_oversized_module(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by concern"
