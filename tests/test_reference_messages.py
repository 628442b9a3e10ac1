"""The ``/queue/data`` messages of each profile carry the fields of that Gradio version's
(``tests/reference/gradio-*/queue/``), message by message: what the official clients of each
era parse. Our server is recorded by ``capture.py``'s own code, so both sides are read alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.reference.capture import capture_mock

REFERENCE = Path(__file__).parent / "reference"
#: Endpoints both apps have (reference_app.py and mock_app.py), by what they exercise.
ENDPOINTS = [
    "predict", "hello", "stream", "boom", "crash", "file", "image", "count", "chat", "progress",
]  # fmt: skip


def shape(capture: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each message's type, its fields and its output's fields (values left out: timings,
    ids and paths differ from run to run), in order, repeats folded."""
    out: list[tuple[Any, ...]] = []
    for message in capture["data"]["messages"]:
        if not isinstance(message, dict):
            out.append(("text",))
            continue
        output = message.get("output")
        item = (
            message.get("msg"),
            tuple(sorted(message)),
            tuple(sorted(output)) if isinstance(output, dict) else None,
        )
        if not out or out[-1] != item:
            out.append(item)
    return out


@pytest.fixture(scope="module", params=[(4, "4.44.1"), (5, "5.50.0"), (6, "6.31.0")])
def recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    major, version = request.param
    out = tmp_path_factory.mktemp(f"mock-{major}")
    capture_mock(major, out)
    return major, version, out


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_session_messages_have_the_fields_of_the_version(recorded: Any, endpoint: str) -> None:
    _major, version, out = recorded
    ours = shape(json.loads((out / "queue" / f"{endpoint}.json").read_text()))
    reference = REFERENCE / f"gradio-{version}" / "queue" / f"{endpoint}.json"
    assert ours == shape(json.loads(reference.read_text()))


def completed_data(capture: dict[str, Any], names: bool) -> Any:
    (done,) = [m for m in capture["data"]["messages"] if m.get("msg") == "process_completed"]
    if names:
        return done["output"]["data"]
    # The /image demos name their output files differently: the rest must agree.
    return [
        {k: v for k, v in item.items() if k not in ("path", "url", "orig_name")}
        for item in done["output"]["data"]
    ]


@pytest.mark.parametrize("endpoint", ["file", "image"])
def test_file_outputs_are_gradio_s_filedata(recorded: Any, endpoint: str) -> None:
    """A File output carries its byte size, an Image output none, as in every version (paths
    and the server's address are normalised by the capture)."""
    _major, version, out = recorded
    ours = json.loads((out / "queue" / f"{endpoint}.json").read_text())
    reference = REFERENCE / f"gradio-{version}" / "queue" / f"{endpoint}.json"
    names = endpoint == "file"
    theirs = json.loads(reference.read_text())
    assert completed_data(ours, names) == completed_data(theirs, names)


@pytest.mark.parametrize("endpoint", ["chat", "progress"])
def test_state_progress_and_log_messages_are_gradio_s(recorded: Any, endpoint: str) -> None:
    """Every message of /chat (a ``State`` in and out: ``null`` in its place) and /progress
    (``Progress``, ``info``, ``warning``), field by field (timings and ids normalised), on
    ``/queue/data`` and ``/call`` (which shows no progress or log message in any version)."""
    major, version, out = recorded
    for route in ("queue", "call"):
        ours = json.loads((out / route / f"{endpoint}.json").read_text())
        theirs = json.loads(
            (REFERENCE / f"gradio-{version}" / route / f"{endpoint}.json").read_text()
        )
        if endpoint == "chat" and major < 6:
            # Deliberate: gradio-mock's /call takes /chat without the state's value in every
            # version (Gradio from 6 on), so /chat ran before and has an ETA; and its /call
            # ran (4.44 and 5.50: an error). --faithful does as they do (test_faithful.py).
            if route == "call":
                continue
            ours, theirs = without_etas(ours), without_etas(theirs)
        assert ours == theirs, route


def without_etas(capture: dict[str, Any]) -> dict[str, Any]:
    for message in capture["data"]["messages"]:
        for key in ("rank_eta", "eta"):
            if key in message:
                message[key] = "<eta>"
    return capture


def test_a_session_s_state_and_the_queue_s_estimations_are_gradio_s(recorded: Any) -> None:
    """A ``State`` carried from one call of /chat to the next in a session ("1 earlier
    messages"), and three jobs of /count: the third waits at rank 1 of 2, then gets rank 0
    of 1 when the second starts (each job's messages, values and ETAs' presence compared)."""
    _major, version, out = recorded
    ours = json.loads((out / "sessions.json").read_text())
    assert ours == json.loads((REFERENCE / f"gradio-{version}" / "sessions.json").read_text())
