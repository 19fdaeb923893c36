"""The live package's layering: each module imports only the modules before it in ORDER (at run time, function
bodies included; imports under `if TYPE_CHECKING:` only name types), and none imports its callers: the package
itself (its __init__ only re-exports) or the command line."""

import ast
import os

import pytest

import hipaa_scan.live

ORDER = ["guard", "errors", "targets", "transport", "capture", "offline", "documents", "evidence", "run"]
FOLDER = os.path.dirname(hipaa_scan.live.__file__)


def runtime_imports(path):
    """The hipaa_scan modules a file imports when it runs (module level and function bodies)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hipaa_scan"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hipaa_scan"):
            if node.module == "hipaa_scan.live":  # `from hipaa_scan.live import guard`: the submodules named
                found.update(f"hipaa_scan.live.{a.name}" for a in node.names)
            elif node.module == "hipaa_scan":
                found.update(f"hipaa_scan.{a.name}" for a in node.names)
            else:
                found.add(node.module)
    return found


def test_the_order_names_every_module_of_the_package():
    modules = sorted(n[:-3] for n in os.listdir(FOLDER) if n.endswith(".py") and n != "__init__.py")
    assert modules == sorted(ORDER)


@pytest.mark.parametrize("name", ORDER)
def test_a_live_module_imports_only_modules_before_it(name):
    imported = runtime_imports(os.path.join(FOLDER, f"{name}.py"))
    later = {f"hipaa_scan.live.{m}" for m in ORDER[ORDER.index(name):]}
    assert sorted(imported & later) == []
    callers = {"hipaa_scan.live", "hipaa_scan.cli", "hipaa_scan.fastcli", "hipaa_scan.__main__"}
    assert sorted(imported & callers) == []


def test_the_package_init_only_re_exports():
    tree = ast.parse(open(os.path.join(FOLDER, "__init__.py"), encoding="utf-8").read())
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds == {"Expr", "ImportFrom", "Assign"}  # the docstring, the re-exports, __all__
    assert sorted(hipaa_scan.live.__all__) == sorted(
        a.name for node in tree.body if isinstance(node, ast.ImportFrom) for a in node.names)
