"""The layers, as the folders show them, with imports pointing down only:

    config (models, loading, every check, formats, option data)
      -> plan (every rendered file and its facts)
        -> core (remote execution, host state: imports neither config nor plan)
          -> ceph, libvirt, storage, services, cloud (the components)
            -> program (wiring only) -> __main__.py

A module may import its own layer and the layers above it in this list, never one below; core imports nothing of
config or plan, so the providers' modules stay importable without them. And no two modules import each other,
however indirectly."""
import ast
import pathlib

from harness import ROOT

LAYERS = {"config": 0, "plan": 1, "core": 2, "ceph": 3, "libvirt": 3, "storage": 3, "services": 3, "cloud": 3,
          "program": 4}
SHIMS = {"components.hoststate", "components.libvirt_pki"}   # old states' provider paths: components, by rank


def modules() -> dict[str, pathlib.Path]:
    out = {"__main__": ROOT / "__main__.py"}
    for path in (ROOT / "components").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: pathlib.Path, known: set) -> set[str]:
    """The project's modules `name` imports (at any depth of its code: a function's import counts too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in known and m != name}


def layer(module: str) -> float:
    if module == "__main__":
        return 5
    parts = module.split(".")
    if module in SHIMS:
        return 3
    return LAYERS.get(parts[1], -1) if len(parts) > 1 else -1    # `components` itself imports nothing


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_every_module_has_a_layer():
    assert [m for m in graph() if layer(m) == -1 and m != "components"] == []


def test_no_module_imports_a_layer_below_its_own():
    wrong = [f"{m} ({layer(m)}) imports {i} ({layer(i)})" for m, deps in graph().items() for i in sorted(deps)
             if layer(i) > layer(m) or (m == "components" and deps)]
    assert wrong == []


def test_core_imports_neither_config_nor_plan():
    wrong = [f"{m} imports {i}" for m, deps in graph().items() if layer(m) == 2 for i in deps if layer(i) < 2]
    assert wrong == []


def test_no_import_loop():
    g, loops = graph(), []

    def visit(m, path):
        for i in sorted(g[m]):
            if i in path:
                loops.append(" -> ".join(path[path.index(i):] + [i]))
            elif i not in done:
                visit(i, path + [i])
        done.add(m)
    done: set = set()
    for m in sorted(g):
        if m not in done:
            visit(m, [m])
    assert loops == []
