"""The ``gradio-mock`` command: options, environment variables, exit codes, the banner and
the access log, run as a real process (``python -m server`` or the venv's script)."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server._cli import build_parser, main
from tests.sse import get_stream

ROOT = Path(__file__).resolve().parent.parent
HELLO = str(ROOT / "demos" / "hello.py")
SCRIPT = str(Path(sys.executable).with_name("gradio-mock"))
PYTHON_M = [sys.executable, "-m", "server"]
WAIT = 30.0
BANNER = re.compile(r"^Running on (http://127\.0\.0\.1:(\d+)(/[\w/]*)?)\s")

#: An app whose /wait call blocks until /release is called (events, not timing, across
#: processes), and whose /crash raises.
GATED_APP = textwrap.dedent(
    """
    import threading

    from server import App

    app = App("cli test")
    gate = threading.Event()


    @app.api("wait")
    def wait(x: str) -> str:
        if not gate.wait(30):
            raise TimeoutError("never released")
        return x


    @app.api("release", concurrency_limit=None)
    def release() -> str:
        gate.set()
        return "released"


    @app.api("crash")
    def crash(x: str) -> str:
        raise ValueError("secret internals")
    """
)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIO_", "PYTHON"))}
    return {**env, **extra}


def run_cli(
    *args: str, env: dict[str, str] | None = None, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(command or PYTHON_M), *args],
        capture_output=True,
        text=True,
        timeout=WAIT,
        env=env or cli_env(),
        cwd=ROOT,
    )


class Served:
    """A ``gradio-mock`` process; its output lines are read by threads as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*PYTHON_M, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.output: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._lines: dict[str, queue.Queue[str | None]] = {
            "stdout": queue.Queue(),
            "stderr": queue.Queue(),
        }
        self._threads = [
            threading.Thread(target=self._pump, args=(self.process.stdout, "stdout")),
            threading.Thread(target=self._pump, args=(self.process.stderr, "stderr")),
        ]
        for thread in self._threads:
            thread.start()
        match = self.wait_for_line(BANNER.match)
        self.url = match.group(1)
        self.port = int(match.group(2))
        # uvicorn has its signal handlers once it says so: from then on Ctrl+C is handled.
        self.wait_for_line(lambda line: "Application startup complete" in line, "stderr")

    @property
    def stdout(self) -> str:
        return "".join(self.output["stdout"])

    @property
    def stderr(self) -> str:
        return "".join(self.output["stderr"])

    def _pump(self, stream: Any, name: str) -> None:
        for line in stream:
            self.output[name].append(line)
            self._lines[name].put(line)
        self._lines[name].put(None)

    def wait_for_line(self, matches: Callable[[str], Any], stream: str = "stdout") -> Any:
        """The first truthy ``matches(line)`` of a line of ``stream`` not yet looked at."""
        while True:
            try:
                line = self._lines[stream].get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no such line; {stream}: {self.output[stream]}") from None
            if line is None:
                raise AssertionError(
                    f"the process ended (stdout: {self.stdout!r}, stderr: {self.stderr!r})"
                )
            found = matches(line)
            if found:
                return found

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop the server as Ctrl+C does (or with ``sig``); its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(WAIT)
        for thread in self._threads:
            thread.join(WAIT)
        return code


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Served:
        served = Served(list(args), env or cli_env())
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
        assert served.process.stdout is not None and served.process.stderr is not None
        served.process.stdout.close()
        served.process.stderr.close()


def _call(base: str, api: str, data: list[Any], **kwargs: Any) -> list[tuple[str, Any]]:
    with httpx.Client(base_url=base, timeout=WAIT, **kwargs) as client:
        response = client.post(f"/call/{api}", json={"data": data})
        assert response.status_code == 200, response.text
        event_id = response.json()["event_id"]
        _, body = get_stream(client, f"/call/{api}/{event_id}")
    return [
        (event, json.loads(data))
        for event, data in re.findall(r"event: (\w+)\ndata: (.*)\n\n", body)
    ]


# -- help, version and options -----------------------------------------------------


@pytest.mark.parametrize("command", [PYTHON_M, [SCRIPT]], ids=["python-m-server", "script"])
def test_help_mentions_every_option_and_environment_variable(command: list[str]) -> None:
    result = run_cli("--help", command=command)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: gradio-mock")
    help_text = " ".join(result.stdout.split())  # argparse wraps long lines
    for option in (
        "--host",
        "--port",
        "--heartbeat",
        "--cache-size",
        "--token",
        "--allow-url-host",
        "--show-error",
        "--root-path",
        "--gradio-version",
        "TARGET",
        "GRADIO_SERVER_NAME",
        "GRADIO_SERVER_PORT",
        "GRADIO_HEARTBEAT_INTERVAL",
    ):
        assert option in help_text, option
    assert result.stderr == ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == "gradio-mock 0.1.0"


BAD_OPTIONS = {
    "unknown": ["--bogus"],
    "port-abc": ["--port", "abc"],
    "port-range": ["--port", "70000"],
    "heartbeat-0": ["--heartbeat", "0"],
    "cache-0": ["--cache-size", "0"],
    "version-3": ["--gradio-version", "3"],
    "two-targets": [HELLO, "extra-target"],
}


@pytest.mark.parametrize("args", list(BAD_OPTIONS.values()), ids=list(BAD_OPTIONS))
def test_bad_option_exits_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert err.startswith("usage: gradio-mock")
    assert "gradio-mock: error: " in err
    assert out == ""


def test_bad_option_exits_2_as_a_process() -> None:
    result = run_cli("--port", "abc")
    assert result.returncode == 2
    assert "argument --port: invalid _port value: 'abc'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_environment_variables_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "2.5")
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.heartbeat) == ("0.0.0.0", 8123, 2.5)
    # Options given on the command line win over the environment.
    args = build_parser().parse_args(["--host", "127.0.0.1", "--port", "0", "--heartbeat", "1"])
    assert (args.host, args.port, args.heartbeat) == ("127.0.0.1", 0, 1.0)


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "GRADIO_HEARTBEAT_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.heartbeat, args.cache_size) == ("127.0.0.1", 7860, 15, 2000)
    assert (args.show_error, args.token, args.allow_url_host) == (False, None, [])
    assert (args.gradio_version, args.root_path) == (6, "")


def test_allow_url_host_is_repeatable() -> None:
    args = build_parser().parse_args(["--allow-url-host", "a.test", "--allow-url-host", "b.test"])
    assert args.allow_url_host == ["a.test", "b.test"]


# -- TARGET errors and port errors -------------------------------------------------


BAD_TARGETS = {
    "missing": (None, "{dir}/nowhere.py", "nowhere.py: no such file"),
    "raises": ("raise ValueError('broken on purpose')\n", "{file}", "broken on purpose"),
    "no_app": ("x = 1\n", "{file}", "defines no App"),
    "syntax": ("def (:\n", "{file}", "SyntaxError"),
    "not_app": ("from server import App\napp = 42\n", "{module}:app", "found int"),
    "no_module": (None, "no_such_module_here:app", "no such module"),
}


@pytest.fixture
def target_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder for TARGET files, importable; sys.path and sys.modules restored after."""
    monkeypatch.setattr(sys, "path", [*sys.path])
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("cli_target_")]:
        del sys.modules[name]


def _target(folder: Path, name: str) -> tuple[str, str]:
    source, target, expected = BAD_TARGETS[name]
    module = f"cli_target_{name}"
    file = folder / f"{module}.py"
    if source is not None:
        file.write_text(source)
    return target.format(dir=folder, file=file, module=module), expected


@pytest.mark.parametrize("name", list(BAD_TARGETS))
def test_bad_target_exits_3_with_one_line(
    target_dir: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target, expected = _target(target_dir, name)
    assert main([target, "--port", "0"]) == 3
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gradio-mock: error: ")
    assert expected in lines[0]
    assert out == ""


@pytest.mark.parametrize("name", ["missing", "raises", "no_app"])
def test_bad_target_exits_3_as_a_process(target_dir: Path, name: str) -> None:
    target, expected = _target(target_dir, name)
    result = run_cli(target, "--port", "0", env=cli_env(PYTHONPATH=str(target_dir)))
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gradio-mock: error: ")
    assert expected in lines[0]
    assert result.stdout == ""


def test_port_in_use_exits_4() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(HELLO, "--port", str(port))
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gradio-mock: error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr


# -- serving -------------------------------------------------------------------------


def test_serves_a_demo_file_lists_its_endpoints_and_logs_each_request(
    serve: Callable[..., Served],
) -> None:
    served = serve(HELLO, "--port", "0")
    assert served.port > 0
    banner = served.stdout
    assert "speaking Gradio 6.31.0's API" in banner
    assert f"API at {served.url}/gradio_api/call/<api_name>" in banner
    assert "/hello" in banner
    assert "name (Textbox), is_morning (Checkbox), temperature (Slider)" in banner
    assert "/predict" not in banner  # only what the file defines
    frames = _call(served.url + "/gradio_api", "hello", ["Hello", True, 5])
    assert frames == [("complete", ["Good morning Hello. It is 5 degrees today", -15.0])]
    served.wait_for_line(lambda line: '"POST /gradio_api/call/hello HTTP/1.1" 200' in line)
    served.wait_for_line(
        lambda line: re.search(r'"GET /gradio_api/call/hello/[0-9a-f]{32} HTTP/1.1" 200', line)
    )


def test_gradio_server_port_0_and_the_default_target(serve: Callable[..., Served]) -> None:
    served = serve(env=cli_env(GRADIO_SERVER_PORT="0"))
    banner = served.stdout
    for name in ("/predict", "/hello", "/stream", "/image", "/chat"):
        assert name in banner
    assert "/stream       text (Textbox)  streams" in banner
    assert _call(served.url, "predict", ["Hello, my friend."]) == [
        ("complete", ["Bonjour, mon ami."])
    ]


def test_module_attribute_target(serve: Callable[..., Served]) -> None:
    served = serve("demos.stream:app", "--port", "0", "--no-access-log")
    assert _call(served.url, "stream", ["ab"]) == [
        ("generating", ["a"]),
        ("generating", ["ab"]),
        ("complete", ["ab"]),
    ]
    served.stop()
    assert "HTTP/1.1" not in served.stdout + served.stderr
    assert "Application shutdown complete" in served.stderr  # all output is in


def test_heartbeat_interval_from_the_environment(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    app_file = tmp_path / "gated_app.py"
    app_file.write_text(GATED_APP)
    served = serve(str(app_file), "--port", "0", env=cli_env(GRADIO_HEARTBEAT_INTERVAL="0.2"))
    with httpx.Client(base_url=served.url, timeout=WAIT) as client:
        event_id = client.post("/call/wait", json={"data": ["x"]}).json()["event_id"]
        body = ""
        with client.stream("GET", f"/call/wait/{event_id}") as response:
            for chunk in response.iter_text():
                body += chunk
                if body.count("event: heartbeat\ndata: null\n\n") == 2:
                    assert _call(served.url, "release", []) == [("complete", ["released"])]
    assert body.startswith("event: heartbeat\ndata: null\n\nevent: heartbeat\ndata: null\n\n")
    assert body.endswith('event: complete\ndata: ["x"]\n\n')


def test_show_error_cache_size_and_gradio_version_options(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    app_file = tmp_path / "gated_app.py"
    app_file.write_text(GATED_APP)
    served = serve(
        str(app_file), "--port", "0", "--show-error", "--cache-size", "1", "--gradio-version", "4"
    )
    assert "speaking Gradio 4.44.1's API" in served.stdout
    [(event, payload)] = _call(served.url, "crash", ["x"])
    assert event == "error"
    assert "secret internals" in payload["error"]
    config = httpx.get(f"{served.url}/config", timeout=WAIT).json()
    assert config["version"] == "4.44.1"
    assert "api_prefix" not in config  # as Gradio 4.44's /config: the API is at the root
    # --cache-size 1: a second finished call pushes the first result out.
    with httpx.Client(base_url=served.url, timeout=WAIT) as client:
        first = client.post("/call/release", json={"data": []}).json()["event_id"]
        assert get_stream(client, f"/call/release/{first}")[0] == 200
        second = client.post("/call/release", json={"data": []}).json()["event_id"]
        assert get_stream(client, f"/call/release/{second}")[0] == 200
        assert client.get(f"/call/release/{first}").status_code == 404


def test_token_and_root_path_options(serve: Callable[..., Served]) -> None:
    served = serve(HELLO, "--port", "0", "--token", "s3cret", "--root-path", "/myapp")
    banner = served.stdout
    assert served.url.endswith("/myapp")
    assert "Token required" in banner
    assert "s3cret" not in banner
    data = ["Ann", False, 32]
    with httpx.Client(timeout=WAIT) as client:
        response = client.post(f"{served.url}/gradio_api/call/hello", json={"data": data})
        assert response.status_code == 401
    frames = _call(
        served.url + "/gradio_api", "hello", data, headers={"Authorization": "Bearer s3cret"}
    )
    assert frames == [("complete", ["Good evening Ann. It is 32 degrees today", 0.0])]


def test_ctrl_c_stops_the_server_cleanly(serve: Callable[..., Served]) -> None:
    served = serve(HELLO, "--port", "0")
    assert httpx.get(f"{served.url}/config", timeout=WAIT).status_code == 200
    assert served.stop(signal.SIGINT) == 0
    stderr = served.stderr
    assert "Application shutdown complete" in stderr
    assert "Traceback" not in stderr


def test_sigterm_shuts_down_gracefully(serve: Callable[..., Served]) -> None:
    served = serve(HELLO, "--port", "0")
    # uvicorn re-raises SIGTERM once it has shut down, so the process ends "killed by
    # SIGTERM" (as a shell reports 143), after a clean shutdown.
    assert served.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    stderr = served.stderr
    assert "Application shutdown complete" in stderr
    assert "Traceback" not in stderr
