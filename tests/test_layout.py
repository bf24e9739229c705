"""The package's layout: one wing per pipeline stage, imports only downward, no circles.

Read from the source files (no import of sitecircle), so a broken layout fails here with the
offending module and line, not as an ImportError somewhere else.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sitecircle"

#: Pipeline order: a module may import its own wing and the wings of a lower rank, never higher.
RANKS = {
    # leaves every stage may use
    "errors": 0, "geodesy": 0, "chinacoords": 0, "files": 0, "solution_status": 0,
    "_version": 0, "parallel": 0, "solution": 0, "formatting": 0, "stopping": 0,
    "streets": 1,
    "instance": 2, "datasets": 2, "synthetic": 2,
    "travel": 3, "verifier": 3,
    "model": 4,
    "engines": 5,
    "backends": 6,
    "solving": 7,
    "outputs": 8,
    "scenarios": 9,
    "cli": 10, "__init__": 10, "__main__": 10,
}
#: The verifier shares no code with the stages it checks.
VERIFIER_MAY_IMPORT = {"errors", "geodesy", "solution_status", "solution", "files", "streets",
                       "instance", "verifier"}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _wing(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for n in ast.walk(node))
    return ids


def _imports(modules: dict[str, Path]) -> list[tuple[str, str, int, bool]]:
    """Every runtime import of a package module: (importer, imported, line, inside a function)."""
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        in_function = {id(n) for f in ast.walk(tree)
                       if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                       for n in ast.walk(f)}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] == "sitecircle":
                    targets.append(node.module)
                    targets += [f"{node.module}.{a.name}" for a in node.names
                                if f"{node.module}.{a.name}" in modules]
            elif isinstance(node, ast.Import):
                targets += [a.name for a in node.names if a.name.split(".")[0] == "sitecircle"]
            for target in targets:
                if target in modules and target != name:
                    found.append((name, target, node.lineno, id(node) in in_function))
    return found


MODULES = _modules()
IMPORTS = _imports(MODULES)


def test_every_wing_has_a_rank() -> None:
    unknown = sorted({_wing(m) for m in MODULES} - set(RANKS))
    assert not unknown, f"give these wings a rank in RANKS: {unknown}"


def test_nothing_imports_upward() -> None:
    upward = [f"{a}:{line} imports {b}" for a, b, line, _ in IMPORTS
              if RANKS[_wing(b)] > RANKS[_wing(a)]]
    assert not upward, "\n".join(upward)


def test_no_import_circle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b, _, _ in IMPORTS:
        graph[a].add(b)
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [])
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_no_package_import_inside_functions() -> None:
    inside = [f"{a}:{line} imports {b}" for a, b, line, nested in IMPORTS if nested]
    assert not inside, "\n".join(inside)


def test_verifier_is_independent() -> None:
    bad = [f"{a}:{line} imports {b}" for a, b, line, _ in IMPORTS
           if _wing(a) == "verifier" and _wing(b) not in VERIFIER_MAY_IMPORT]
    assert not bad, "\n".join(bad)


def test_no_private_name_across_wings() -> None:
    bad = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("sitecircle.")
                    and _wing(node.module) != _wing(name)):
                bad += [f"{name}:{node.lineno} imports {node.module}.{a.name}"
                        for a in node.names if a.name.startswith("_")
                        and a.name != "__version__"]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES}): split it"


def test_wing_init_only_reexports() -> None:
    bad = []
    for name, path in MODULES.items():
        if path.name != "__init__.py" or name == "sitecircle":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            all_list = (isinstance(node, ast.Assign)
                        and [getattr(t, "id", None) for t in node.targets] == ["__all__"])
            if not (docstring or all_list or isinstance(node, ast.Import | ast.ImportFrom)):
                bad.append(f"{name}:{node.lineno}")
    assert not bad, "wing __init__ files only re-export: " + ", ".join(bad)
