"""The wrapper in translate.py against a real gradio-mock server, started by gradio-mock's
pytest plugin (the ``gradio_mock`` fixture serves the bundled demos, whose /predict translates
English to French). Run: ``pytest examples/python-wrapper``."""

from __future__ import annotations

import pytest
from translate import QueueError, QuotaError, translate

from server.pytest_plugin import MockServer

HELLO = "Hello, my friend."


def test_retries_when_the_queue_is_full(gradio_mock: MockServer) -> None:
    full = gradio_mock.stub("/predict", fault="queue_full", times=1)
    assert translate(gradio_mock.url, HELLO, backoff=0.01) == "Bonjour, mon ami."
    assert full.hits == 1
    gradio_mock.assert_called("/predict", times=2, data=[HELLO])


def test_gives_up_after_three_attempts(gradio_mock: MockServer) -> None:
    gradio_mock.stub("/predict", fault="queue_full", times=3)  # a 4th attempt would succeed
    with pytest.raises(QueueError):
        translate(gradio_mock.url, HELLO, backoff=0.01)
    gradio_mock.assert_called("/predict", times=3)


def test_the_quota_is_a_quota_error_with_the_space_s_message(gradio_mock: MockServer) -> None:
    gradio_mock.stub("/predict", fault="zerogpu_quota", left=12)
    with pytest.raises(QuotaError) as error:
        translate(gradio_mock.url, HELLO, backoff=0.01)
    assert str(error.value) == (
        "You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:09:48"
    )
    gradio_mock.assert_called("/predict", times=1)  # not retried: it would not help


def test_sends_the_text_as_given(gradio_mock: MockServer) -> None:
    weather = "The weather is nice today."
    gradio_mock.stub("/predict", data={"text": weather}, outputs=["Il fait beau aujourd'hui."])
    assert translate(gradio_mock.url, weather) == "Il fait beau aujourd'hui."
    gradio_mock.assert_called("/predict", times=1, data={"text": weather})
