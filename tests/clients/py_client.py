"""Drives an older ``gradio_client`` (1.x) against a gradio-mock server, for
tests/test_old_clients.py.

    <venv>/bin/python tests/clients/py_client.py <url> <scenario> [json-argument]

It runs with the python of the client's own venv (tests/.clients/gradio_client-<version>/),
never with the suite's, so it imports nothing of this repository. It prints exactly one line
of JSON to stdout: ``{"ok": true, "result": ...}`` when the scenario ran (expected failures,
such as an endpoint's error, are part of its result), or ``{"ok": false, "error": ...,
"traceback": ...}`` when something unexpected went wrong. Whatever the client prints goes to
stderr. Every scenario has a deadline: past it the script prints an error and exits, so a
client that hangs cannot hang the test.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from gradio_client import Client, handle_file

TIMEOUT = 20.0
#: Where the result goes: stdout itself (sys.stdout is pointed at stderr while a scenario runs).
RESULT = sys.stdout


def connect(url: str, **kwargs: Any) -> Client:
    kwargs.setdefault("verbose", False)
    return Client(url, **kwargs)


def plain(value: Any) -> Any:
    """A client's value as JSON: tuples become lists."""
    return json.loads(json.dumps(value, default=str))


def outcome(call: Callable[[], Any]) -> dict[str, Any]:
    """``{"returned": value}``, or ``{"raised": class name, "message": str(error)}``."""
    try:
        return {"returned": plain(call())}
    except Exception as error:  # the client's own exception classes differ between versions
        return {"raised": type(error).__name__, "message": str(error)}


def scenario_connect(url: str, argument: dict[str, Any]) -> Any:
    """What the client learned from /config and /info, and what ``view_api`` gives."""
    client = connect(url)
    info = client.view_api(print_info=False, return_format="dict")
    text = client.view_api(print_info=False, return_format="str")
    assert isinstance(info, dict) and isinstance(text, str)
    return {
        "version": client.config["version"],
        "protocol": client.protocol,
        "src_prefixed": getattr(client, "src_prefixed", None),
        "named_endpoints": list(info["named_endpoints"]),
        "parameters": {
            name: [p["parameter_name"] for p in endpoint["parameters"]]
            for name, endpoint in info["named_endpoints"].items()
        },
        "view_api_text": text,
    }


def scenario_predict(url: str, argument: dict[str, Any]) -> Any:
    """``predict(*args, **kwargs, api_name=... or fn_index=...)``."""
    client = connect(url)
    where = {k: argument[k] for k in ("api_name", "fn_index") if k in argument}
    return outcome(
        lambda: client.predict(*argument.get("args", []), **argument.get("kwargs", {}), **where)
    )


def scenario_submit(url: str, argument: dict[str, Any]) -> Any:
    """A generator through ``submit()``: the values iterated, the result, the outputs."""
    client = connect(url)
    job = client.submit(*argument["args"], api_name=argument["api_name"])
    iterated = list(job)
    result = job.result(timeout=TIMEOUT)
    status = job.status()
    return {
        "iterated": plain(iterated),
        "result": plain(result),
        "outputs": plain(job.outputs()),
        "status": status.code.name,
        "success": status.success,
    }


def scenario_file(url: str, argument: dict[str, Any]) -> Any:
    """``handle_file(path)`` into /image: the downloaded result's bytes, and the FileData
    the client gives with ``download_files=False``."""
    downloading = connect(url, download_files=argument["downloads"])
    path = downloading.predict(handle_file(argument["path"]), api_name="/image")
    with open(path, "rb") as file:
        data = file.read()
    raw = connect(url, download_files=False)
    filedata = raw.predict(handle_file(argument["path"]), api_name="/image")
    return {
        "path": path,
        "base64": base64.b64encode(data).decode(),
        "filedata": plain(filedata),
    }


def scenario_error(url: str, argument: dict[str, Any]) -> Any:
    """An endpoint that raises: what ``predict()`` raises, what the job's status says."""
    client = connect(url)
    predicted = outcome(lambda: client.predict(*argument["args"], api_name=argument["api_name"]))
    job = client.submit(*argument["args"], api_name=argument["api_name"])
    result = outcome(lambda: job.result(timeout=TIMEOUT))
    status = job.status()
    return {
        "predict": predicted,
        "result": result,
        "status": status.code.name,
        "success": status.success,
        # The client keeps working after an error.
        "after": outcome(lambda: client.predict("Hello, my friend.", api_name="/predict")),
    }


def scenario_cancel(url: str, argument: dict[str, Any]) -> Any:
    """``job.cancel()`` on an endless generator once it has streamed ``after`` values."""
    client = connect(url)
    job = client.submit(*argument["args"], api_name=argument["api_name"])
    before = [next(job) for _ in range(argument["after"])]
    cancelled = job.cancel()
    result = outcome(lambda: job.result(timeout=TIMEOUT))
    return {
        "before": before,
        "cancel": cancelled,
        "result": result,
        "status": job.status().code.name,
    }


def scenario_sessions(url: str, argument: dict[str, Any]) -> Any:
    """Two clients, each with its own session_hash, talking to /chat in turn."""
    clients = {"first": connect(url), "second": connect(url)}
    replies = [
        [who, clients[who].predict(text, api_name="/chat")] for who, text in argument["messages"]
    ]
    return {
        "session_hashes": [clients["first"].session_hash, clients["second"].session_hash],
        "replies": replies,
    }


def scenario_token(url: str, argument: dict[str, Any]) -> Any:
    """``Client(url, hf_token=...)``: with the token, without one, with a wrong one."""
    token = argument["token"]

    def call(hf_token: str | None) -> Any:
        return connect(url, hf_token=hf_token).predict("Hello, my friend.", api_name="/predict")

    return {
        "with_token": outcome(lambda: call(token)),
        "without_token": outcome(lambda: call(None)),
        "wrong_token": outcome(lambda: call(token + "x")),
    }


SCENARIOS: dict[str, Callable[[str, dict[str, Any]], Any]] = {
    name.removeprefix("scenario_"): function
    for name, function in globals().items()
    if name.startswith("scenario_")
}


def emit(report: dict[str, Any]) -> None:
    RESULT.write(json.dumps(report) + "\n")
    RESULT.flush()


def main() -> None:
    url, scenario = sys.argv[1], sys.argv[2]
    argument = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}

    def too_late() -> None:
        emit({"ok": False, "error": f"scenario {scenario} took more than {TIMEOUT:.0f} s"})
        os._exit(2)

    timer = threading.Timer(TIMEOUT, too_late)
    timer.daemon = True
    timer.start()
    sys.stdout = sys.stderr  # the client's prints must not mix with the result
    try:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario}; known: {', '.join(SCENARIOS)}")
        report = {"ok": True, "result": SCENARIOS[scenario](url, argument)}
    except Exception as error:
        report = {"ok": False, "error": repr(error), "traceback": traceback.format_exc()}
    timer.cancel()
    emit(report)
    # The clients' heartbeat and executor threads may still run: the result is out, so leave.
    os._exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
