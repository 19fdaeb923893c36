"""No import cycles in the package: a module never imports (directly or through others) a module that imports it.

The graph is read with ast, not by importing: every `import` and `from ... import`, at module level and inside
functions, absolute and relative, and those under `if TYPE_CHECKING:` too: a module that names its caller's types
depends on its caller as much as one that calls it (sources/services.py and sources/project.py are such a pair).
"""

import ast
import os

import hipaa_scan

PACKAGE_DIR = os.path.dirname(hipaa_scan.__file__)

def modules(root, package):
    """{module name: file} of every module below `root`, the package `package`."""
    found = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            if not name.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(directory, name), root)[:-3].split(os.sep)
            if rel[-1] == "__init__":
                rel = rel[:-1]
            found[".".join([package] + rel)] = os.path.join(directory, name)
    return found


def _imports(tree):
    """The Import and ImportFrom nodes of a module, wherever they are."""
    return (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))


def import_graph(root, package):
    """{module: {modules of the package it imports}}."""
    known = modules(root, package)
    graph = {}
    for name, path in known.items():
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), path)
        here = name if path.endswith("__init__.py") else name.rpartition(".")[0]  # the package `.` refers to
        edges = set()
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parent = here.split(".")
                    parent = parent[:len(parent) - (node.level - 1)]
                    base = ".".join(parent + ([base] if base else []))
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
            for target in targets:
                while target and target not in known:  # `import a.b.c` of a name inside a module: its module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        work = [(node, iter(sorted(graph.get(node, ()))))]
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[current] = min(low[current], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[current])
                if low[current] == index[current]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == current:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def cycle_path(graph, component):
    """One cycle through the component's first module, as `a -> b -> a`, to say what to cut."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return " -> ".join(paths[node] + [start])
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    return " <-> ".join(component)  # pragma: no cover - a component always holds a cycle through each member


def test_the_package_has_no_import_cycle():
    graph = import_graph(PACKAGE_DIR, "hipaa_scan")
    assert "hipaa_scan.scan.pipeline" in graph and graph["hipaa_scan.engine"] >= {"hipaa_scan.scan.pipeline"}
    unexpected = [cycle_path(graph, c) for c in cycles(graph)]
    assert not unexpected, "import cycles:\n" + "\n".join(unexpected)


def test_the_scan_package_imports_neither_its_caller_nor_a_reporter():
    graph = import_graph(PACKAGE_DIR, "hipaa_scan")
    for name, edges in graph.items():
        if name.startswith("hipaa_scan.scan."):
            assert not {e for e in edges if e in ("hipaa_scan.engine", "hipaa_scan.cli")
                        or e.startswith("hipaa_scan.report")}, name
    # the executors run the pipeline; the pipeline knows neither of them
    assert "hipaa_scan.scan.pipeline" in graph["hipaa_scan.scan.forked"]
    assert "hipaa_scan.scan.pipeline" in graph["hipaa_scan.scan.serial"]
    assert not {"hipaa_scan.scan.forked", "hipaa_scan.scan.serial"} & graph["hipaa_scan.scan.pipeline"]


def test_the_check_finds_cycles_of_every_import_form(tmp_path):
    """Each import form closes a cycle the check must see: function-level, relative (`.`, `..`), `from pkg import
    module`, `import a.b`, and an import under `if TYPE_CHECKING:`."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n")  # function level, relative: a -> b
    (pkg / "b.py").write_text("import pkg.sub.c\n")  # absolute dotted: b -> sub.c
    (pkg / "sub" / "c.py").write_text("from ..a import f\n")  # two levels up: sub.c -> a
    (pkg / "d.py").write_text("from pkg import e\n")  # from a package, a module: d -> e
    (pkg / "e.py").write_text("from .d import name\n")  # e -> d
    (pkg / "t.py").write_text("TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from . import u\n")
    (pkg / "u.py").write_text("from pkg.t import x\n")  # u -> t, t -> u (for types only)
    (pkg / "v.py").write_text("import os.path\nfrom pkg import sub\nfrom .sub import c\n")  # no cycle: v -> sub, c
    graph = import_graph(str(pkg), "pkg")
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.sub.c"} and graph["pkg.sub.c"] == {"pkg.a"}
    assert graph["pkg.t"] == {"pkg.u"} and graph["pkg.u"] == {"pkg.t"}
    assert graph["pkg.v"] == {"pkg.sub", "pkg.sub.c"}
    assert sorted(cycles(graph)) == [["pkg.a", "pkg.b", "pkg.sub.c"], ["pkg.d", "pkg.e"], ["pkg.t", "pkg.u"]]
    assert cycle_path(graph, ["pkg.a", "pkg.b", "pkg.sub.c"]) == "pkg.a -> pkg.b -> pkg.sub.c -> pkg.a"
