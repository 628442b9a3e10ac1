"""The shared store with real processes: a process killed with SIGKILL mid-job (its readers
elsewhere get an error event within the lease), and ``--workers``."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from tests import test_cli
from tests.redis_server import RedisServer
from tests.sse import HTTP, iter_frames, read_frames, start_call, stream_timeout
from tests.test_cli import Served, cli_env, run_cli

APP = "tests/shared_app.py"
serve = test_cli.serve  # the fixture: gradio-mock processes, stopped at the end


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with RedisServer() as server:
        yield server.url


def test_a_process_killed_mid_job_ends_its_job_for_every_reader(
    serve: Callable[..., Served], redis_url: str
) -> None:
    options = ("--port", "0", "--store", redis_url, "--lease-timeout", "1", "--no-access-log")
    doomed = serve(APP, *options)
    survivor = serve(APP, *options)
    event_id = start_call(doomed.url, "hang", ["x"])
    with HTTP.stream(
        "GET", f"{survivor.url}/call/hang/{event_id}", timeout=stream_timeout(20)
    ) as response:
        frames = iter_frames(response, 20)
        assert next(frames) == ("generating", ["started x"])  # the job is running over there
        os.kill(doomed.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        kind, data = next(frames)
        waited = time.monotonic() - killed_at
    assert kind == "error"
    assert "was lost" in data["error"] and "--lease-timeout" in data["error"]
    assert waited < 10  # a lease of 1 s: well within a few seconds
    assert doomed.process.wait(10) == -signal.SIGKILL
    # The survivor serves on, and a re-read of the lost job is the same error.
    assert read_frames(f"{survivor.url}/call/echo/{start_call(survivor.url, 'echo', ['y'])}") == [
        ("complete", ["y"])
    ]
    replay = read_frames(f"{survivor.url}/call/hang/{event_id}")
    assert replay == [("generating", ["started x"]), ("error", data)]
    assert survivor.stop() == 0


def test_a_process_stopped_mid_job_tells_every_reader_so(
    serve: Callable[..., Served], redis_url: str
) -> None:
    # Ctrl+C on the process running a job: a reader on another process gets the job's end
    # as that process wrote it (the server is stopping), not a lost job a lease later.
    options = ("--port", "0", "--store", redis_url, "--lease-timeout", "30", "--no-access-log")
    stopping = serve(APP, *options, "--shutdown-timeout", "1")
    reader = serve(APP, *options)
    event_id = start_call(stopping.url, "hang", ["y"])
    with HTTP.stream("GET", f"{reader.url}/call/hang/{event_id}", timeout=stream_timeout(20)) as r:
        frames = iter_frames(r, 20)
        assert next(frames) == ("generating", ["started y"])
        stopping.process.send_signal(signal.SIGINT)
        kind, data = next(frames)
    assert kind == "error" and data["error"] == "The server is stopping."
    stopping.stop()
    assert reader.stop() == 0


def test_workers_share_one_port_and_ctrl_c_stops_them_all(
    serve: Callable[..., Served], redis_url: str
) -> None:
    served = serve(APP, "--port", "0", "--store", redis_url, "--workers", "2")
    served.wait_for_line(lambda line: "Application startup complete" in line, "stderr")
    children = subprocess.run(
        ["pgrep", "-P", str(served.process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(children) == 2, served.stderr
    # Each call's POST and GET may land on either worker: all are answered.
    for i in range(20):
        event_id = start_call(served.url, "echo", [f"call {i}"])
        assert read_frames(f"{served.url}/call/echo/{event_id}") == [("complete", [f"call {i}"])]
    assert "2 worker processes share the store" in served.stdout
    assert served.stop(signal.SIGINT) == 0
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)


def _is_zombie(pid: str) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] == "Z"


def test_workers_without_a_store_are_refused_in_one_line() -> None:
    result = run_cli(APP, "--workers", "2", "--port", "0")
    assert result.returncode == 2
    assert "--workers needs --store" in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_unreachable_store_is_exit_code_5_with_a_message() -> None:
    result = run_cli(APP, "--store", "redis://127.0.0.1:1/0", "--port", "0")
    assert result.returncode == 5
    assert "cannot reach the shared store at redis://127.0.0.1:1/0" in result.stderr
    bad = run_cli(APP, "--store", "mysql://x", "--port", "0")
    assert bad.returncode == 5 and "expected redis://HOST:PORT/DB" in bad.stderr
    hidden = run_cli(APP, "--store", "redis://:hunter2@127.0.0.1:1/0", "--port", "0")
    assert "hunter2" not in hidden.stderr  # the password is never printed


def test_the_store_can_be_given_by_the_environment(redis_url: str) -> None:
    env = cli_env(GRADIO_MOCK_STORE="redis://127.0.0.1:1/0")
    result = run_cli(APP, "--port", "0", env=env)
    assert result.returncode == 5 and "redis://127.0.0.1:1/0" in result.stderr


def test_a_password_in_the_store_url_is_used_and_never_shown(
    serve: Callable[..., Served],
) -> None:
    with RedisServer(password="s3cret-pass") as redis:
        served = serve(APP, "--port", "0", "--store", redis.url)
        event_id = start_call(served.url, "echo", ["with a password"])
        assert read_frames(f"{served.url}/call/echo/{event_id}") == [
            ("complete", ["with a password"])
        ]
        assert "s3cret-pass" not in served.stdout + served.stderr
        wrong = redis.url.replace("s3cret-pass", "wrong")
        refused = run_cli(APP, "--port", "0", "--store", wrong)
        assert refused.returncode == 5
        assert "s3cret-pass" not in refused.stderr and "wrong" not in refused.stderr
        assert served.stop() == 0


def test_the_database_in_the_store_url_holds_every_key(serve: Callable[..., Served]) -> None:
    # Two processes on database 5 of a Redis of this test's own: a job posted on one is
    # read on the other, and nothing is written anywhere else (each of the store's
    # connections selects the database).
    with RedisServer() as server:
        store = server.url.rsplit("/", 1)[0] + "/5"
        first = serve(APP, "--port", "0", "--store", store)
        second = serve(APP, "--port", "0", "--store", store)
        event_id = start_call(first.url, "echo", ["in database 5"])
        frames = read_frames(f"{second.url}/call/echo/{event_id}")
        assert frames == [("complete", ["in database 5"])]
        with redis.Redis.from_url(server.url) as zero, redis.Redis.from_url(store) as five:
            assert zero.keys("*") == []
            keys = {key.decode().split(":")[2] for key in five.keys("gradio-mock:*")}
        assert {"meta", "job", "lru", "journal"} <= keys
        assert first.stop() == 0 and second.stop() == 0
