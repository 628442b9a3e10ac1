"""The "view API" code snippets in ``/info`` (Gradio 5 and 6) run as printed: the Python one
with gradio_client, the shell one with bash and curl, against the server that printed them."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import shutil
import subprocess

import pytest

from server.pytest_plugin import MockServer
from tests.sse import HTTP


def snippets(server: MockServer, api: str) -> dict[str, str]:
    info = HTTP.get(f"{server.url}/gradio_api/info").json()
    found: dict[str, str] = info["named_endpoints"][f"/{api}"]["code_snippets"]
    return found


def test_every_endpoint_has_python_javascript_and_bash(gradio_mock: MockServer) -> None:
    info = HTTP.get(f"{gradio_mock.url}/gradio_api/info").json()
    for name, entry in info["named_endpoints"].items():
        assert set(entry["code_snippets"]) == {"python", "javascript", "bash", "cli"}, name
        assert f'api_name="{name}"' in entry["code_snippets"]["python"]
        assert f'client.predict("{name}"' in entry["code_snippets"]["javascript"]
        assert gradio_mock.url in entry["code_snippets"]["bash"]


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("predict", "Bonjour!!"),  # not in the phrase table: translated word by word
        ("hello", repr(("Good evening Hello!!. It is 0 degrees today", -17.78))),
    ],
)
def test_python_snippet_runs(gradio_mock: MockServer, api: str, expected: str) -> None:
    code = snippets(gradio_mock, api)["python"]
    ast.parse(code)  # valid Python as printed
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, f"<{api} snippet>", "exec"), {})
    assert printed.getvalue().splitlines()[-1] == expected


def test_python_snippet_of_a_file_input_uses_handle_file(gradio_mock: MockServer) -> None:
    code = snippets(gradio_mock, "image")["python"]
    assert code.startswith("from gradio_client import Client, handle_file\n")
    assert "image=handle_file(" in code


def test_bash_snippet_runs(gradio_mock: MockServer) -> None:
    bash = shutil.which("bash")
    assert bash is not None and shutil.which("curl") is not None
    code = snippets(gradio_mock, "hello")["bash"]
    # Gradio's snippet pipes into `read`, which keeps its variable only with lastpipe.
    result = subprocess.run(
        [bash, "-c", "shopt -s lastpipe\n" + code],
        capture_output=True,
        timeout=30,
        check=True,
    )
    frames = result.stdout.decode().strip().split("\n\n")
    event, data = frames[-1].split("\n", 1)
    assert event == "event: complete"
    assert json.loads(data.removeprefix("data: ")) == [
        "Good evening Hello!!. It is 0 degrees today",
        -17.78,
    ]
