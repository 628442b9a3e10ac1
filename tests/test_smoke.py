from __future__ import annotations

from server.pytest_plugin import MockServer
from tests.sse import call


def test_predict_round_trip_under_both_prefixes(gradio_mock: MockServer) -> None:
    for prefix in ("", "/gradio_api"):
        frames = call(gradio_mock.url + prefix, "predict", ["Hello, my friend."])
        assert frames == [("complete", ["Bonjour, mon ami."])]


def test_every_demo_takes_null_inputs_without_an_unexpected_exception(
    gradio_mock: MockServer,
) -> None:
    """Clients may send null for any input (Gradio passes it on): a demo answers, or fails
    with a message of its own, never with a hidden exception (the fuzz test found these)."""
    for endpoint in gradio_mock.state.app.endpoints:
        inputs = [None] * len([c for c in endpoint.inputs if not c.skip_api])
        frames = call(gradio_mock.url, endpoint.api_name, inputs)
        kind, data = frames[-1]
        assert kind == "complete" or (kind == "error" and data["error"]), (endpoint, frames)
    assert gradio_mock.take_errors() == []
    # /hello's Checkbox and Slider refuse null as Gradio's do: its inputs did not fit.
    assert [e["path"] for e in gradio_mock.take_unmatched()] == ["/call/hello"]
