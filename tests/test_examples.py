"""The README's worked example runs and passes, as its users would run it: examples/node-wrapper's
``node --test`` suite (which starts its own ``gradio-mock --stubs stubs.json`` and drives it
through the admin API) and examples/python-wrapper's pytest suite (the plugin's fixtures), each
in a subprocess. Their output is shown when they fail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_js_client import node_with_packages

EXAMPLES = Path(__file__).parent.parent / "examples"
TIMEOUT = 120.0


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``command`` in its own process group (so that a timeout also ends the server a
    node suite started); its output, after checking that it passed."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"{' '.join(command)} took more than {TIMEOUT:.0f} s:\n{output}")
    assert process.returncode == 0, (
        f"{' '.join(command)} (in {cwd}) failed with exit code {process.returncode}:\n{output}"
    )
    return output


@pytest.mark.node
def test_the_node_example_passes() -> None:
    directory = EXAMPLES / "node-wrapper"
    node = node_with_packages(directory)
    env = {**os.environ, "GRADIO_MOCK_PYTHON": sys.executable}
    output = run([node, "--test"], directory, env)
    assert "# pass 4" in output and "# fail 0" in output, output


def test_the_python_example_passes() -> None:
    command = [sys.executable, "-m", "pytest", "examples/python-wrapper", "-p", "no:cacheprovider"]
    output = run(command, EXAMPLES.parent)
    assert "4 passed" in output, output
