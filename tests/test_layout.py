"""The library's shape: no import cycle between its modules (lazy imports inside functions included), no module
over about 450 lines, and each rule that used to be copied written once."""
from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "reviewlib"
MAX_LINES = 470  # "about 450"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every reviewlib module ``path`` imports, at the top or inside a function."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("reviewlib"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)  # `from . import x` imports module x
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("reviewlib"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in LIB.rglob("*.py") if p.name != "__main__.py"}  # entry points aside
    graph = {}
    for name, path in modules.items():
        deps = set()
        for target in _imports(path):
            while target and target not in modules:  # `from x import name`: the module is x
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):  # a package's own __init__
                deps.add(target)
        graph[name] = deps
    return graph


def test_no_import_cycle_between_modules():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycle = stack[stack.index(d):] + [d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_data_package_does_not_import_training():
    for path in (LIB / "data").rglob("*.py"):
        assert not any(t.startswith(("reviewlib.train", "reviewlib.experiments")) for t in _imports(path)), path


def test_no_module_is_over_about_450_lines():
    long = {str(p.relative_to(ROOT)): n for p in LIB.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def _code(text: str) -> str:
    """The source without comments and string literals (docstrings may quote a rule; only code applies it)."""
    kept = [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.COMMENT, tokenize.STRING)]
    return " ".join(kept)


def test_copied_rules_live_in_one_place():
    texts = {str(p.relative_to(ROOT)): _code(p.read_text()) for p in LIB.rglob("*.py")}
    resize = [f for f, t in texts.items() if re.search(r"256\s*/\s*224|/\s*224\b", t)]
    # the two size rules: crops come from 256/224 of the size (data.augment), AlexNet's input is 227/224 (nets)
    assert sorted(resize) == ["reviewlib/data/augment.py", "reviewlib/nets/__init__.py"], resize
    alexnet_input = [f for f, t in texts.items() if re.search(r"(227|PAPER_INPUT)\s*/\s*224", t)]
    assert alexnet_input == ["reviewlib/nets/__init__.py"], alexnet_input  # input_side
    raw = {str(p.relative_to(ROOT)): p.read_text() for p in LIB.rglob("*.py")}
    papers = [f for f, t in raw.items() if re.search(r'=\s*\(\s*"alexnet",\s*"vgg",\s*"googlenet"\s*\)', t)]
    assert papers == ["reviewlib/nets/__init__.py"], papers
