"""Settings for the example's tests; gradio-mock's pytest plugin brings the gradio_mock fixture."""

import pytest


@pytest.fixture(autouse=True)
def no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    # gradio_client reports each connection to Hugging Face unless told not to.
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
