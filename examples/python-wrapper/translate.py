"""A small wrapper around gradio_client for a Space's English-to-French endpoint, /predict:
the kind of code test_translate.py, next to it, checks against gradio-mock.

    from translate import QuotaError, translate

    translate("https://user-space.hf.space/", "Hello, my friend.")  # 'Bonjour, mon ami.'
"""

from __future__ import annotations

import time

from gradio_client import Client
from gradio_client.exceptions import AppError
from gradio_client.utils import QueueError

__all__ = ["QueueError", "QuotaError", "translate"]


class QuotaError(Exception):
    """The Space ran out of ZeroGPU quota: retrying now will not help, the message says when."""


def translate(
    url: str, text: str, *, attempts: int = 3, backoff: float = 0.1, token: str | None = None
) -> str:
    """Translate ``text`` with the Space at ``url``. A full queue (``QueueError``) is retried
    ``attempts`` times in all, waiting ``backoff`` seconds, then twice that, and so on; the quota
    error is a ``QuotaError``; any other error is raised as gradio_client raised it."""
    client = Client(url, token=token, verbose=False)
    try:
        for attempt in range(attempts - 1):
            try:
                return _predict(client, text)
            except QueueError:
                time.sleep(backoff * 2**attempt)
        return _predict(client, text)  # the last attempt: a full queue is the caller's now
    finally:
        client.close()


def _predict(client: Client, text: str) -> str:
    try:
        result: str = client.predict(text, api_name="/predict")
    except AppError as error:
        # How ZeroGPU Spaces word it: "You have exceeded your GPU quota (60s requested vs. ...".
        if "exceeded your GPU quota" in str(error):
            raise QuotaError(str(error)) from error
        raise
    return result
