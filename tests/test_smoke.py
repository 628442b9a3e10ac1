from __future__ import annotations

from server.pytest_plugin import MockServer
from tests.sse import call


def test_predict_round_trip_under_both_prefixes(gradio_mock: MockServer) -> None:
    for prefix in ("", "/gradio_api"):
        frames = call(gradio_mock.url + prefix, "predict", ["Hello, my friend."])
        assert frames == [("complete", ["Bonjour, mon ami."])]
