"""A real ``redis-server`` for the tests of the shared store: its own free port, its own temp
folder, no persistence, stopped at the end (never a fake).

    with RedisServer() as redis:
        url = redis.url            # redis://127.0.0.1:PORT/0
        redis.stop(); redis.start()  # the same port again: "Redis went away and came back"

Without ``redis-server`` on the machine the tests that need it fail (they do not skip: a
missing engine is a missing install step) with the command that installs it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType

import pytest

__all__ = ["RedisServer"]

INSTALL_HINT = (
    "redis-server is not installed; the shared-store tests run a real one. Install it with "
    "`apt-get update && apt-get install -y redis-server` (.ci/run does this on a fresh machine)."
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    def __init__(self, port: int | None = None, password: str | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(INSTALL_HINT, pytrace=False)
        self.binary = binary
        self.port = port or _free_port()
        self.password = password
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}/0"
        self._folder = tempfile.TemporaryDirectory(prefix="gradio-mock-redis-")
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def start(self, timeout: float = 20.0) -> RedisServer:
        ready = threading.Event()
        self.output = []
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self._folder.name,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                *(["--requirepass", self.password] if self.password else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )

        def drain(process: subprocess.Popen[str]) -> None:
            assert process.stdout is not None
            for line in process.stdout:
                if len(self.output) < 200:
                    self.output.append(line.rstrip("\n"))
                if "Ready to accept connections" in line:
                    ready.set()
            ready.set()  # it exited: stop waiting

        self._drain = threading.Thread(target=drain, args=(self.process,), daemon=True)
        self._drain.start()
        if not ready.wait(timeout) or self.process.poll() is not None:
            log = "\n".join(self.output[-20:])
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}:\n{log}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process is not None and self.process.stdout is not None:
            self._drain.join(10)  # (it reads to the end of the output, then the pipe closes)
            self.process.stdout.close()
        self.process = None

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self._folder.cleanup()

    @property
    def folder(self) -> Path:
        return Path(self._folder.name)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
