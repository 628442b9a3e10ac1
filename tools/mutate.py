"""Mutation testing for gradio-mock: put one small bug at a time into a core module, run the
tests that cover it, and count the bugs they catch.

    python tools/mutate.py                        # every core module, every mutant
    python tools/mutate.py --module _jobs --module _sessions
    python tools/mutate.py --max-mutants 30 --seed 7 --jobs 2
    python tools/mutate.py --list --module _cache  # the mutants, without running anything

Mutants are made from the module's syntax tree, one change each: a comparison swapped (``<``
↔ ``<=``, ``==`` ↔ ``!=``, ``in`` ↔ ``not in``, ``is`` ↔ ``is not``), ``and`` ↔ ``or``, a
``not`` dropped, an ``if`` negated, a number off by one, ``True`` ↔ ``False``, ``+`` ↔ ``-``,
a statement that calls something removed, a ``return`` of a value turned into ``return None``.
Docstrings, strings, annotations, parameter defaults, logging calls and ``TYPE_CHECKING``
blocks are left alone.

Nothing in the working tree is ever changed: each worker copies the repository to a temporary
directory and mutates its copy, which the tests import (``PYTHONPATH`` and the working
directory point at the copy, ahead of the editable install; the tool checks this before it
starts). An interruption (Ctrl+C) kills the running tests and deletes the copies.

A mutant is *killed* when its tests fail (or time out), *survives* when they pass. Each
survivor is printed with its file, line and change: either a test is missing, or the mutant
is equivalent (it changes nothing a client can see) and is listed as such in the README.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Core module → the test files that cover it (run with ``-x``: the first failure kills).
MODULES: dict[str, list[str]] = {
    "_jobs": [
        "tests/test_limits.py",
        "tests/test_call_api.py",
        "tests/test_queue_protocol.py",
        "tests/test_hardening_functions.py",
        "tests/test_hardening_memory.py",
        "tests/test_stubs.py",
    ],
    "_cache": ["tests/test_limits.py", "tests/test_call_api.py", "tests/test_hardening_memory.py"],
    "_streams": [
        "tests/test_call_api.py",
        "tests/test_queue_protocol.py",
        "tests/test_diff.py",
        "tests/test_reference_messages.py",
        "tests/test_hardening_memory.py",
        "tests/test_stubs.py",
        "tests/test_fuzz.py",
    ],
    "_files": ["tests/test_files.py", "tests/test_hardening_transport.py"],
    "_auth": ["tests/test_auth.py", "tests/test_files.py"],
    "_components": [
        "tests/test_limits.py",
        "tests/test_call_api.py",
        "tests/test_public_api.py",
        "tests/test_reference.py",
        "tests/test_reference_config.py",
        "tests/test_files.py",
        "tests/test_hardening_functions.py",
        "tests/test_standin.py",
    ],
    "_sessions": [
        "tests/test_limits.py",
        "tests/test_call_api.py",
        "tests/test_hardening_memory.py",
    ],
    "_routing": [
        "tests/test_limits.py",
        "tests/test_call_api.py",
        "tests/test_queue_protocol.py",
        "tests/test_files.py",
        "tests/test_proxy.py",
        "tests/test_reference.py",
        "tests/test_journal.py",
        "tests/test_stubs.py",
        "tests/test_fuzz.py",
    ],
    "_schema": [
        "tests/test_reference.py",
        "tests/test_reference_config.py",
        "tests/test_proxy.py",
        "tests/test_public_api.py",
    ],
    # The contract-testing toolkit (issue 10), as it arrived.
    "mock/_journal": ["tests/test_journal.py", "tests/test_call_api.py"],
    "mock/_stubs": ["tests/test_stubs.py", "tests/test_journal.py"],
}

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_SYMBOLS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_IGNORED_CALLS = {"logger", "logging", "warnings"}
_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "*.egg-info",
)


@dataclass(frozen=True)
class Mutant:
    module: str
    #: Position of the node in ``ast.walk`` order (the same for every parse of the file).
    index: int
    kind: str
    line: int
    description: str
    #: For comparisons: which operator of the chain.
    operand: int = 0

    def where(self) -> str:
        return f"server/{self.module}.py:{self.line}"


# -- finding and applying mutants ----------------------------------------------------------


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes no mutant touches: docstrings, ``__all__``, logging, TYPE_CHECKING."""
    skipped: set[int] = set()

    def skip(node: ast.AST) -> None:
        skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            skip(body[0])
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip(node)
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                skip(node)
        if isinstance(node, ast.AnnAssign | ast.arg | ast.FunctionDef | ast.AsyncFunctionDef):
            for annotation in _annotations(node):
                skip(annotation)
        if isinstance(node, ast.Call) and _root_name(node.func) in _IGNORED_CALLS:
            skip(node)
        if isinstance(node, ast.arguments):
            # Parameter defaults: the server passes every value from ``Settings`` (whose
            # defaults the CLI tests check), so changing one here changes nothing it runs.
            for default in [*node.defaults, *node.kw_defaults]:
                if default is not None:
                    skip(default)
    return skipped


def _annotations(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.AnnAssign | ast.arg):
        return [node.annotation] if node.annotation is not None else []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return [node.returns] if node.returns is not None else []
    return []


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def find_mutants(module: str, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    skipped = _skipped_nodes(tree)
    mutants: list[Mutant] = []

    def add(index: int, node: ast.AST, kind: str, description: str, operand: int = 0) -> None:
        line = getattr(node, "lineno", 0)
        mutants.append(Mutant(module, index, kind, line, description, operand))

    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                new = _COMPARE_SWAPS.get(type(op))
                if new is not None:
                    text = f"{_SYMBOLS[type(op)]} → {_SYMBOLS[new]}"
                    add(index, node, "compare", text, position)
        elif isinstance(node, ast.BoolOp):
            add(index, node, "boolop", "and → or" if isinstance(node.op, ast.And) else "or → and")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            add(index, node, "drop_not", f"not {ast.unparse(node.operand)[:40]} → without not")
        elif isinstance(node, ast.If):
            add(index, node, "negate_if", f"if {ast.unparse(node.test)[:40]} → if not (...)")
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            add(index, node, "number", f"{node.value!r} → {node.value + 1!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            add(index, node, "bool", f"{node.value} → {not node.value}")
        elif isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Add | ast.Sub):
            add(index, node, "arith", "+ → -" if isinstance(node.op, ast.Add) else "- → +")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call | ast.Await):
            add(index, node, "remove", f"removed: {ast.unparse(node)[:50]}")
        elif (
            isinstance(node, ast.Return)
            and node.value is not None
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        ):
            add(index, node, "return_none", f"return {ast.unparse(node.value)[:40]} → return None")
    return mutants


def apply(mutant: Mutant, source: str) -> str:
    """The module's source with ``mutant`` applied (reformatted by ``ast.unparse``)."""
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    node = nodes[mutant.index]
    if isinstance(node, ast.Compare):
        node.ops[mutant.operand] = _COMPARE_SWAPS[type(node.ops[mutant.operand])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        _replace(nodes, node, node.operand)
    elif isinstance(node, ast.If):
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif isinstance(node, ast.Constant) and mutant.kind == "bool":
        node.value = not node.value
    elif isinstance(node, ast.Constant):
        node.value = node.value + 1
    elif isinstance(node, ast.BinOp | ast.AugAssign):
        node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
    elif isinstance(node, ast.Expr):
        _replace(nodes, node, ast.Pass())
    elif isinstance(node, ast.Return):
        node.value = None
    else:
        raise AssertionError(f"no way to apply {mutant}")
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _replace(nodes: list[ast.AST], old: ast.AST, new: ast.AST) -> None:
    for parent in nodes:
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[next(i for i, item in enumerate(value) if item is old)] = new
                return
    raise AssertionError("node without a parent")


# -- running the tests on a copy ------------------------------------------------------------


@dataclass
class Outcome:
    mutant: Mutant
    killed: bool
    how: str  # "failed", "timeout", "survived"
    seconds: float


class Workspace:
    """A copy of the repository whose files a worker mutates, one mutant at a time."""

    def __init__(self, base: Path, name: str) -> None:
        self.path = base / name
        self.last_output = ""
        shutil.copytree(ROOT, self.path, ignore=_COPY_IGNORE)
        self.env = {
            **os.environ,
            "PYTHONPATH": str(self.path),
            # No .pyc files: a mutant written within the same second as the original, with
            # the same size, would otherwise run the original's cached bytecode.
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }

    def check_imports_the_copy(self) -> None:
        code = "import server, sys; print(server.__file__)"
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not out.startswith(str(self.path)):
            raise SystemExit(f"the tests would import {out}, not the mutated copy in {self.path}")

    @contextlib.contextmanager
    def mutated(self, mutant: Mutant, original: str) -> Iterator[None]:
        target = self.path / "server" / f"{mutant.module}.py"
        target.write_text(apply(mutant, original))
        try:
            yield
        finally:
            target.write_text(original)

    def run_tests(
        self, tests: list[str], timeout: float, test_timeout: float, *options: str
    ) -> tuple[str, float]:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--timeout={test_timeout}",
            *options,
            *tests,
        ]
        start = time.monotonic()
        with tempfile.TemporaryFile() as output:
            process = subprocess.Popen(
                command,
                cwd=self.path,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole on timeout
            )
            _RUNNING.add(process)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
                return "timeout", time.monotonic() - start
            except BaseException:  # interrupted: the tests of this copy stop too
                _kill(process)
                raise
            finally:
                _RUNNING.discard(process)
            output.seek(0)
            self.last_output = output.read().decode(errors="replace")
        return ("survived" if code == 0 else "failed"), time.monotonic() - start

    def baseline_failures(self, tests: list[str], test_timeout: float) -> list[str]:
        """The tests that fail with no mutant at all (a bug not yet fixed on this branch)."""
        verdict, _ = self.run_tests(tests, 1800, test_timeout, "-rf")
        if verdict == "survived":
            return []
        # The short summary's lines (not the captured log's "ERROR    uvicorn...").
        failed = [
            line.split()[1]
            for line in self.last_output.splitlines()
            if line.startswith(("FAILED tests/", "ERROR tests/"))
        ]
        if not failed:
            raise SystemExit(f"the tests {tests} fail without any mutant:\n{self.last_output}")
        return failed


_RUNNING: set[subprocess.Popen[bytes]] = set()


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run(args: argparse.Namespace) -> int:
    modules = args.module or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise SystemExit(f"unknown module(s) {unknown}; core modules: {', '.join(MODULES)}")
    rng = random.Random(args.seed)
    plan: list[Mutant] = []
    sources: dict[str, str] = {}
    for module in modules:
        sources[module] = (ROOT / "server" / f"{module}.py").read_text()
        mutants = find_mutants(module, sources[module])
        if args.max_mutants and len(mutants) > args.max_mutants:
            mutants = sorted(rng.sample(mutants, args.max_mutants), key=lambda m: m.index)
        plan.extend(mutants)
    if args.list:
        for mutant in plan:
            print(f"{mutant.where()}: {mutant.description}")
        return 0

    tests_of = {m: [t for t in MODULES[m] if (ROOT / t).exists()] for m in modules}
    base = Path(tempfile.mkdtemp(prefix="gradio-mock-mutants-"))
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    try:
        workspaces = [Workspace(base, f"w{i}") for i in range(args.jobs)]
        workspaces[0].check_imports_the_copy()
        # A test that fails on the unmutated copy would "kill" every mutant: it is left out
        # (and named), so that the rest still measure something.
        options: dict[str, list[str]] = {}
        for module in modules:
            failing = workspaces[0].baseline_failures(tests_of[module], args.test_timeout)
            options[module] = ["-x", *(f"--deselect={node}" for node in failing)]
            for node in failing:
                print(f"baseline {module}: {node} fails without any mutant: left out", flush=True)
            print(f"baseline {module}: ready", flush=True)
        free: list[Workspace] = list(workspaces)

        def work(mutant: Mutant) -> Outcome:
            with lock:
                workspace = free.pop()
            try:
                with workspace.mutated(mutant, sources[mutant.module]):
                    how, seconds = workspace.run_tests(
                        tests_of[mutant.module],
                        args.timeout,
                        args.test_timeout,
                        *options[mutant.module],
                    )
            finally:
                with lock:
                    free.append(workspace)
            outcome = Outcome(mutant, how != "survived", how, seconds)
            with lock:
                outcomes.append(outcome)
                mark = "survived" if how == "survived" else f"killed ({how})"
                print(
                    f"[{len(outcomes)}/{len(plan)}] {mutant.where()} {mutant.description}: "
                    f"{mark} in {seconds:.0f} s",
                    flush=True,
                )
            return outcome

        pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
        try:
            list(pool.map(work, plan))
        finally:
            # On an interruption, no mutant still waiting starts.
            pool.shutdown(wait=False, cancel_futures=True)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the tests and deleting the copies", file=sys.stderr)
        for process in list(_RUNNING):
            _kill(process)
        raise
    finally:
        shutil.rmtree(base, ignore_errors=True)
    report(outcomes, modules, args)
    return 0


def report(outcomes: list[Outcome], modules: list[str], args: argparse.Namespace) -> None:
    sample = f" (a sample of at most {args.max_mutants} per module, seed {args.seed})"
    print("\nmodule          killed / mutants   rate" + (sample if args.max_mutants else ""))
    for module in modules:
        mine = [o for o in outcomes if o.mutant.module == module]
        killed = sum(o.killed for o in mine)
        rate = f"{100 * killed / len(mine):5.1f}%" if mine else "    -"
        print(f"{module:<15} {killed:>6} / {len(mine):<8}  {rate}")
    survivors = sorted(
        (o.mutant for o in outcomes if not o.killed), key=lambda m: (m.module, m.line)
    )
    print(f"\nsurvivors ({len(survivors)}):")
    for mutant in survivors:
        print(f"  {mutant.where()}: {mutant.description}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # SIGTERM, and SIGINT even when started in the background (where it is ignored), stop
    # the run the same way as Ctrl+C: the tests are killed and the copies deleted.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", help="a core module (repeatable)")
    parser.add_argument("--max-mutants", type=int, default=0, help="sample per module (0: all)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the sample")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant")
    parser.add_argument("--test-timeout", type=float, default=40, help="seconds per test")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = parser.parse_args()
    return run(args)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
