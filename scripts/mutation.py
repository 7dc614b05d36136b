"""Mutation testing of the model-free unit tests: break the code on purpose, see which tests still pass.

For each target file the script lists the places where a small, typical bug can be planted (mutation
sites), samples some of them with a fixed seed, and for each sampled mutant runs the tests on a copy of the
repository with only that one change. A mutant is

* killed    when a test fails (a timeout counts as killed: the mutant made the code hang);
* survived  when every test still passes: no test notices that bug;
* invalid   when the mutated file does not compile (left out of the score).

The score of a file is killed / (killed + survived). Every surviving mutant is written to
results/mutation.txt with its place and the original and mutated line, so that a test can be written that
kills it; results/mutation.json holds every mutant and the figures.

Mutation operators: comparison boundaries and negations (< <=, > >=, == !=, is / is not, in / not in),
and <-> or, removal of `not`, True <-> False, integer n -> n+1, `return X` -> `return None`, + <-> -
(also += -=), min <-> max, and the only statement of an `if` body replaced by `pass`. Docstrings,
annotations and f-strings are never mutated.

The checkout is never modified: the repository is copied once per job into a temporary directory, and a
mutant is written into that copy and undone after its test run. Standard library only; deterministic for
a given seed and file content.

    python scripts/mutation.py                                   # 40 mutants per file, seed 1
    python scripts/mutation.py --files 'assistant/engine/*.py' --per-file 20
    python scripts/mutation.py --all --jobs 2                    # every site, two test runs at once
    python scripts/mutation.py --list                            # only list the sites

Run it with the project's interpreter (.venv/bin/python): the tests are run with the same one.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import glob
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The engine (one module per channel since the split), the Chinese parsers and the conversation.
DEFAULT_FILES = ["assistant/engine/*.py", "assistant/parsing.py", "assistant/dialogue.py", "assistant/conversation.py"]
# The tests that need no trained model and no server (test_e2e, test_web, test_wechat do).
DEFAULT_TESTS = ["tests/test_cases.py", "tests/test_cli.py", "tests/test_parsing.py", "tests/test_engine_logic.py",
                 "tests/test_facts.py", "tests/test_policy_data.py", "tests/test_actions.py", "tests/test_turn.py",
                 "tests/test_faq.py", "tests/test_dialogue.py"]
PYTEST_ARGS = ["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
# Not copied into the scratch repositories: history, environments, build and run products.
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "models", "results", "node_modules", "__pycache__",
                                     ".pytest_cache", ".rasa", "var", "build", "*.pyc", "*.db", "*.sqlite*")

KILLED, SURVIVED, TIMEOUT, INVALID = "killed", "survived", "timeout", "invalid"

# Each comparison operator and the one it is mutated into; the source text of the operators, and the pattern
# that finds one between its two operands.
_COMPARE_SWAP: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                                   ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
                                   ast.In: ast.NotIn, ast.NotIn: ast.In}
_OP_TEXT: dict[type, str] = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
                             ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
                             ast.NotIn: "not in", ast.And: "and", ast.Or: "or", ast.Add: "+", ast.Sub: "-"}
_OP_PATTERN: dict[type, str] = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
                                ast.NotEq: "!=", ast.Is: r"\bis\b", ast.IsNot: r"\bis\s+not\b", ast.In: r"\bin\b",
                                ast.NotIn: r"\bnot\s+in\b", ast.And: r"\band\b", ast.Or: r"\bor\b",
                                ast.Add: r"\+", ast.Sub: "-"}


# --------------------------------------------------------------------------- mutation sites

@dataclass(frozen=True)
class Site:
    """One possible mutant: `kind` applied to the node numbered `index` in ast.walk order of the file."""

    file: str
    index: int
    kind: str
    line: int
    col: int  # UTF-8 byte offset, as the ast gives it
    description: str
    arg: int = 0  # which operator of a chained comparison


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            and isinstance(parent, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and parent.body[0] is node)


def _excluded(tree: ast.Module) -> set[int]:
    """ids of the nodes never mutated: docstrings, annotations and f-strings with all they contain."""
    roots: list[ast.AST] = []
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if _is_docstring(child, parent) or isinstance(child, ast.JoinedStr):
                roots.append(child)
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and parent.returns is not None:
            roots.append(parent.returns)
        if isinstance(parent, (ast.arg, ast.AnnAssign)) and parent.annotation is not None:
            roots.append(parent.annotation)
    return {id(n) for root in roots for n in ast.walk(root)}


def _sites_of_node(file: str, index: int, node: Any) -> Iterator[Site]:
    def site(kind: str, description: str, arg: int = 0) -> Site:
        return Site(file, index, kind, node.lineno, node.col_offset, description, arg)

    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            new = _COMPARE_SWAP[type(op)]
            yield site("compare", f"{_OP_TEXT[type(op)]} -> {_OP_TEXT[new]}", i)
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield site("boolop", f"{_OP_TEXT[type(node.op)]} -> {_OP_TEXT[new]}")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield site("not", "not x -> x")
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield site("bool", f"{node.value} -> {not node.value}")
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield site("int", f"{node.value} -> {node.value + 1}")
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield site("return", "return x -> return None")
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, (ast.Add, ast.Sub)):
        new = ast.Sub if isinstance(node.op, ast.Add) else ast.Add
        yield site("arith", f"{_OP_TEXT[type(node.op)]} -> {_OP_TEXT[new]}")
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
        yield site("minmax", f"{node.func.id} -> {'max' if node.func.id == 'min' else 'min'}")
    elif isinstance(node, ast.If) and len(node.body) == 1 and not isinstance(node.body[0], ast.Pass):
        yield site("if_body", "the if body -> pass")


def find_sites(file: str, source: str) -> list[Site]:
    """Every mutation site of a file, in source order."""
    tree = ast.parse(source)
    excluded = _excluded(tree)
    sites = [s for index, node in enumerate(ast.walk(tree)) if id(node) not in excluded
             for s in _sites_of_node(file, index, node)]
    return sorted(sites, key=lambda s: (s.line, s.col, s.index, s.arg))


def sample_sites(sites: list[Site], n: int | None, seed: int, file: str) -> list[Site]:
    """Up to n sites chosen with a seed of their own per file (all of them when n is None)."""
    if n is None or len(sites) <= n:
        return list(sites)
    chosen = random.Random(f"{seed}:{file}").sample(range(len(sites)), n)
    return [sites[i] for i in sorted(chosen)]


# --------------------------------------------------------------------------- applying a mutant

def _replace_child(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise ValueError("child not found")


def _mutate_tree(tree: ast.Module, site: Site) -> None:
    """Apply the mutation of `site` to (a copy of) the file's tree."""
    nodes = list(ast.walk(tree))
    node: Any = nodes[site.index]
    if site.kind == "compare":
        node.ops[site.arg] = _COMPARE_SWAP[type(node.ops[site.arg])]()
    elif site.kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif site.kind == "not":
        parent = next(p for p in nodes if any(c is node for c in ast.iter_child_nodes(p)))
        _replace_child(parent, node, node.operand)
    elif site.kind == "bool":
        node.value = not node.value
    elif site.kind == "int":
        node.value += 1
    elif site.kind == "return":
        node.value = ast.Constant(None)
    elif site.kind == "arith":
        node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
    elif site.kind == "minmax":
        node.func.id = "max" if node.func.id == "min" else "min"
    elif site.kind == "if_body":
        node.body = [ast.Pass()]
    else:
        raise ValueError(f"unknown mutation kind {site.kind}")


class _Source:
    """A file's bytes with (line, UTF-8 byte column) positions, as the ast reports them, turned into offsets."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def start(self, node: Any) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: Any) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def splice(self, edits: list[tuple[int, int, str]]) -> str:
        out, last = [], 0
        for start, end, text in sorted(edits):
            out += [self.data[last:start], text.encode("utf-8")]
            last = end
        out.append(self.data[last:])
        return b"".join(out).decode("utf-8")


def _operator_edit(src: _Source, left: ast.AST, right: ast.AST, op: type, new_text: str) -> tuple[int, int, str]:
    """The edit replacing the operator between two operands; only brackets and spaces may surround it."""
    start, end = src.end(left), src.start(right)
    gap = src.data[start:end].decode("utf-8")
    match = re.fullmatch(rf"([\s()\\]*)({_OP_PATTERN[op]})([\s()\\]*)", gap)
    if match is None:
        raise ValueError(f"operator not found in {gap!r}")
    return start + len(match.group(1).encode()), start + len(match.group(1).encode()) + len(
        match.group(2).encode()), new_text


def _int_text(original: str, value: int) -> str:
    """n+1 written as n was: 0xFEE0 -> 0xFEE1, 12 -> 13."""
    if original[:2].lower() != "0x":
        return str(value)
    digits = f"{value:x}"
    return original[:2] + (digits.upper() if original[2:].isupper() or original[2:].isdigit() else digits)


def _edits(src: _Source, node: Any, site: Site) -> list[tuple[int, int, str]]:
    """The smallest source edits that make the mutant, so the mutated line reads like the original."""
    if site.kind == "compare":
        left = node.left if site.arg == 0 else node.comparators[site.arg - 1]
        op = type(node.ops[site.arg])
        return [_operator_edit(src, left, node.comparators[site.arg], op, _OP_TEXT[_COMPARE_SWAP[op]])]
    if site.kind == "boolop":
        new = "or" if isinstance(node.op, ast.And) else "and"
        pairs = zip(node.values, node.values[1:], strict=False)
        return [_operator_edit(src, a, b, type(node.op), new) for a, b in pairs]
    if site.kind == "not":
        text = src.data[src.start(node):src.start(node.operand)].decode("utf-8")
        keyword = re.match(r"not\s*", text)
        if keyword is None:
            raise ValueError("not keyword not found")
        return [(src.start(node), src.start(node) + len(keyword.group().encode()), "")]
    if site.kind == "bool":
        return [(src.start(node), src.end(node), str(not node.value))]
    if site.kind == "int":
        original = src.data[src.start(node):src.end(node)].decode("utf-8")
        return [(src.start(node), src.end(node), _int_text(original, node.value + 1))]
    if site.kind == "return":
        return [(src.start(node.value), src.end(node.value), "None")]
    if site.kind == "arith":
        new = "-" if isinstance(node.op, ast.Add) else "+"
        if isinstance(node, ast.AugAssign):
            gap_start, gap_end = src.end(node.target), src.start(node.value)
            gap = src.data[gap_start:gap_end].decode("utf-8")
            at = gap.find(_OP_TEXT[type(node.op)] + "=")
            if at < 0:
                raise ValueError("augmented operator not found")
            pos = gap_start + len(gap[:at].encode())
            return [(pos, pos + 1, new)]
        return [_operator_edit(src, node.left, node.right, type(node.op), new)]
    if site.kind == "minmax":
        return [(src.start(node.func), src.end(node.func), "max" if node.func.id == "min" else "min")]
    if site.kind == "if_body":
        return [(src.start(node.body[0]), src.end(node.body[0]), "pass")]
    raise ValueError(f"unknown mutation kind {site.kind}")


def mutate_source(source: str, site: Site) -> tuple[str, bool]:
    """The file's text with the mutant of `site`, and whether it is a minimal edit of the original. A minimal
    edit is used when re-parsing it gives exactly the mutated tree; otherwise the whole mutated tree is
    unparsed (the same program in another layout)."""
    tree = ast.parse(source)
    expected = copy.deepcopy(tree)
    _mutate_tree(expected, site)
    want = ast.dump(expected)
    try:
        src = _Source(source)
        text = src.splice(_edits(src, list(ast.walk(tree))[site.index], site))
        if ast.dump(ast.parse(text)) == want:
            return text, True
    except (ValueError, SyntaxError):
        pass
    return ast.unparse(expected) + "\n", False


def changed_lines(original: str, mutated: str, line: int, minimal: bool, most: int = 4) -> tuple[int, str, str]:
    """The first changed line, and the lines that differ between the two texts (at most `most` of each),
    stripped and joined with ' ⏎ '."""
    a = original.splitlines()
    if not minimal:
        return line, a[line - 1].strip(), "(file re-generated from the mutated tree)"
    b = mutated.splitlines()
    top = 0
    while top < min(len(a), len(b)) and a[top] == b[top]:
        top += 1
    bottom = 0
    while bottom < min(len(a), len(b)) - top and a[-1 - bottom] == b[-1 - bottom]:
        bottom += 1

    def show(lines: list[str]) -> str:
        shown = " ⏎ ".join(s.strip() for s in lines[:most]) or "(line removed)"
        return shown + (" ⏎ …" if len(lines) > most else "")

    return top + 1, show(a[top:len(a) - bottom]), show(b[top:len(b) - bottom])


# --------------------------------------------------------------------------- running the tests

@dataclass
class Outcome:
    """What happened to one mutant."""

    file: str
    line: int
    kind: str
    description: str
    original: str
    mutated: str
    status: str = ""
    seconds: float = 0.0
    failed_test: str = ""


@dataclass
class Scratch:
    """A scratch copy of the repository where one mutant at a time is written."""

    root: Path
    saved: dict[str, bytes] = field(default_factory=dict)

    def write(self, file: str, text: str) -> None:
        path = self.root / file
        self.saved.setdefault(file, path.read_bytes())
        path.write_text(text, encoding="utf-8")

    def restore(self) -> None:
        for file, data in self.saved.items():
            (self.root / file).write_bytes(data)
        self.saved.clear()


def make_scratch(repo: Path) -> Scratch:
    root = Path(tempfile.mkdtemp(prefix="mutation-")) / "repo"
    shutil.copytree(repo, root, symlinks=True, ignore=COPY_IGNORE)
    return Scratch(root)


def _first_failure(output: str) -> str:
    match = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    return match.group(1) if match else ""


_RUNNING: set[subprocess.Popen[bytes]] = set()
_STOPPING = threading.Event()
_RUNNING_LOCK = threading.Lock()


def stop_all() -> None:
    """Kill every test run still going, with the processes it started (on an interrupt)."""
    with _RUNNING_LOCK:
        _STOPPING.set()
        for proc in _RUNNING:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


def run_tests(root: Path, tests: list[str], timeout: float | None) -> tuple[str, float, str]:
    """(status, seconds, first failing test) of one pytest run in `root`; the whole process group is killed
    on a timeout (tests/test_cli.py starts subprocesses of its own)."""
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1", RASA_TELEMETRY_ENABLED="false")
    start = time.monotonic()
    with _RUNNING_LOCK:
        if _STOPPING.is_set():
            raise KeyboardInterrupt
        proc = subprocess.Popen([sys.executable, *PYTEST_ARGS, *tests], cwd=root, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        _RUNNING.add(proc)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return TIMEOUT, time.monotonic() - start, ""
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
    seconds = time.monotonic() - start
    text = out.decode("utf-8", "replace")
    if proc.returncode == 0:
        return SURVIVED, seconds, ""
    last_lines = text.strip().splitlines()[-1:]
    return KILLED, seconds, _first_failure(text) or (last_lines[0] if last_lines else "")


class KillOrder:
    """The order of the test files for a target file: first those that killed most of its mutants so far,
    then one named after it (test_parsing.py for parsing.py). With -x a mutant is then killed sooner; the
    order changes only the time taken, never whether a mutant is killed."""

    def __init__(self, tests: list[str]) -> None:
        self.tests = tests
        self.kills: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()

    def for_file(self, file: str) -> list[str]:
        stem = Path(file).stem
        with self.lock:
            return sorted(self.tests, key=lambda t: (-self.kills.get((file, t), 0), Path(t).stem != f"test_{stem}"))

    def killed(self, file: str, failed_test: str) -> None:
        test_file = failed_test.split("::")[0]
        if test_file in self.tests:
            with self.lock:
                self.kills[(file, test_file)] = self.kills.get((file, test_file), 0) + 1


def run_mutant(scratch: Scratch, site: Site, source: str, tests: list[str], timeout: float) -> Outcome:
    """Write one mutant into the scratch copy, run the tests, undo it."""
    mutated, minimal = mutate_source(source, site)
    line, original_line, mutated_line = changed_lines(source, mutated, site.line, minimal)
    outcome = Outcome(site.file, line, site.kind, site.description, original_line, mutated_line)
    try:
        compile(mutated, site.file, "exec")
    except SyntaxError:
        outcome.status = INVALID
        return outcome
    try:
        scratch.write(site.file, mutated)
        outcome.status, outcome.seconds, outcome.failed_test = run_tests(scratch.root, tests, timeout)
    finally:
        scratch.restore()
    return outcome


def run_all(jobs: list[tuple[Site, str]], scratches: list[Scratch], tests: list[str], timeout: float,
            progress: Callable[[int, Outcome], None]) -> list[Outcome]:
    """Every mutant, on as many scratch copies as there are parallel jobs; results in the order of `jobs`."""
    free: queue.Queue[Scratch] = queue.Queue()
    for s in scratches:
        free.put(s)
    order = KillOrder(tests)

    def one(i: int, site: Site, source: str) -> Outcome:
        scratch = free.get()
        try:
            outcome = run_mutant(scratch, site, source, order.for_file(site.file), timeout)
        finally:
            free.put(scratch)
        if outcome.status == KILLED:
            order.killed(site.file, outcome.failed_test)
        progress(i, outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=len(scratches)) as pool:
        futures = [pool.submit(one, i, site, source) for i, (site, source) in enumerate(jobs)]
        try:
            return [f.result() for f in futures]
        except BaseException:  # an interrupt: stop the test runs, then the pool waits only for the undo
            pool.shutdown(wait=False, cancel_futures=True)
            stop_all()
            raise


# --------------------------------------------------------------------------- reporting

def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    counts = {s: sum(o.status == s for o in outcomes) for s in (KILLED, SURVIVED, TIMEOUT, INVALID)}
    scored = counts[KILLED] + counts[TIMEOUT] + counts[SURVIVED]
    score = round(100.0 * (counts[KILLED] + counts[TIMEOUT]) / scored, 1) if scored else None
    return {"sampled": len(outcomes), **counts, "score": score}


def write_reports(out_dir: Path, meta: dict[str, Any], per_file: dict[str, dict[str, Any]], total: dict[str, Any],
                  outcomes: list[Outcome]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {**meta, "files": per_file, "total": total, "mutants": [asdict(o) for o in outcomes]}
    (out_dir / "mutation.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    lines = [f"Surviving mutants: {total['survived']} of {total['sampled']} "
             f"(score {total['score']}%, seed {meta['seed']}, tests: {' '.join(meta['tests'])})", ""]
    for o in outcomes:
        if o.status == SURVIVED:
            lines += [f"{o.file}:{o.line}  [{o.kind}] {o.description}",
                      f"    original: {o.original}", f"    mutated:  {o.mutated}", ""]
    (out_dir / "mutation.txt").write_text("\n".join(lines), encoding="utf-8")


def print_table(per_file: dict[str, dict[str, Any]], total: dict[str, Any]) -> None:
    header = f"{'file':<40} {'sites':>6} {'sampled':>8} {'killed':>7} {'survived':>9} {'timeout':>8} " \
             f"{'invalid':>8} {'score':>7}"
    print(header)
    for name, row in [*per_file.items(), ("total", total)]:
        score = "-" if row["score"] is None else f"{row['score']:.1f}%"
        print(f"{name:<40} {row.get('sites', ''):>6} {row['sampled']:>8} {row[KILLED] + row[TIMEOUT]:>7} "
              f"{row[SURVIVED]:>9} {row[TIMEOUT]:>8} {row[INVALID]:>8} {score:>7}")
    print("(killed includes the timeouts; score = killed / (killed + survived))")


# --------------------------------------------------------------------------- command line

def git_commit(repo: Path) -> str | None:
    """The checked-out commit, so that a figure can be traced back (None outside a git checkout)."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def expand_files(patterns: list[str], repo: Path) -> list[str]:
    files: list[str] = []
    for pattern in patterns:
        found = sorted(glob.glob(pattern, root_dir=repo, recursive=True))
        if not found:
            raise SystemExit(f"mutation: no file matches {pattern!r}")
        files += [f for f in found if f.endswith(".py") and f not in files]
    return files


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", nargs="+", default=DEFAULT_FILES, help="files or globs, relative to the "
                        "repository root (default: %(default)s)")
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS, help="test files to run for every mutant")
    parser.add_argument("--per-file", type=int, default=40, metavar="N", help="mutants sampled per file (40)")
    parser.add_argument("--all", action="store_true", help="every site instead of a sample")
    parser.add_argument("--seed", type=int, default=1, help="sampling seed (1)")
    parser.add_argument("--jobs", type=int, default=1, choices=(1, 2), help="test runs at once (1)")
    parser.add_argument("--timeout-factor", type=float, default=3.0,
                        help="a mutant's time limit, in clean runs of the tests (3)")
    parser.add_argument("--out", type=Path, default=ROOT / "results", help="where mutation.json/.txt go")
    parser.add_argument("--list", action="store_true", help="list the sampled sites and stop")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    files = expand_files(args.files, ROOT)
    sources = {f: (ROOT / f).read_text(encoding="utf-8") for f in files}
    site_counts, jobs = {}, []
    for f in files:
        sites = find_sites(f, sources[f])
        site_counts[f] = len(sites)
        jobs += [(s, sources[f]) for s in sample_sites(sites, None if args.all else args.per_file, args.seed, f)]
    if args.list:
        for site, _ in jobs:
            print(f"{site.file}:{site.line}  [{site.kind}] {site.description}")
        print(f"{len(jobs)} mutants of {sum(site_counts.values())} sites", file=sys.stderr)
        return 0

    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # clean up on kill as on ^C
    scratches: list[Scratch] = []
    try:
        scratches += [make_scratch(ROOT) for _ in range(args.jobs)]
        status, clean, failed = run_tests(scratches[0].root, args.tests, None)
        if status != SURVIVED:
            print(f"mutation: the tests fail without any mutant ({failed}); fix them first", file=sys.stderr)
            return 2
        timeout = args.timeout_factor * clean
        print(f"clean run {clean:.1f} s, time limit {timeout:.0f} s per mutant, {len(jobs)} mutants, "
              f"{args.jobs} job(s)", file=sys.stderr)

        def progress(i: int, o: Outcome) -> None:
            print(f"[{i + 1}/{len(jobs)}] {o.status:<8} {o.seconds:5.1f}s {o.file}:{o.line} [{o.kind}] "
                  f"{o.description}", file=sys.stderr, flush=True)

        outcomes = run_all(jobs, scratches, args.tests, timeout, progress)
    finally:
        stop_all()
        for s in scratches:
            shutil.rmtree(s.root.parent, ignore_errors=True)

    per_file = {f: {"sites": site_counts[f], **summarize([o for o in outcomes if o.file == f])} for f in files}
    total = {"sites": sum(site_counts.values()), **summarize(outcomes)}
    meta = {"commit": git_commit(ROOT), "targets": files, "seed": args.seed,
            "per_file": None if args.all else args.per_file, "tests": args.tests,
            "clean_seconds": round(clean, 1), "timeout_seconds": round(timeout, 1),
            "elapsed_seconds": round(time.monotonic() - started, 1), "jobs": args.jobs}
    write_reports(args.out, meta, per_file, total, outcomes)
    print_table(per_file, total)
    print(f"{meta['elapsed_seconds'] / 60:.1f} min; survivors in {args.out / 'mutation.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
