"""The request journal: what each client sent, read back through the admin API (curl), the
pytest plugin, and with the official Python client making the calls."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import Any

import pytest
from gradio_client import Client

from server.mock._journal import Entry
from server.pytest_plugin import MockServer
from tests.conftest import StartServer
from tests.sse import HTTP, call

CURL = shutil.which("curl")
assert CURL is not None, "these tests need the curl binary"


def curl_json(*args: str) -> tuple[int, Any]:
    result = subprocess.run(
        [CURL, "-s", "--max-time", "10", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=15,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_curl_reads_what_a_curl_call_sent(gradio_mock: MockServer) -> None:
    base = gradio_mock.url
    body = '{"data": ["Hello, my friend."], "session_hash": "s-1"}'
    before = time.time()
    status, posted = curl_json(
        "-X", "POST", base + "/gradio_api/call/predict", "-H", "Content-Type: application/json",
        "-d", body,
    )  # fmt: skip
    assert status == 200
    assert call(base, "hello", ["Ann", True, 5])[-1][0] == "complete"

    status, journal = curl_json(base + "/__mock/requests?api_name=/predict")
    assert status == 200
    (entry,) = [e for e in journal["requests"] if e["method"] == "POST"]
    assert entry["api_name"] == "/predict"
    assert entry["data"] == ["Hello, my friend."]
    assert entry["session_hash"] == "s-1"
    assert entry["event_id"] == posted["event_id"]
    assert entry["path"] == "/gradio_api/call/predict"
    assert entry["route_form"] == "gradio_api"
    assert entry["status"] == 200
    assert entry["answered_by"] == "function"
    assert entry["matched"] is True
    # When it came, on the wall clock (kept as the monotonic clock's reading: a second's
    # leeway for the two clocks' rounding, none for a wrong clock).
    assert before - 1 <= entry["time"] <= time.time() + 1

    # Every request is there, newest last: the /hello POST and GET came after.
    status, journal = curl_json(base + "/__mock/requests?limit=2")
    assert [(e["method"], e["path"], e["route_form"]) for e in journal["requests"]] == [
        ("POST", "/call/hello", "root"),
        ("GET", f"/call/hello/{journal['requests'][0]['event_id']}", "root"),
    ]
    assert journal["requests"][0]["outcome"] == "complete"
    assert journal["requests"][0]["duration"] >= 0


def test_each_request_is_journalled_with_its_own_headers(gradio_mock: MockServer) -> None:
    # Requests one after another, some with the very headers of the one before and some
    # with a header of the same length but another value: each entry shows its own.
    traces = ["a", "a", "b", "a", "c"]
    url = f"{gradio_mock.url}/call/predict"
    ids = [
        HTTP.post(url, json={"data": ["hi"]}, headers={"x-trace": t}).json()["event_id"]
        for t in traces
    ]
    for trace, event_id in zip(traces, ids):
        HTTP.get(f"{url}/{event_id}", headers={"x-trace": trace})
        # (and a GET of another route between them, with other headers)
        HTTP.get(f"{gradio_mock.url}/config", headers={"x-trace": trace + "-config"})
    entries = gradio_mock.requests()
    assert [(e["method"], e["path"][:6], e["headers"]["x-trace"]) for e in entries] == [
        *(("POST", "/call/", t) for t in traces),
        *(
            request
            for t in traces
            for request in (("GET", "/call/", t), ("GET", "/confi", t + "-config"))
        ),
    ]


def test_a_stream_of_an_event_not_there_is_journalled_as_asked(
    gradio_mock: MockServer,
) -> None:
    """A GET names its entry from the job it streams, or, when there is none under that
    name, from its URL."""
    event_id = HTTP.post(gradio_mock.url + "/call/predict", json={"data": ["hi"]}).json()
    event_id = event_id["event_id"]
    assert HTTP.get(f"{gradio_mock.url}/call/predict/{event_id}").status_code == 200
    assert HTTP.get(f"{gradio_mock.url}/call/predict/nothing").status_code == 404
    assert HTTP.get(f"{gradio_mock.url}/call/hello/{event_id}").status_code == 404
    gets = [e for e in gradio_mock.requests() if e["method"] == "GET"]
    assert [(e["api_name"], e["event_id"], e["status"]) for e in gets] == [
        ("/predict", event_id, 200),
        ("/predict", "nothing", 404),
        ("/hello", event_id, 404),
    ]


def test_an_error_and_a_cancel_are_outcomes(gradio_mock: MockServer) -> None:
    frames = call(gradio_mock.url, "hello", ["Ann", "yes", 5])  # a Checkbox given a string
    assert frames[-1][0] == "error"
    (entry,) = gradio_mock.take_unmatched()
    assert entry["outcome"] == "error"
    assert entry["near_misses"][0]["api_name"] == "/hello"
    assert "input 2 (is_morning)" in entry["near_misses"][0]["differences"][0]


def test_unmatched_requests_carry_their_near_misses(gradio_mock: MockServer) -> None:
    response = HTTP.post(gradio_mock.url + "/call/helo", json={"data": ["Ann", True]})
    assert response.status_code == 404
    status, found = curl_json(gradio_mock.url + "/__mock/requests/unmatched")
    assert status == 200
    (entry,) = found["requests"]
    assert entry["matched"] is False
    assert (entry["api_name"], entry["data"]) == ("/helo", ["Ann", True])  # as sent
    assert "no endpoint /helo" in entry["unmatched"]
    closest = entry["near_misses"][0]
    assert closest["api_name"] == "/hello"
    assert closest["differences"] == [
        "api_name: sent /helo, this endpoint is /hello",
        "arity: sent 2 inputs, /hello takes 3: name (Textbox), is_morning (Checkbox), "
        "temperature (Slider)",
    ]
    gradio_mock.take_unmatched()


def test_queue_join_with_a_bad_fn_index_is_unmatched(gradio_mock: MockServer) -> None:
    body = {"data": ["x"], "fn_index": 99, "session_hash": "abc"}
    response = HTTP.post(gradio_mock.url + "/gradio_api/queue/join", json=body)
    assert response.status_code == 404
    (entry,) = gradio_mock.take_unmatched()
    assert entry["fn_index"] == 99 and entry["session_hash"] == "abc"
    assert "fn_index 99" in entry["unmatched"]


def test_the_python_client_s_calls_are_journalled(gradio_mock: MockServer) -> None:
    client = Client(gradio_mock.url, verbose=False)
    try:
        assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
        assert client.predict("Ann", False, 0, fn_index=1)[1] == -17.78
    finally:
        client.close()
    joins = [e for e in gradio_mock.requests() if e["path"].endswith("/queue/join")]
    assert [(e["api_name"], e["fn_index"], e["data"]) for e in joins] == [
        ("/predict", 0, ["Hello, my friend."]),
        ("/hello", 1, ["Ann", False, 0]),
    ]
    assert len({e["session_hash"] for e in joins}) == 1  # one session per Client
    assert [e["outcome"] for e in joins] == ["complete", "complete"]
    # The client's reads of /config and /queue/data are journalled too.
    paths = [e["path"] for e in gradio_mock.requests()]
    assert any(p.endswith("/config") for p in paths)
    assert any(p.endswith("/queue/data") for p in paths)
    assert gradio_mock.assert_called("/hello", times=1, data={"name": "Ann"})[0]["fn_index"] == 1


def test_assert_called_says_what_was_sent(gradio_mock: MockServer) -> None:
    call(gradio_mock.url, "predict", ["Hello"])
    assert len(gradio_mock.assert_called("/predict", times=1, data=["Hello"])) == 1
    with pytest.raises(AssertionError) as failure:
        gradio_mock.assert_called("/predict", data=["Goodbye"])
    assert "expected /predict to be called at least once with ['Goodbye'], got 0" in str(
        failure.value
    )
    assert "['Hello']" in str(failure.value)
    with pytest.raises(AssertionError, match="2 time"):
        gradio_mock.assert_called("/predict", times=2)
    with pytest.raises(AssertionError, match="no endpoint /nope"):
        gradio_mock.assert_called("/nope")


def test_assert_called_counts_the_calls_a_stub_turned_away(gradio_mock: MockServer) -> None:
    full = gradio_mock.stub("/predict", fault="queue_full", times=1)
    assert HTTP.post(gradio_mock.url + "/call/predict", json={"data": ["Hi"]}).status_code == 503
    call(gradio_mock.url, "predict", ["Hi"])
    call(gradio_mock.url, "predict", ["Hi", "extra"])  # fits no endpoint: not a call of /predict
    gradio_mock.take_unmatched()
    calls = gradio_mock.assert_called("/predict", times=2, data=["Hi"])
    assert [e["status"] for e in calls] == [503, 200]
    assert full.hits == 1


def test_the_token_is_redacted_and_guards_the_admin_api(start_server: StartServer) -> None:
    server = start_server(token="s3cret")
    auth = {"Authorization": "Bearer s3cret"}
    assert HTTP.get(server.url + "/__mock/requests").status_code == 401
    assert HTTP.post(server.url + "/__mock/reset").status_code == 401
    assert HTTP.get(server.url + "/config", headers=auth).status_code == 200
    response = HTTP.get(server.url + "/__mock/requests", headers=auth)
    assert response.status_code == 200
    entries = response.json()["requests"]
    # The refused requests are journalled with their status; the admin API's own are not.
    assert [(e["path"], e["status"]) for e in entries] == [("/config", 200)]
    assert entries[0]["headers"]["authorization"] == "Bearer ***"
    assert "s3cret" not in response.text


def test_the_journal_is_bounded(start_server: StartServer) -> None:
    server = start_server(journal_size=3)
    for n in range(5):
        assert HTTP.get(f"{server.url}/config?n={n}").status_code == 200
    queries = [e["query"] for e in server.requests()]
    assert queries == ["n=2", "n=3", "n=4"]


def test_journal_size_zero_journals_nothing(start_server: StartServer) -> None:
    server = start_server(journal_size=0)
    assert call(server.url, "predict", ["Hello"])[-1][0] == "complete"
    assert server.requests() == []


def test_reset_forgets_jobs_and_the_journal(gradio_mock: MockServer) -> None:
    event_id = HTTP.post(gradio_mock.url + "/call/predict", json={"data": ["Hi"]}).json()[
        "event_id"
    ]
    status, answer = curl_json("-X", "POST", gradio_mock.url + "/__mock/reset")
    assert (status, answer) == (200, {"reset": True})
    assert HTTP.get(f"{gradio_mock.url}/call/predict/{event_id}").status_code == 404
    # Only the GET just made is left.
    assert [e["method"] for e in gradio_mock.requests()] == ["GET"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "?limit= must be at least 1, not 0."),
        ("limit=ten", "?limit= must be a whole number, not 'ten'."),
        ("since=-1", "?since= must be at least 0, not -1."),
        ("unmatched=yes", "?unmatched= must be true or false, not 'yes'."),
    ],
)
def test_bad_admin_queries_say_what_was_expected(
    gradio_mock: MockServer, query: str, message: str
) -> None:
    response = HTTP.get(f"{gradio_mock.url}/__mock/requests?{query}")
    assert response.status_code == 422
    assert response.json() == {"detail": message}


def test_the_admin_api_is_not_part_of_the_app(gradio_mock: MockServer) -> None:
    for path in ("/config", "/info", "/gradio_api/info"):
        assert "__mock" not in HTTP.get(gradio_mock.url + path).text


pytest_plugins = ["pytester"]


def test_the_plugin_fails_a_test_that_left_an_unmatched_request(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def test_typo(gradio_mock):
            httpx.post(gradio_mock.url + "/call/predictt", json={"data": ["Hi"]})

        @pytest.mark.gradio_mock(allow_unmatched=True)
        def test_allowed(gradio_mock):
            httpx.post(gradio_mock.url + "/call/predictt", json={"data": ["Hi"]})

        def test_taken(gradio_mock):
            httpx.post(gradio_mock.url + "/call/predictt", json={"data": ["Hi"]})
            assert len(gradio_mock.take_unmatched()) == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) matched no endpoint during the test*",
            "*POST /call/predictt: There is no endpoint /predictt*",
            "*near miss /predict: api_name: sent /predictt, this endpoint is /predict*",
        ]
    )


def test_the_journal_streams_live(gradio_mock: MockServer) -> None:
    """``GET /__mock/requests/stream``: the last entries, then each new entry and change."""
    import httpx

    base = gradio_mock.url
    assert HTTP.get(base + "/config?before=1").status_code == 200
    seen: list[tuple[str, Any]] = []
    with (
        httpx.Client(timeout=httpx.Timeout(10.0)) as client,
        client.stream("GET", base + "/__mock/requests/stream") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
                seen.append((event, data))
                if event == "request" and data["query"] == "before=1":
                    # The backlog is out: now a call, then clearing the journal.
                    call(base, "predict", ["Hello"])
                    HTTP.delete(base + "/__mock/requests")
                if event == "reset":
                    break
    posts = [d for e, d in seen if e == "request" and d["method"] == "POST"]
    # An entry is sent as it arrives, then again as it changes: the last says it all.
    assert posts[-1]["data"] == ["Hello"]
    assert posts[-1]["outcome"] == "complete"
    assert {d["id"] for d in posts} == {posts[0]["id"]}
    assert seen[-1] == ("reset", None)


def test_every_request_has_a_duration(gradio_mock: MockServer) -> None:
    assert HTTP.get(gradio_mock.url + "/config").status_code == 200
    (entry,) = gradio_mock.requests()
    assert entry["duration"] is not None and 0 <= entry["duration"] < 10


def test_near_misses_name_the_inputs_that_differ(gradio_mock: MockServer) -> None:
    """A misspelt endpoint's near misses also say which inputs would not have fitted."""
    HTTP.post(gradio_mock.url + "/call/helo", json={"data": ["Ann", "yes", 5]})
    HTTP.post(gradio_mock.url + "/call/imag", json={"data": [42]})
    HTTP.post(gradio_mock.url + "/call/imagee", json={"data": [{"path": "https://x/a.png"}]})
    hello, image_wrong, image_right = gradio_mock.take_unmatched()
    assert hello["near_misses"][0]["differences"] == [
        "api_name: sent /helo, this endpoint is /hello",
        "input 2 (is_morning): Checkbox expects true or false, got str",
    ]
    assert image_wrong["near_misses"][0]["differences"] == [
        "api_name: sent /imag, this endpoint is /image",
        "input 1 (image): expected a file (FileData, a URL or an uploaded path), got int",
    ]
    assert image_right["near_misses"][0]["differences"] == [
        "api_name: sent /imagee, this endpoint is /image"
    ]


def test_an_input_refused_after_its_type_check_is_unmatched_with_the_reason(
    gradio_mock: MockServer,
) -> None:
    """A file path the server never received fits the type, and still cannot be used."""
    frames = call(gradio_mock.url, "image", [{"path": "/etc/passwd"}])
    assert frames[-1][0] == "error"
    (entry,) = gradio_mock.take_unmatched()
    (miss,) = entry["near_misses"]
    assert miss["api_name"] == "/image" and miss["fn_index"] == 3
    assert miss["differences"] == [entry["unmatched"]]
    assert "/etc/passwd" in entry["unmatched"]


def test_large_inputs_are_journalled_as_their_size(gradio_mock: MockServer) -> None:
    """A client cannot make the journal hold its large bodies (it keeps --journal-size
    entries): inputs over 64 KiB are noted by their size, and all inputs together stay
    within a budget."""
    from server.mock._journal import MAX_DATA_BYTES, MAX_ENTRY_DATA

    big = "x" * (MAX_ENTRY_DATA + 1)
    assert call(gradio_mock.url, "predict", [big])[-1][0] == "complete"
    (entry,) = [e for e in gradio_mock.requests("/predict") if e["method"] == "POST"]
    assert entry["data"] == (
        f"<{len(big) + 4} bytes of inputs: more than the journal keeps ({MAX_ENTRY_DATA})>"
    )
    small = "y" * (MAX_ENTRY_DATA - 100)
    for _ in range(MAX_DATA_BYTES // len(small) + 20):
        HTTP.post(gradio_mock.url + "/call/predict", json={"data": [small]})
    journal = gradio_mock.state.journal
    assert journal.data_bytes <= MAX_DATA_BYTES
    assert journal.data_bytes == sum(e.data_size for e in journal.entries())


def test_inputs_that_keep_the_journal_at_its_budget_are_not_counted_again_each_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The budget is counted from the entries only when an upper bound of it goes over, and
    then trimmed well under it: inputs that keep the journal at the budget (the oldest one
    dropped as each new one comes) would otherwise have all 10,000 entries counted again at
    every call."""
    from server.mock._journal import MAX_DATA_BYTES, Journal

    journal = Journal(10_000)
    counts = 0
    trim = Journal._trim

    def counting_trim(self: Journal) -> None:
        nonlocal counts
        counts += 1
        trim(self)

    monkeypatch.setattr(Journal, "_trim", counting_trim)
    body = b'{"data": ["' + b"z" * (MAX_DATA_BYTES // 10_000 - 14) + b'"]}'  # 10,000 fill it
    calls = 30_000
    for _ in range(calls):
        scope = {"method": "POST", "path": "/call/x", "query_string": b"", "headers": []}
        entry = journal.open(scope, "root")
        journal.keep_data(entry, None, body)
    assert journal.data_bytes <= MAX_DATA_BYTES
    assert counts < calls // 100, counts  # (once an eighth of the budget has come in)


def test_an_entry_packed_for_the_shared_store_unpacks_to_its_json() -> None:
    from server.mock._journal import Journal

    journal = Journal(10)
    headers = [(b"host", b"h"), (b"authorization", b"Bearer secret")]
    bodies: list[tuple[bytes | None, Any]] = [
        (b'{"data": ["h\\u00e9", 1.5, null], "session_hash": "s"}', None),  # kept as bytes
        ('{"data": ["utf-16"]}'.encode("utf-16"), None),  # json.loads reads it, UTF-8 not
        (None, {"x": [1, 2]}),  # named inputs, kept parsed
    ]
    for body, data in bodies:
        scope = {
            "method": "POST",
            "path": "/gradio_api/call/x",
            "query_string": b"q=1",
            "headers": headers,
        }
        row = journal.open(scope, "gradio_api")
        journal.keep_data(row, data if body is None else json.loads(body)["data"], body)
        entry = Entry(row)
        entry.api_name, entry.status, entry.outcome = "/x", 200, "complete"
        entry.unmatched = "why"
        entry.near_misses = [{"api_name": "/y", "fn_index": 1, "differences": ["d"]}]
        entry.duration = 0.25
        packed = json.loads(json.dumps(entry.packed()))  # (as the store keeps it)
        expected = {k: v for k, v in entry.to_json().items() if k != "id"}
        assert Entry.unpack(packed) == expected
        assert expected["headers"]["authorization"] == "Bearer ***"


def test_a_new_entry_row_holds_each_field_at_its_index() -> None:
    """``Journal.open`` builds an entry's row in one list display: each field at the index
    ``Entry`` reads it from (a value out of place would show under another name)."""
    from server.mock._journal import ENTRY_KEY, Journal

    journal = Journal(10)
    scope: dict[str, Any] = {
        "method": "GET",
        "path": "/gradio_api/info",
        "query_string": b"all=1",
        "headers": [(b"host", b"h")],
    }
    row = journal.open(scope, "gradio_api")
    assert scope[ENTRY_KEY] is row
    entry = Entry(row)
    fields = {name: getattr(entry, name) for name in dir(Entry) if not name.startswith("_")}
    fields.pop("to_json"), fields.pop("packed"), fields.pop("unpack"), fields.pop("row")
    fields.pop("PACKED"), fields.pop("time"), fields.pop("headers")
    started = fields.pop("started")
    assert isinstance(started, float) and started <= time.monotonic()
    assert fields == {
        "id": 1,
        "method": "GET",
        "path": "/gradio_api/info",
        "query": "all=1",
        "route_form": "gradio_api",
        "raw_headers": b"host\0h",
        "journal": journal,
        "api_name": None,
        "fn_index": None,
        "data": None,
        "session_hash": None,
        "event_id": None,
        "status": None,
        "outcome": None,
        "answered_by": None,
        "unmatched": None,
        "near_misses": (),
        "duration": None,
        "call": False,
        "data_size": 0,
    }
    assert entry.call is False and entry.data_size == 0 and entry.data_size is not False
    assert len(row) == len(fields) + 2  # (and the started time and the unparsed body)
    entry.status = 204  # (written through to the row: two views of it are equal)
    assert journal.entries() == [entry] and journal.entries()[0].status == 204


def test_a_long_journal_is_packed_and_read_back_whole(start_server: StartServer) -> None:
    """Entries a few hundred requests old are packed into blocks (``Journal._pack``); read
    back through the plugin and the admin API, every one is there, in order, as it was
    recorded; past ``--journal-size`` the oldest go."""
    server = start_server(journal_size=500)
    event_ids = []
    for n in range(200):  # (400 requests: the oldest packed)
        frames = call(server.url, "predict", [f"Hi {n}"])
        assert frames[-1][0] == "complete"
    journal = server.state.journal
    assert journal._blocks, "nothing was packed"
    assert journal._parked == []  # (nothing holds a row once its request and job are done)
    entries = journal.entries()
    assert [e.id for e in entries] == list(range(1, 401))
    assert server.requests() == [e.to_json() for e in entries]  # (the plugin's form)
    for n, (post, get) in enumerate(zip(entries[::2], entries[1::2])):
        assert (post.method, post.path, post.data, post.status) == (
            "POST",
            "/call/predict",
            [f"Hi {n}"],
            200,
        )
        assert (post.outcome, post.answered_by, post.api_name) == (
            "complete",
            "function",
            "/predict",
        )
        assert (get.method, get.path, get.status) == ("GET", f"/call/predict/{post.event_id}", 200)
        event_ids.append(post.event_id)
    assert len(set(event_ids)) == 200
    # Read twice, an entry is the same entry (a packed one is unpacked afresh each time).
    again = journal.entries()[0]
    assert again == entries[0] and again.row is not entries[0].row
    response = HTTP.get(server.url + "/__mock/requests?api_name=/predict&limit=3")
    assert [e["data"] for e in response.json()["requests"] if e["method"] == "POST"] == [["Hi 199"]]
    for n in range(200, 260):  # 520 requests: the 20 oldest go
        call(server.url, "predict", [f"Hi {n}"])
    ids = [e["id"] for e in server.requests()]
    assert ids == list(range(21, 521)) and len(journal) == 500


def _open(journal: Any, n: int, data: Any = None) -> Any:
    scope = {"method": "POST", "path": "/call/x", "query_string": b"", "headers": []}
    row = journal.open(scope, "root")
    journal.keep_data(row, [n] if data is None else data)
    return row


def test_an_entry_something_holds_is_not_packed_until_it_is_let_go() -> None:
    """A row is packed only once nothing else holds it: a request or a job still writing
    to it, or a reader's ``Entry``, which stays a view of the journal's own row."""
    from server.mock._journal import Journal

    journal = Journal(10_000)
    _open(journal, 0)
    held = journal.entries()[0]
    for n in range(1, 500):
        _open(journal, n)
    assert journal._blocks and journal._parked == [held.row]
    held.status = 204  # (written to the journal's row)
    assert journal.entries()[0].status == 204
    del held
    for n in range(500, 1100):  # (parked rows are looked at again every 1,024 entries)
        _open(journal, n)
    assert journal._parked == []
    entries = journal.entries()
    assert [e.data for e in entries] == [[n] for n in range(1100)]
    assert entries[0].status == 204 and entries[0].journal is journal


def test_entries_whose_inputs_marshal_cannot_write_are_kept_as_rows() -> None:
    from server.mock._journal import Journal

    class Odd:
        def __eq__(self, other: object) -> bool:
            return isinstance(other, Odd)

    journal = Journal(10_000)
    for n in range(400):
        _open(journal, n, data=Odd() if n == 3 else None)
    assert any(isinstance(block.payload, list) for block in journal._blocks)
    assert [e.data for e in journal.entries()][:5] == [[0], [1], [2], Odd(), [4]]


def test_a_packed_journal_keeps_its_size() -> None:
    """Past ``size``, the oldest entries go, blocks and all: what the journal holds stays
    within ``size`` and the young rows (read past, not dropped, when ``size`` is smaller)."""
    from server.mock._journal import _PACK_EVERY, _YOUNG, Journal

    journal = Journal(100)
    for n in range(5000):
        _open(journal, n)
    assert len(journal) == 100
    assert [e.data for e in journal.entries()] == [[n] for n in range(4900, 5000)]
    assert journal._held() <= 100 + _YOUNG + _PACK_EVERY and len(journal._blocks) <= 2
    assert journal.data_bytes >= sum(e.data_size for e in journal.entries())
