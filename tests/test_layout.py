"""The layout's rules: the import-linter contracts of pyproject.toml hold (as `make lint` checks them), no module
of assistant/ or actions/ is longer than 400 lines and no function longer than 60 (docs/architecture.md). The few
still over are listed with their size today: they may shrink, never grow, and leave the list once under."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400
MAX_FUNCTION_LINES = 60
LONGER_MODULES: dict[str, int] = {}
LONGER_FUNCTIONS: dict[str, int] = {}


def _modules() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for folder in ("assistant", "actions") for p in sorted((ROOT / folder).rglob("*.py"))}


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} is missing: make setup installs import-linter"
    run = subprocess.run([str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout and "KEPT" in run.stdout, run.stdout


def test_no_module_is_longer_than_400_lines():
    sizes = {name: len(text.splitlines()) for name, text in _modules().items()}
    assert len(sizes) > 20
    too_long = {name: n for name, n in sizes.items() if n > LONGER_MODULES.get(name, MAX_LINES)}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
    listed = {name for name in LONGER_MODULES if sizes.get(name, 0) <= MAX_LINES}
    assert not listed, f"under {MAX_LINES} lines now: take them off LONGER_MODULES: {listed}"


def function_sizes(text: str) -> dict[str, int]:
    """Each function's (and method's) length in lines, nested functions included, by name."""
    sizes: dict[str, int] = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            sizes[node.name] = max(n, sizes.get(node.name, 0))
    return sizes


def test_no_function_is_longer_than_60_lines():
    sizes = {f"{name}:{fn}": n for name, text in _modules().items() for fn, n in function_sizes(text).items()}
    too_long = {key: n for key, n in sizes.items() if n > LONGER_FUNCTIONS.get(key, MAX_FUNCTION_LINES)}
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"
    listed = {key for key in LONGER_FUNCTIONS if sizes.get(key, 0) <= MAX_FUNCTION_LINES}
    assert not listed, f"under {MAX_FUNCTION_LINES} lines now: take them off LONGER_FUNCTIONS: {listed}"


def test_the_size_check_counts_a_function_from_def_to_its_last_line():
    assert function_sizes("def f():\n    x = 1\n    return x\n") == {"f": 3}
