"""The official clients of older Gradio eras, each in an environment the suite builds itself,
for tests/test_old_clients.py.

- ``gradio_client`` 1.3.0 and 1.14.0 each get a venv under ``tests/.clients/`` (git-ignored),
  made with ``python -m venv`` and ``pip install -r tests/clients/gradio_client-<version>.txt``
  (the client and its dependencies, pinned as tried). They run ``tests/clients/py_client.py``
  with that venv's python, so the suite's own ``gradio_client`` (2.7.2) is untouched.
- ``@gradio/client`` 0.20.1 and 1.19.1 are the npm projects ``tests/js-0.20`` and
  ``tests/js-1.x`` (package.json and package-lock.json pinned), installed with ``npm ci`` on
  first use and driven by ``tests/clients/js_client.mjs``.

An environment is built once per machine and kept: the venv's marker file holds a hash of its
requirements file (a changed pin builds it again), and ``npm ci`` runs only when node_modules
does not match the lock. When building fails, the tests fail saying why (never skip).

``era_app()`` is the app the clients talk to: the demos, plus /fail (raises ``Error``), /file
(a File in, the file upper-cased out) and /forever (counts until cancelled; its ``finally:``
sets ``stopped``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from demos import app as demos_app
from server import App, Error, File, output_path

__all__ = ["EraApp", "JsClient", "PyClient", "era_app", "js_client", "py_client"]

TESTS = Path(__file__).parent
CACHE = TESTS / ".clients"
CLIENTS = TESTS / "clients"
PY_SCRIPT = CLIENTS / "py_client.py"
JS_SCRIPT = CLIENTS / "js_client.mjs"
#: A scenario's own deadline is 20 s; this one only catches a script that ignores it.
RUN_TIMEOUT = 40.0
INSTALL_TIMEOUT = 300.0
#: Pause between /forever's values (short, so that a cancel is seen quickly).
TICK = 0.05


# -- the app ---------------------------------------------------------------------------


@dataclass
class EraApp:
    app: App
    #: Set by /forever's ``finally:``, i.e. when the server stopped the generator.
    stopped: threading.Event = field(default_factory=threading.Event)


def era_app() -> EraApp:
    result = EraApp(App("old clients"))
    result.app.include(demos_app)

    @result.app.api("fail")
    def fail(text: str) -> str:
        raise Error(f"custom failure: {text}")

    @result.app.api("file", inputs=[File()], outputs=[File()])
    def upper(path: str) -> str:
        """The file's bytes upper-cased (a File input, which @gradio/client 0.x uploads)."""
        with open(path, "rb") as source:
            data = source.read()
        target = output_path("upper.txt")
        with open(target, "wb") as out:
            out.write(data.upper())
        return target

    @result.app.api("forever")
    async def forever(text: str) -> AsyncIterator[str]:
        count = 0
        try:
            while True:
                count += 1
                yield f"{text} {count}"
                await asyncio.sleep(TICK)
        finally:
            result.stopped.set()

    return result


# -- running a scenario ----------------------------------------------------------------


def _run(command: list[str], what: str, env: dict[str, str] | None = None) -> Any:
    """Run a scenario script; the ``result`` of the one JSON line it printed."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env, cwd=TESTS
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{what} took more than {RUN_TIMEOUT:.0f} s: {error.stderr!r}")
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        pytest.fail(
            f"{what} printed no JSON result (exit {done.returncode}).\n"
            f"stdout: {done.stdout}\nstderr: {done.stderr}"
        )
    assert len(lines) == 1, f"{what} printed more than its result: {done.stdout}"
    if not report["ok"]:
        pytest.fail(
            f"{what} failed: {report['error']}\n"
            f"{report.get('traceback') or report.get('stack')}\nstderr: {done.stderr}"
        )
    return report["result"]


@dataclass(frozen=True)
class PyClient:
    """An older gradio_client in its own venv."""

    version: str
    python: Path

    def run(self, url: str, scenario: str, argument: Any = None) -> Any:
        env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "PYTHONPATH")}
        # No telemetry, and no token of the machine's Hugging Face login.
        env |= {
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "1",
            "HF_HOME": str(CACHE / "hf-home"),
        }
        command = [str(self.python), str(PY_SCRIPT), url, scenario]
        if argument is not None:
            command.append(json.dumps(argument))
        return _run(command, f"gradio_client {self.version} {scenario}", env)


@dataclass(frozen=True)
class JsClient:
    """An older @gradio/client in its own npm project."""

    version: str
    node: str
    package: Path

    def run(self, url: str, scenario: str, argument: Any = None) -> Any:
        command = [self.node, str(JS_SCRIPT), str(self.package), url, scenario]
        if argument is not None:
            command.append(json.dumps(argument))
        return _run(command, f"@gradio/client {self.version} {scenario}")


# -- building the environments ---------------------------------------------------------


def _fail_building(what: str, detail: str) -> None:
    pytest.fail(f"Could not build the environment of {what}: {detail}", pytrace=False)


def py_client(version: str, requirements: Path | None = None, venv: Path | None = None) -> PyClient:
    """gradio_client ``version`` in ``tests/.clients/gradio_client-<version>/``, built from
    ``tests/clients/gradio_client-<version>.txt`` if missing or built from other pins."""
    requirements = requirements or CLIENTS / f"gradio_client-{version}.txt"
    venv = venv or CACHE / f"gradio_client-{version}"
    python = venv / "bin" / "python"
    marker = venv / ".built-from"
    what = f"gradio_client {version} ({venv})"
    try:
        digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    except OSError as error:
        _fail_building(what, f"cannot read its requirements: {error}")
    if python.exists() and marker.exists() and marker.read_text() == digest:
        return PyClient(version, python)
    shutil.rmtree(venv, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            _fail_building(what, f"`{' '.join(step)}` took more than {INSTALL_TIMEOUT:.0f} s")
        if done.returncode != 0:
            _fail_building(
                what, f"`{' '.join(step)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
    marker.write_text(digest)
    return PyClient(version, python)


def _stale_packages(package: Path) -> list[str]:
    """The packages of package-lock.json that node_modules lacks or holds in another version."""
    lock = json.loads((package / "package-lock.json").read_text())
    stale = []
    for key, entry in lock["packages"].items():
        if not key.startswith("node_modules/"):
            continue
        try:
            version = json.loads((package / key / "package.json").read_text()).get("version")
        except (OSError, ValueError):
            version = None
        if version != entry.get("version"):
            stale.append(f"{key.removeprefix('node_modules/')}@{entry.get('version')}")
    return stale


def js_client(version: str, folder: str) -> JsClient:
    """@gradio/client ``version`` in the npm project ``tests/<folder>``, ``npm ci`` first if
    its node_modules does not match its lock."""
    package = TESTS / folder
    what = f"@gradio/client {version} ({package})"
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _fail_building(
            what,
            f"Node.js 18+ and npm must be on the PATH (node: {node or 'missing'}, "
            f"npm: {npm or 'missing'})",
        )
    assert node is not None and npm is not None
    stale = _stale_packages(package)
    if stale:
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=package,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            _fail_building(what, f"`npm ci` took more than {INSTALL_TIMEOUT:.0f} s")
        if done.returncode != 0 or _stale_packages(package):
            _fail_building(
                what,
                f"`npm ci` exited {done.returncode} installing {', '.join(stale)}:\n"
                f"{done.stdout}\n{done.stderr}",
            )
    installed = json.loads((package / "node_modules/@gradio/client/package.json").read_text())
    if installed["version"] != version:
        _fail_building(what, f"tests/{folder} holds @gradio/client {installed['version']}")
    return JsClient(version, node, package)
