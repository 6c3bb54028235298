"""Package layout rules: families never import each other, no import cycles, `import causalkit` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "causalkit"
FAMILIES = ["debias", "iv", "compositional", "deconfound", "rep4ex", "network", "solvers"]
SHARED = {"_base", "graphs", "datasets", "exceptions"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every causalkit module imported anywhere in the file (module level or inside functions)."""
    tree = ast.parse(path.read_text())
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    )
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("causalkit"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("causalkit"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
    return found


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("family", FAMILIES)
def test_families_import_only_shared_layers(family):
    offenders = []
    for path in (PACKAGE / family).rglob("*.py"):
        for target in _imports(path):
            parts = target.split(".")
            if len(parts) < 2 or parts[1] == family or parts[1] in SHARED:
                continue
            if parts[1] in FAMILIES:
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {target}")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycles_between_modules():
    modules = _all_modules()
    graph = {}
    for name, path in modules.items():
        graph[name] = {t for t in _imports(path) if t in modules and t != name}
        # importing a package runs its __init__, which is not a cycle with its own submodules
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_import_causalkit_is_light():
    code = (
        "import sys, causalkit; heavy = {'torch', 'torch_geometric', 'cvxpy', 'dask', 'matplotlib'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
