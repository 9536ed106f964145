"""The house rules of asset_client/, checked statically: ast over the source, nothing imported.

What it guards (issue 16, "Must hold"): no import circle, lazy (function-level) and
``TYPE_CHECKING`` imports included; no import from a lower layer to a higher one; no module
over 450 lines; no function over 60 lines outside the pure walk and the sandbox; only the
public faces at the top of the package; no branch on a dataset's name outside ``endpoints/``.
The sharp edge: it reads only ``import`` statements and ``importlib.import_module("...")``
with a literal name, so an import built from a computed string goes unseen.  Each rule runs
once per area (``core``, ``client``... and ``faces`` for the top-level modules), so a failure
names the area, the module or function, the line and the number that broke the rule.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import attrs
import pytest

PACKAGE: Final = "asset_client"
ROOT: Final = Path(__file__).resolve().parent.parent / PACKAGE

MAX_MODULE_LINES: Final = 450
MAX_FUNCTION_LINES: Final = 60
#: Exempt from the function-length rule: the walk's one state machine, and the test server.
LONG_FUNCTIONS_ALLOWED: Final = ("asset_client.core.walk", "asset_client.sandbox")

#: Low to high; a module may import its own layer and the ones below it.
LAYERS: Final = (
    ("errors", "records"),
    ("core",),
    ("endpoints",),
    ("limit",),
    ("client",),
    # optional (pyarrow): records as Arrow/pandas; the Parquet export's columns
    ("frames",),
    ("export",),
    ("store",),
    ("watch", "dashboard"),
    ("cli",),
    # optional (dlt): a face over the client for data pipelines; nothing imports it
    ("integrations",),
)
#: What the sandbox (a leaf beside the layers) may import from the package.
SANDBOX_MAY_IMPORT: Final = (
    "asset_client.core.signing",
    "asset_client.records",
    "asset_client.errors",
)
#: Who may import the sandbox (a leaf test server, not a layer): what can start it for
#: ``--sandbox`` (the export run's connection, the store's demo days, the commands).
SANDBOX_IMPORTED_BY: Final = ("export", "store", "watch", "dashboard", "cli")
#: The package's faces: they may import anything, and nothing inside may import them.
FACES: Final = ("asset_client", "asset_client.__main__")
TOP_LEVEL_FILES: Final = frozenset(
    {"__init__.py", "__main__.py", "errors.py", "records.py", "py.typed"}
)
DATASET_NAMES: Final = frozenset({"assets", "invitees", "volume"})


@attrs.frozen
class Module:
    name: str  # dotted; a package's __init__ is the package's own name
    path: Path
    tree: ast.Module
    lines: int

    @property
    def area(self) -> str:
        """``core``, ``client``...; ``faces`` for the modules at the top of the package."""
        parts = self.name.split(".")
        is_package = self.path.name == "__init__.py"
        return parts[1] if len(parts) > 2 or (len(parts) == 2 and is_package) else "faces"

    @property
    def package(self) -> str:
        """Where a relative import in this module starts from."""
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


@attrs.frozen
class Import:
    target: str  # a module of the package
    line: int


def load(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Module]:
    """Every module under ``root``, parsed (never imported)."""
    modules: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        modules[".".join(parts)] = Module(".".join(parts), path, tree, len(text.splitlines()))
    return modules


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _named(module: Module, node: ast.AST, known: set[str]) -> list[str]:
    """The dotted names ``node`` imports, if it is an import."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        source = _resolve(module, node)
        # `from pkg import sub` imports the submodule; `from mod import name` the module.
        subs = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in known]
        return subs if len(subs) == len(node.names) else [source, *subs]
    if isinstance(node, ast.Call) and _call_name(node) in {"import_module", "__import__"}:
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [first.value]
    return []


def imports_of(module: Module, known: set[str]) -> Iterator[Import]:
    """Every import of a package module anywhere in ``module`` (function bodies included)."""
    for node in ast.walk(module.tree):
        for name in _named(module, node, known):
            # `import a.b.c` of a module that is not there: the nearest enclosing one.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module.name:
                yield Import(name, getattr(node, "lineno", 0))


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def import_graph(modules: dict[str, Module]) -> dict[str, dict[str, int]]:
    """module -> {imported module: line of the first such import}."""
    known = set(modules)
    graph: dict[str, dict[str, int]] = {}
    for name, module in modules.items():
        edges: dict[str, int] = {}
        for imp in imports_of(module, known):
            edges.setdefault(imp.target, imp.line)
        graph[name] = edges
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One import circle per strongly connected group of modules, as a path back to its start."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan; the graph is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                groups.append(_cycle_in(sorted(group), graph))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _cycle_in(group: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt == start:
                    return [*paths[node], start]
                if nxt in members and nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - Tarjan's promise


def _layer(name: str) -> int | None:
    parts = name.split(".")
    for rank, areas in enumerate(LAYERS):
        if len(parts) > 1 and parts[1] in areas:
            return rank
    return None


def layer_violation(importer: str, target: str) -> str | None:
    """Why ``importer`` may not import ``target``; None if it may."""
    if importer in FACES:
        return None
    if target in FACES:
        return "imports the package's public face (only the outside world may)"
    if importer.startswith(f"{PACKAGE}.sandbox"):
        allowed = target.startswith(f"{PACKAGE}.sandbox") or target in SANDBOX_MAY_IMPORT
        return None if allowed else f"sandbox may import only {', '.join(SANDBOX_MAY_IMPORT)}"
    if target.startswith(f"{PACKAGE}.sandbox"):
        allowed = importer.split(".")[1] in SANDBOX_IMPORTED_BY
        return (
            None
            if allowed
            else "only export, store and cli may start the sandbox (a test server, not a layer)"
        )
    own, other = _layer(importer), _layer(target)
    if own is None or other is None:
        return f"{importer if own is None else target} belongs to no layer"
    if other > own:
        return f"upward: layer {own} ({'/'.join(LAYERS[own])}) imports layer {other}"
    return None


def _functions(module: Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualified name, node) of every function and method, nested ones included."""

    def walk(
        node: ast.AST, prefix: str
    ) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{prefix}{child.name}", child
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(module.tree, "")


def _dataset_literals(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and node.value in DATASET_NAMES:
        return [str(node.value)]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [name for elt in node.elts for name in _dataset_literals(elt)]
    return []


def dataset_comparisons(module: Module) -> list[tuple[int, str]]:
    """(line, name) of each comparison of something with a dataset's name, in line order."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                found.extend((node.lineno, name) for name in _dataset_literals(operand))
        elif isinstance(node, ast.MatchValue):
            found.extend((node.lineno, name) for name in _dataset_literals(node.value))
    return sorted(found)


# -- the rules, one test per area ------------------------------------------------------------

MODULES: Final = load()
GRAPH: Final = import_graph(MODULES)
AREAS: Final = sorted({module.area for module in MODULES.values()})


def _in(area: str) -> list[Module]:
    return [module for module in MODULES.values() if module.area == area]


def _report(rule: str, problems: list[str]) -> None:
    assert not problems, f"{rule}: {len(problems)} violation(s)\n  " + "\n  ".join(problems)


def test_no_import_circle() -> None:
    problems = [
        " -> ".join(f"{a} (line {GRAPH[a][b]})" for a, b in itertools.pairwise(cycle))
        + f" -> {cycle[-1]}"
        for cycle in circles(GRAPH)
    ]
    _report("import circles (lazy imports included)", problems)


@pytest.mark.parametrize("area", AREAS)
def test_imports_follow_the_layers(area: str) -> None:
    problems = [
        f"{module.name} line {line} imports {target}: {why}"
        for module in _in(area)
        for target, line in GRAPH[module.name].items()
        if (why := layer_violation(module.name, target)) is not None
    ]
    _report("imports against the layers", problems)


@pytest.mark.parametrize("area", AREAS)
def test_no_module_too_long(area: str) -> None:
    problems = [
        f"{module.name}: {module.lines} lines (max {MAX_MODULE_LINES})"
        for module in _in(area)
        if module.lines > MAX_MODULE_LINES
    ]
    _report("modules too long", problems)


@pytest.mark.parametrize("area", AREAS)
def test_no_function_too_long(area: str) -> None:
    problems = [
        f"{module.name}:{qualname} (line {node.lineno}): {length} lines (max {MAX_FUNCTION_LINES})"
        for module in _in(area)
        if not module.name.startswith(LONG_FUNCTIONS_ALLOWED)
        for qualname, node in _functions(module)
        if (length := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    ]
    _report("functions too long", problems)


def test_only_the_public_faces_at_the_top() -> None:
    problems = []
    for entry in sorted(ROOT.iterdir()):
        if entry.name == "__pycache__" or entry.name in TOP_LEVEL_FILES:
            continue
        if not (entry.is_dir() and (entry / "__init__.py").is_file()):
            problems.append(f"{PACKAGE}/{entry.name}: neither a public face nor a package")
    _report("top level of the package", problems)


@pytest.mark.parametrize("area", [area for area in AREAS if area != "endpoints"])
def test_no_branch_on_a_dataset_name(area: str) -> None:
    problems = [
        f"{module.name} line {line}: compares with {name!r} (ask the endpoint instead)"
        for module in _in(area)
        for line, name in dataset_comparisons(module)
    ]
    _report("dataset names compared outside endpoints/", problems)


# -- the checker checks itself on a made-up package ---------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Module]:
    root = tmp_path / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return load(root)


def test_a_lazy_import_circle_is_found(tmp_path: Path) -> None:
    modules = _package(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/a.py": "from asset_client.core import b\n",
            "core/b.py": "def f() -> None:\n    from . import a\n",
            "core/c.py": "import asset_client.core.a\n",
        },
    )
    graph = import_graph(modules)
    assert graph["asset_client.core.b"] == {"asset_client.core.a": 2}
    assert circles(graph) == [["asset_client.core.a", "asset_client.core.b", "asset_client.core.a"]]


def test_upward_and_sandbox_imports_are_refused(tmp_path: Path) -> None:
    modules = _package(
        tmp_path,
        {
            "core/__init__.py": "from ..client.x import y\n",
            "client/__init__.py": "",
            "client/x.py": "from asset_client.sandbox import run\n",
            "sandbox/__init__.py": "from asset_client.core.signing import sign\n",
        },
    )
    graph = import_graph(modules)
    assert graph["asset_client.core"] == {"asset_client.client.x": 1}
    assert "upward" in str(layer_violation("asset_client.core", "asset_client.client.x"))
    assert layer_violation("asset_client.client.x", "asset_client.sandbox") is not None
    assert layer_violation("asset_client.cli.main", "asset_client.sandbox._cli") is None
    assert layer_violation("asset_client.sandbox", "asset_client.core.signing") is None
    assert layer_violation("asset_client.sandbox", "asset_client.core.query") is not None
    assert layer_violation("asset_client.export.run", "asset_client") is not None
    assert layer_violation("asset_client", "asset_client.cli.main") is None


def test_long_functions_and_dataset_branches_are_found(tmp_path: Path) -> None:
    body = "".join(f"        x = {n}\n" for n in range(60))
    source = f"class K:\n    def m(self) -> None:\n{body}\n\ndef f(name: str) -> bool:\n"
    source += "    return name in ('assets', 'other') or name == \"volume\"\n"
    module = _package(tmp_path, {"cli/__init__.py": "", "cli/m.py": source})["asset_client.cli.m"]
    lengths = {name: (node.end_lineno or 0) - node.lineno + 1 for name, node in _functions(module)}
    assert lengths == {"K.m": 61, "f": 2}
    assert dataset_comparisons(module) == [(66, "assets"), (66, "volume")]
    assert module.area == "cli"
