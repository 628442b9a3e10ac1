"""Several gradio-mock processes behind a round-robin balancer (each request to the next
backend): what a client meets today, without a shared store. This is where real Gradio fails
too (gradio-app/gradio#6920, #9252): the GET of a call lands on a replica that never saw its
POST. The shared store (issue 9) is what will make the same test pass end to end."""

from __future__ import annotations

from tests.balancer import Balancer
from tests.conftest import StartServer
from tests.sse import HTTP


def test_a_call_split_over_two_replicas_is_a_clean_404(start_server: StartServer) -> None:
    first, second = start_server(), start_server()
    with Balancer([first.url, second.url]) as balancer:
        posted = HTTP.post(balancer.url + "/gradio_api/call/predict", json={"data": ["Hi"]})
        assert posted.status_code == 200
        event_id = posted.json()["event_id"]
        read = HTTP.get(f"{balancer.url}/gradio_api/call/predict/{event_id}")
        # The GET went to the other replica: a clear 404 that names the event, not a hang.
        assert read.status_code == 404
        assert event_id in read.json()["detail"]
        assert dict(balancer.hits) == {first.url: 1, second.url: 1}
    assert [len(s.requests()) for s in (first, second)] == [1, 1]
