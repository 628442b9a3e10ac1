"""What the official JavaScript client, ``@gradio/client``, makes of each stubbed answer:
errors, faults and timelines set up through the admin API, as a JavaScript test would."""

from __future__ import annotations

from typing import Any

import pytest

from server.pytest_plugin import MockServer
from tests.sse import HTTP
from tests.test_js_client import node, run_js

pytestmark = pytest.mark.node
__all__ = ["node"]  # the fixture, imported so that pytest finds it here


def stubbed(node: str, server: MockServer, stub: dict[str, Any], **argument: Any) -> Any:
    response = HTTP.post(server.url + "/__mock/stubs", json=stub)
    assert response.status_code == 201, response.text
    return run_js(node, server.url, "stubbed", argument)


def final_status(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return [m for m in messages if m["type"] == "status"][-1]


def test_the_quota_error_rejects_with_its_message(node: str, gradio_mock: MockServer) -> None:
    stub = {"api_name": "/predict", "response": {"fault": "zerogpu_quota", "left": 7}}
    result = stubbed(node, gradio_mock, stub, endpoint="/predict", data=["x"])
    message = "You have exceeded your GPU quota (60s requested vs. 7s left). Try again in 0:09:48"
    assert result["predict"] == {"rejected": message}
    assert final_status(result["submit"]) | {"message": message} == {
        "type": "status", "stage": "error", "queue": True, "message": message,
        "progress_data": None, "success": False}  # fmt: skip


def test_queue_full_is_the_client_s_busy_message(node: str, gradio_mock: MockServer) -> None:
    stub = {"api_name": "/predict", "response": {"fault": "queue_full"}}
    result = stubbed(node, gradio_mock, stub, endpoint="/predict", data=["x"])
    busy = "This application is currently busy. Please try again. "
    assert result["predict"] == {"rejected": busy}
    assert final_status(result["submit"])["stage"] == "error"
    assert final_status(result["submit"])["message"] == busy


def test_a_429_on_config_fails_the_connection(node: str, gradio_mock: MockServer) -> None:
    stub = {"path": "/config", "response": {"fault": "status", "status": 429}}
    result = stubbed(node, gradio_mock, stub, endpoint="/predict", data=["x"])
    assert result == {
        "connect": {
            "rejected": "Could not resolve app config. "
            "(received status 429 when fetching the app config)"
        }
    }


def test_a_timeline_reaches_the_client_as_statuses_logs_and_data(
    node: str, gradio_mock: MockServer
) -> None:
    events = [
        {"type": "estimation", "data": {"rank": 1, "queue_size": 2, "rank_eta": 0.5}},
        {"type": "progress", "data": {"progress": 0.5, "desc": "Loading"}},
        {"type": "log", "data": {"log": "Halfway", "level": "warning"}},
        {"type": "generating", "data": ["He"]},
        {"type": "complete", "data": ["Hello"]},
    ]
    stub = {"api_name": "/stream", "response": {"events": events}}
    result = stubbed(node, gradio_mock, stub, endpoint="/stream", data=["x"])
    assert result["predict"]["resolved"]["data"] == ["Hello"]
    messages = result["submit"]
    progress = [m for m in messages if m.get("progress_data")]
    assert progress[0]["progress_data"] == [
        {"index": None, "length": None, "unit": None, "progress": 0.5, "desc": "Loading"}
    ]
    assert {"type": "log", "log": "Halfway", "level": "warning"} in [
        {k: m[k] for k in ("type", "log", "level")} for m in messages if m["type"] == "log"
    ]
    assert [m["data"] for m in messages if m["type"] == "data"] == [["He"], ["Hello"]]
    assert final_status(messages)["stage"] == "complete"


def test_a_dropped_session_stream_leaves_predict_waiting(
    node: str, gradio_mock: MockServer
) -> None:
    """@gradio/client has no resume (gradio#11248): a stream that ends early leaves the call
    pending for ever. A client wrapper needs a deadline of its own; this is how to test it."""
    stub = {"api_name": "/stream", "response": {"fault": "drop", "after": 3}}
    result = stubbed(node, gradio_mock, stub, endpoint="/stream", data=["Hello"], deadline_ms=2000)
    assert result == {"predict": {"pending": True}}
