"""Host package layout: imports only run one way (no cycles, lazy imports included), and the
top level holds only the entry points, not loose board or bench modules."""
import ast
import os

from microlearn_host.board.profiles import ROOT

PKG = os.path.join(ROOT, "host", "microlearn_host")
TOP_LEVEL_MODULES = {"__init__.py", "cli.py", "demo.py", "modelfile.py", "pipeline.py"}


def _module_name(path):
    rel = os.path.relpath(path, os.path.dirname(PKG))[:-3].replace(os.sep, ".")
    return rel[: -len(".__init__")] if rel.endswith(".__init__") else rel


def _resolve(mod, is_pkg, node):
    """Absolute names a `from X import a, b` or `import X` inside `mod` refers to."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module
    return [prefix + "." + a.name for a in node.names] + [prefix]


def import_graph():
    mods = {}
    for dirpath, dirnames, files in os.walk(PKG):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for f in files:
            if f.endswith(".py"):
                mods[_module_name(os.path.join(dirpath, f))] = os.path.join(dirpath, f)
    graph = {}
    for mod, path in mods.items():
        with open(path) as fh:
            tree = ast.parse(fh.read(), path)
        deps = set()
        for node in ast.walk(tree):  # every import, lazy ones inside functions too
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for name in _resolve(mod, path.endswith("__init__.py"), node):
                    if name in mods and name != mod:
                        deps.add(name)
        graph[mod] = deps
    return graph


def _find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(graph[n]):
            # a package's __init__ importing its own submodules is the normal re-export, not a cycle
            if n == d.rsplit(".", 1)[0]:
                continue
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                c = visit(d)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def test_host_imports_have_no_cycle():
    cycle = _find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_cycle():
    # the checker itself must be able to fail
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_top_level_holds_only_entry_points():
    loose = {f for f in os.listdir(PKG) if f.endswith(".py")} - TOP_LEVEL_MODULES
    assert not loose, "loose top-level modules (put them in a subpackage): %s" % sorted(loose)


def test_board_package_never_imports_bench():
    graph = import_graph()
    bad = [(m, d) for m, ds in graph.items() if m.startswith("microlearn_host.board")
           for d in ds if d.startswith("microlearn_host.bench")]
    assert not bad, bad
