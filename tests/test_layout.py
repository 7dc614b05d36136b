"""The layout's rules: the import-linter contracts of pyproject.toml hold (as `make lint` checks them), and no
module of assistant/ or actions/ is longer than 660 lines (docs/architecture.md; the aim is 400)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 660


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} is missing: make setup installs import-linter"
    run = subprocess.run([str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout and "KEPT" in run.stdout, run.stdout


def test_no_module_is_longer_than_650_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for folder in ("assistant", "actions") for p in (ROOT / folder).rglob("*.py")}
    assert len(sizes) > 20
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
