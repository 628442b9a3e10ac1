"""Record what a Gradio server answers, normalised so that a re-capture diffs cleanly.

    python tests/reference/capture.py --python /path/to/venv/bin/python      # store
    python tests/reference/capture.py --python /path/to/venv/bin/python --check  # drift alarm
    python tests/reference/capture.py --mock 4 --out /tmp/mock4             # gradio-mock's answers
    python tests/reference/capture.py --diff tests/reference/gradio-4.44.1 /tmp/mock4

``--python`` runs ``reference_app.py`` with that Python (which must have ``gradio``) on a free
loopback port and stores its answers in ``tests/reference/gradio-<version>/``. ``--check``
captures into a temporary folder instead and prints a unified diff against the stored
captures; the exit status is 1 when anything changed. ``--mock N`` serves ``mock_app.py`` (the
same endpoints, as far as gradio-mock can express them) with ``gradio-mock --gradio-version N``.
See ``README.md`` in this folder for the list of captures and the normalisation rules.

This script needs httpx (a test dependency of the project) and nothing from gradio.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
from demos import _png  # noqa: E402

#: A 2x2 red PNG, the image every image input gets.
PNG = _png.solid(2, 2, (255, 0, 0))
TEXT = b"hello, file\n"
#: How long a stream may stay silent before the capture notes it as open and moves on.
SILENCE = 3.0
#: The longest any one capture may take.
DEADLINE = 30.0
#: Keys whose numbers are timings (seconds, ETAs, clocks): replaced by "<float>".
TIMING_KEYS = {
    "rank_eta",
    "eta",
    "avg_event_process_time",
    "avg_event_concurrent_process_time",
    "average_duration",
    "time",
    "timestamp",
    "app_id",
    "avg_time",
    "cache_duration",
}


# -- normalisation ------------------------------------------------------------------------


class Normaliser:
    """Replaces what changes from run to run with stable placeholders.

    - the server's base URL (``http://127.0.0.1:<port>``) → ``<root>``, other loopback URLs
      → ``http://127.0.0.1:<port>``;
    - 32-hex event ids → ``<id1>``, ``<id2>``, … numbered in order of first appearance in one
      capture file (so a re-capture gives the same numbers);
    - the server's temporary folder and the hash folders under it → ``<tmp>/…/`` (the file name
      is kept);
    - memory addresses in reprs (``<function f at 0x7f…>``) → ``0x…``;
    - numbers under timing keys (``TIMING_KEYS``) and non-integral ``duration`` values (job
      durations; a toast's ``duration`` of 10 is kept) → ``"<float>"``.
    """

    def __init__(self, root: str, temp_dirs: list[str]) -> None:
        self.root = root
        self.temp_dirs = [d for d in temp_dirs if d]
        self.ids: dict[str, str] = {}

    def reset(self) -> None:
        self.ids = {}

    def text(self, value: str) -> str:
        value = value.replace(self.root, "<root>")
        # Gradio 4.44 drops the last digit of the port in /call File URLs (7877 → 787).
        value = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:<port>", value)
        for temp in self.temp_dirs:
            value = re.sub(re.escape(temp) + r"(/[^\s\"'/]+)*/", "<tmp>/…/", value)
        # gradio-mock and Gradio both keep files under the system's temporary folder.
        value = re.sub(r"/tmp/[^\s\"']*/(?=[^\s\"'/]+)", "<tmp>/…/", value)
        value = re.sub(r" at 0x[0-9a-f]+>", " at 0x…>", value)  # reprs of functions
        return re.sub(r"\b[0-9a-f]{32}\b", self._id, value)

    def _id(self, match: re.Match[str]) -> str:
        return self.ids.setdefault(match.group(0), f"<id{len(self.ids) + 1}>")

    def json(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        timing = key in TIMING_KEYS or (key == "duration" and value != int(value))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and timing:
            return "<float>"
        return value

    def sse(self, body: str) -> str:
        """An SSE body with heartbeat frames dropped (their number depends on timing)."""
        frames = [f for f in body.split("\n\n") if f]
        kept = [f for f in frames if f.strip() and not f.startswith("event: heartbeat")]
        out = "\n\n".join(self._sse_frame(f) for f in kept)
        return out + ("\n\n" if kept else "")

    def stream(self, result: dict[str, Any]) -> None:
        """Normalise the body ``read_stream`` gave, as SSE if it is an event stream."""
        body = result.get("body")
        if not isinstance(body, str) or body == "<varies>":
            return
        if str(result.get("content_type", "")).startswith("text/event-stream"):
            result["body"] = self.sse(body)
        else:
            result["body"] = self.text(body)

    def _sse_frame(self, frame: str) -> str:
        lines = []
        for line in frame.split("\n"):
            if line.startswith("data: "):
                try:
                    parsed = json.loads(line[6:])
                except ValueError:
                    lines.append(self.text(line))
                    continue
                lines.append("data: " + json.dumps(self.json(parsed), ensure_ascii=False))
            else:
                lines.append(self.text(line))
        return "\n".join(lines)


# -- the server under capture -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(command: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    """Run ``command`` until its /config answers; yield its base URL; stop it."""
    log_path = env.get("CAPTURE_LOG")  # keep the server's log there (for debugging)
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise SystemExit(f"the server exited:\n{log.read().decode(errors='replace')}")
            try:
                if httpx.get(url + "/config", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer /config within 120 s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# -- reading streams with a deadline -----------------------------------------------------


def read_stream(
    client: httpx.Client,
    method: str,
    url: str,
    stop: Callable[[str], bool] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """Status, content type and body of a (possibly endless) response, read until it closes,
    ``stop(body)`` is true, it stays silent for ``SILENCE`` s, or ``DEADLINE`` passes."""
    body = b""
    ending = "closed"
    started = time.monotonic()
    try:
        with client.stream(method, url, timeout=httpx.Timeout(10, read=SILENCE), **kw) as response:
            for chunk in response.iter_raw():
                body += chunk
                if stop is not None and stop(body.decode(errors="replace")):
                    ending = "stopped reading"
                    break
                if time.monotonic() - started > DEADLINE:
                    ending = f"still open after {DEADLINE:.0f} s"
                    break
            status, kind = response.status_code, response.headers.get("content-type")
    except httpx.ReadTimeout:
        return {"status": "open", "ending": f"no bytes for {SILENCE:.0f} s", "body": body.decode()}
    except httpx.HTTPError as error:
        # Which error (a reset, or an incomplete chunked body after a partial frame such as
        # Gradio 5's `event: error` / `data: "404: Not Found"`) varies from run to run.
        del error
        return {"ending": "connection broken", "body": "<varies>"}
    return {"status": status, "content_type": kind, "ending": ending, "body": body.decode()}


def messages(body: str) -> list[Any]:
    """The JSON of each ``data:`` line of a /queue/data body, heartbeats dropped."""
    out = []
    for line in body.split("\n"):
        if line.startswith("data: "):
            try:
                message = json.loads(line[6:])
            except ValueError:
                message = line[6:]
            if isinstance(message, dict) and message.get("msg") == "heartbeat":
                continue
            out.append(message)
    return out


# -- the captures ------------------------------------------------------------------------


class Capture:
    def __init__(self, url: str, out: Path, normaliser: Normaliser) -> None:
        self.url = url
        self.out = out
        self.norm = normaliser
        self.client = httpx.Client(timeout=10)
        self.config: dict[str, Any] = self.client.get(url + "/config").json()
        self.prefix = self.config.get("api_prefix", "")
        self.base = url + self.prefix
        self.fn_index = {d["api_name"]: i for i, d in enumerate(self.config["dependencies"])}
        self.kinds = {c["id"]: c["type"] for c in self.config["components"]}

    def save(self, name: str, value: Any) -> None:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, str):
            path.write_text(value)
        else:
            path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n")
        self.norm.reset()

    def answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
            if body.startswith("Traceback (most recent call last):"):
                # Gradio 5.50 answers 500 with the traceback: keep its last line (the rest
                # names files of the machine it ran on).
                body = "Traceback (most recent call last): … " + body.strip().splitlines()[-1]
        return {
            "status": response.status_code,
            "content_type": response.headers.get("content-type"),
            "body": self.norm.json(body),
        }

    # The inputs each endpoint gets (its API inputs; /queue/join adds state values).
    def upload(self, name: str, content: bytes, mime: str) -> dict[str, Any]:
        response = self.client.post(self.base + "/upload", files=[("files", (name, content, mime))])
        path = response.json()[0]
        return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}

    def cases(self) -> dict[str, list[Any]]:
        image = self.upload("red.png", PNG, "image/png")
        text = self.upload("note.txt", TEXT, "text/plain")
        return {
            "predict": ["Hello, my friend."],
            "hello": ["Hello", True, 5],
            "stream": ["Hello!"],
            "image": [image],
            "file": [text],
            "chat": ["Hi"],
            "kinds": [3, "b", {"a": [1, 2]}, [{"role": "user", "content": "Hello!"}]],
            "progress": ["loud"],
            "count": [3],
            "boom": ["x"],
            "crash": ["x"],
        }

    def run(self) -> None:
        self.save("config.json", self.norm.json(self.config))
        self.routes()
        self.save("upload.json", self.capture_upload())
        cases = self.cases()
        for api, data in cases.items():
            self.save(f"call/{api}.json", self.call(api, data))
        for api, data in cases.items():
            self.save(f"queue/{api}.json", self.queue(api, data, f"capture_{api}"))
        self.errors()
        self.cancel_and_reset()
        self.sessions()
        self.client.close()

    def routes(self) -> None:
        """Which route forms answer (root and /gradio_api), and /info in each."""
        forms: dict[str, Any] = {}
        for prefix in ("", "/gradio_api"):
            for path in ("/config", "/info"):
                response = self.client.get(self.url + prefix + path)
                forms[f"GET {prefix}{path}"] = response.status_code
                if path == "/info" and response.status_code == 200:
                    form = prefix.strip("/") or "root"
                    name = "info.json" if prefix == self.prefix else f"info-{form}.json"
                    self.save(name, self.norm.json(response.json()))
            response = self.client.post(self.url + prefix + "/call/predict", json={"data": ["x"]})
            forms[f"POST {prefix}/call/predict"] = response.status_code
        response = self.client.post(
            self.base + "/call/v2/hello", json={"name": "Ann", "temperature": 50}
        )
        forms["POST {prefix}/call/v2/hello"] = self.answer(response)
        self.save("routes.json", forms)

    def capture_upload(self) -> Any:
        response = self.client.post(
            self.base + "/upload",
            files=[
                ("files", ("red.png", PNG, "image/png")),
                ("files", ("n.txt", TEXT, "text/plain")),
            ],
        )
        return self.answer(response)

    def call(self, api: str, data: list[Any], body: dict[str, Any] | None = None) -> Any:
        """POST /call/<api>, then the SSE bytes of GET /call/<api>/<event_id>."""
        post = self.client.post(f"{self.base}/call/{api}", json=body or {"data": data})
        result: dict[str, Any] = {"post": self.answer(post)}
        if post.status_code == 200:
            event_id = post.json()["event_id"]
            stream = read_stream(self.client, "GET", f"{self.base}/call/{api}/{event_id}")
            self.norm.stream(stream)
            result["get"] = stream
        return result

    def join_data(self, api: str, data: list[Any], session: str) -> dict[str, Any]:
        dependency = self.config["dependencies"][self.fn_index[api]]
        values = iter(data)
        full = [
            None if self.kinds[i] == "state" else next(values, None) for i in dependency["inputs"]
        ]
        full.extend(values)  # more values than inputs: sent as is
        return {
            "data": full,
            "event_data": None,
            "fn_index": self.fn_index[api],
            "trigger_id": dependency["targets"][0][0] if dependency.get("targets") else None,
            "session_hash": session,
        }

    def queue(self, api: str, data: list[Any], session: str, raw: bool = False) -> Any:
        """POST /queue/join, then the messages of GET /queue/data until close_stream."""
        body = self.join_data(api, data, session)
        if raw:
            body["data"] = data
        join = self.client.post(self.base + "/queue/join", json=body)
        result: dict[str, Any] = {"join": self.answer(join)}
        if join.status_code == 200:
            stream = read_stream(
                self.client,
                "GET",
                f"{self.base}/queue/data",
                params={"session_hash": session},
                stop=lambda text: '"close_stream"' in text,
            )
            body_text = stream.pop("body")
            stream["messages"] = self.norm.json(messages(body_text))
            result["data"] = stream
        return result

    def errors(self) -> None:
        out: dict[str, Any] = {}
        out["unknown api_name"] = self.call("nope", ["x"])
        out["unknown event_id"] = read_stream(
            self.client, "GET", f"{self.base}/call/predict/{'0' * 32}"
        )
        post = self.client.post(f"{self.base}/call/predict", json={"data": ["Hello, my friend."]})
        event_id = post.json()["event_id"]
        first = read_stream(self.client, "GET", f"{self.base}/call/predict/{event_id}")
        again = read_stream(self.client, "GET", f"{self.base}/call/predict/{event_id}")
        out["finished event read again"] = {"first": first, "again": again}
        # Gradio 6 resets connections here: go on with new ones.
        self.client.close()
        self.client = httpx.Client(timeout=10)
        out["too few inputs"] = self.call("hello", ["Hello"])
        out["too many inputs"] = self.call("predict", ["Hello, my friend.", "extra"])
        out["body is not JSON"] = self.answer(
            self.client.post(f"{self.base}/call/predict", content=b"{not json")
        )
        out["body without data"] = self.answer(
            self.client.post(f"{self.base}/call/predict", json={"x": 1})
        )
        out["queue: too few inputs"] = self.queue("hello", ["Hello"], "capture_few", raw=True)
        out["queue: too many inputs"] = self.queue(
            "predict", ["Hello, my friend.", "extra"], "capture_many", raw=True
        )
        out["queue: unknown fn_index"] = self.answer(
            self.client.post(
                self.base + "/queue/join",
                json={"data": ["x"], "fn_index": 999, "session_hash": "capture_bad"},
            )
        )
        for value in out.values():
            if isinstance(value, dict):
                for part in ("first", "again"):
                    if isinstance(value.get(part), dict):
                        self.norm.stream(value[part])
                if "ending" in value:
                    self.norm.stream(value)
        self.save("errors.json", out)

    def cancel_and_reset(self) -> None:
        out: dict[str, Any] = {}
        self.client.close()
        self.client = httpx.Client(timeout=10)
        # /cancel of a running generator, as the clients do it: join, wait for a value, cancel.
        session = "capture_cancel"
        body = self.join_data("count", [50], session)
        join = self.client.post(self.base + "/queue/join", json=body)
        event_id = join.json()["event_id"]
        cancel_answer: dict[str, Any] = {}

        def cancel_once(text: str) -> bool:
            if "process_generating" in text and not cancel_answer:
                response = self.client.post(
                    self.base + "/cancel",
                    json={
                        "event_id": event_id,
                        "session_hash": session,
                        "fn_index": body["fn_index"],
                    },
                )
                cancel_answer.update(self.answer(response))
            return '"close_stream"' in text

        stream = read_stream(
            self.client,
            "GET",
            f"{self.base}/queue/data",
            params={"session_hash": session},
            stop=cancel_once,
        )
        generating = [m for m in messages(stream["body"]) if m.get("msg") == "process_generating"]
        out["cancel a running generator (queue)"] = {
            "cancel": cancel_answer,
            "messages after the first value": self.norm.json(
                [m for m in messages(stream["body"]) if m.get("msg") != "process_generating"]
            ),
            "values before the end": "few" if len(generating) < 10 else "many (not stopped)",
        }
        self.norm.ids = {}
        out["cancel an unknown event"] = self.answer(
            self.client.post(
                self.base + "/cancel",
                json={"event_id": "0" * 32, "session_hash": "nobody", "fn_index": 0},
            )
        )
        # /reset while a /call stream of a generator runs (what older JS clients post).
        post = self.client.post(f"{self.base}/call/count", json={"data": [15]})
        event_id = post.json()["event_id"]
        reset_answer: dict[str, Any] = {}

        def reset_once(text: str) -> bool:
            if "event: generating" in text and not reset_answer:
                response = self.client.post(self.base + "/reset", json={"event_id": event_id})
                reset_answer.update(self.answer(response))
            return False

        stream = read_stream(
            self.client, "GET", f"{self.base}/call/count/{event_id}", stop=reset_once
        )
        frames = [f for f in stream["body"].split("\n\n") if f.startswith("event: generating")]
        ends = [
            f
            for f in stream["body"].split("\n\n")
            if f.startswith("event: ") and "generating" not in f
        ]
        out["reset a running /call generator"] = {
            "reset": reset_answer,
            "values": "all 15 (not stopped)" if len(frames) >= 15 else "stopped early",
            "last frame": self.norm.sse(ends[-1] + "\n\n") if ends else None,
            "ending": stream["ending"],
        }
        out["reset an unknown event"] = self.answer(
            self.client.post(self.base + "/reset", json={"event_id": "0" * 32})
        )
        self.save("cancel.json", out)

    def sessions(self) -> None:
        """What a session's traffic shows: a ``gr.State`` carried from one call to the next,
        and the ``estimation`` messages of jobs waiting behind a running one as the queue
        moves (per job, since the jobs' messages interleave by timing)."""
        out: dict[str, Any] = {}
        self.client.close()
        self.client = httpx.Client(timeout=10)
        session = "capture_state"
        out["state: two calls of /chat in one session"] = [
            self.queue("chat", [text], session)["data"]["messages"] for text in ("Hi", "Again")
        ]
        self.norm.ids = {}
        # Three jobs of /count (concurrency limit 1): the second and third join once the
        # first has started, and wait behind it.
        session = "capture_ranks"
        bodies = [self.join_data("count", [3], session) for _ in range(3)]
        first = self.client.post(self.base + "/queue/join", json=bodies[0]).json()["event_id"]
        later: list[str] = []

        def join_behind(text: str) -> bool:
            if "process_starts" in text and not later:
                for body in bodies[1:]:
                    response = self.client.post(self.base + "/queue/join", json=body)
                    later.append(response.json()["event_id"])
            return '"close_stream"' in text

        stream = read_stream(
            self.client,
            "GET",
            f"{self.base}/queue/data",
            params={"session_hash": session},
            stop=join_behind,
        )
        by_job: dict[str, list[Any]] = {}
        for message in messages(stream["body"]):
            if isinstance(message, dict) and message.get("msg") != "process_generating":
                by_job.setdefault(str(message.get("event_id")), []).append(message)
        out["queue: three jobs of /count, the last two behind the first"] = [
            self.norm.json(by_job.get(event_id, [])) for event_id in [first, *later]
        ]
        self.save("sessions.json", out)


# -- driving ----------------------------------------------------------------------------


def gradio_version(python: str) -> str:
    result = subprocess.run(
        [python, "-c", "import gradio; print(gradio.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def capture_gradio(python: str, out: Path) -> None:
    port = free_port()
    temp = tempfile.mkdtemp(prefix="gradio-capture-")
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": temp,
        "PYTHONUNBUFFERED": "1",
    }
    try:
        command = [python, str(HERE / "reference_app.py"), str(port)]
        with running(command, port, env) as url:
            Capture(url, out, Normaliser(url, [temp])).run()
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def capture_mock(major: int, out: Path, faithful: bool = False) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "server", str(HERE / "mock_app.py"),
        "--gradio-version", str(major), "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    if faithful:
        command.append("--faithful")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with running(command, port, env) as url:
        Capture(url, out, Normaliser(url, [])).run()


def canonical(path: Path) -> list[str]:
    """A file's text for diffing: JSON with sorted keys (key order is not compared)."""
    text = path.read_text()
    if path.suffix == ".json":
        text = json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False)
    return text.splitlines(keepends=False)


def diff(old: Path, new: Path) -> int:
    """Print a unified diff of two capture folders; the number of files that differ."""
    names = sorted(
        {p.relative_to(old) for p in old.rglob("*") if p.is_file()}
        | {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    )
    changed = 0
    for name in names:
        a, b = old / name, new / name
        if not a.exists() or not b.exists():
            print(f"only in {a if a.exists() else b}")
            changed += 1
            continue
        lines = list(
            difflib.unified_diff(canonical(a), canonical(b), str(a), str(b), n=2, lineterm="")
        )
        if lines:
            changed += 1
            print("\n".join(lines))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--python", help="a Python that has gradio installed")
    source.add_argument("--mock", type=int, choices=(4, 5, 6), help="capture gradio-mock")
    source.add_argument("--diff", nargs=2, metavar=("OLD", "NEW"), help="diff two captures")
    parser.add_argument("--out", type=Path, help="where to write (default: gradio-<version>/)")
    parser.add_argument("--check", action="store_true", help="re-capture and diff, store nothing")
    parser.add_argument("--faithful", action="store_true", help="with --mock: run it --faithful")
    args = parser.parse_args(argv)
    if args.diff:
        changed = diff(Path(args.diff[0]), Path(args.diff[1]))
        print(f"{changed} file(s) differ" if changed else "no differences")
        return 1 if changed else 0
    if args.mock:
        if args.out is None:
            parser.error("--mock needs --out")
        capture_mock(args.mock, args.out, faithful=args.faithful)
        return 0
    version = gradio_version(args.python)
    stored = HERE / f"gradio-{version}"
    if not args.check:
        out = args.out or stored
        shutil.rmtree(out, ignore_errors=True)
        capture_gradio(args.python, out)
        print(f"captured gradio {version} into {out}")
        return 0
    if not stored.exists():
        print(f"no stored captures for gradio {version} ({stored}); run without --check first")
        return 1
    with tempfile.TemporaryDirectory() as temp:
        capture_gradio(args.python, Path(temp))
        changed = diff(stored, Path(temp))
    print(f"gradio {version}: {changed} file(s) differ from {stored}" if changed else "no drift")
    return 1 if changed else 0


if __name__ == "__main__":
    threading.current_thread().name = "capture"
    sys.exit(main())
