"""``gradio-mock cassette.json``: a cassette's app, answering each call with the recording
whose endpoint and inputs match, its events played with their recorded timing.

- Inputs match as JSON values (``1`` and ``1.0`` alike, ``1`` not ``true``), state inputs
  aside; a file input matches by its content's SHA-256, whatever its path or URL (an upload
  to the replay has another path than the upload to the original had).
- Several recordings of the same call are played in the order they were recorded, the last
  one again once all were played.
- The delays are divided by ``speed`` (``0``: no waits).
- A file output is copied from the cassette's files into the server's own and served from
  ``/file=`` like any output.
- No recording matches: the client gets an error saying so, and the request journal marks the
  call unmatched with the nearest recordings of the endpoint and what differs from each
  (``GET /__mock/requests/unmatched``). With ``record_missing`` (an upstream's address) the
  call is made to the upstream instead, its answer passed on and appended to the cassette.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from .._exceptions import Error
from .._output import output_path
from ..mock._stubs import StubError, TimelineEvent, _error, _same, parse_stub
from ._cassette import HASH_PREFIX, Cassette, Recording, file_hash, load_cassette, map_files
from ._episode import Episode, Upstream, error_payload, local_file_hash
from ._generate import is_file_schema
from ._serve import SpecApp, app_from_spec
from ._spec import EndpointSpec, Spec, SpecError

if TYPE_CHECKING:
    from .._app import Endpoint
    from .._files import FileStore
    from ..mock._journal import Entry

__all__ = ["ReplayApp", "app_from_cassette"]

#: Near misses listed for an unmatched call.
NEAR_MISSES = 3


@dataclass
class _Parsed:
    index: int
    key: list[Any]
    events: list[TimelineEvent]


class ReplayApp(SpecApp):
    """The app of a cassette (``app_from_cassette``)."""

    def __init__(self, spec: Spec, seed: int = 0) -> None:
        super().__init__(spec, seed)
        self.cassette: Cassette | None = None
        #: Recorded delays are divided by this; 0 plays every event at once.
        self.speed = 1.0
        #: The upstream asked for calls the cassette does not hold (None: they are errors).
        self.record_missing: str | None = None
        self._parsed: dict[int, _Parsed] = {}
        self._played: dict[int, int] = {}
        self._upstream: Upstream | None = None

    def recordings_of(self, api_name: str) -> list[_Parsed]:
        """The endpoint's recordings, parsed once (new ones appear as they are appended)."""
        assert self.cassette is not None
        found = []
        for index, recording in enumerate(self.cassette.recordings):
            if recording.api_name.strip("/") != api_name.strip("/"):
                continue
            parsed = self._parsed.get(index)
            if parsed is None:
                parsed = self._parsed[index] = self._parse(index, recording)
            found.append(parsed)
        return found

    def _parse(self, index: int, recording: Recording) -> _Parsed:
        spec = self.spec.endpoint(recording.api_name)
        assert spec is not None
        events = [_with_state_outputs(spec, event) for event in recording.events]
        try:
            stub = parse_stub(
                self,
                {"api_name": recording.api_name, "response": {"events": events}},
                f"recording-{index}",
            )
        except StubError as error:
            raise SpecError(f"recordings[{index}] ({recording.api_name}): {error}") from None
        return _Parsed(index, _recorded_key(recording.data), stub.events)

    def configure(self, speed: float = 1.0, record_missing: str | None = None) -> None:
        """``--speed`` and ``--record-missing``: with an upstream, each endpoint's function
        asks it what the cassette does not hold."""
        if speed < 0:
            raise SpecError(f"the speed is 0 (no waits) or more, not {speed}")
        self.speed, self.record_missing = speed, record_missing
        if record_missing:
            for spec in self.spec.endpoints:
                endpoint = self.endpoint(spec.api_name)
                assert endpoint is not None
                endpoint.fn = _upstream_function(self, spec)

    def upstream(self) -> Upstream:
        """The upstream of ``--record-missing``, its client made in the server's loop."""
        if self._upstream is None:
            assert self.record_missing is not None
            root = self.record_missing.rstrip("/")
            prefix = "/gradio_api" if self.spec.major >= 5 else ""
            client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=None))
            logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request
            self._upstream = Upstream(root, client, prefix)
        return self._upstream

    def pick(self, matches: list[_Parsed]) -> _Parsed:
        """The first recording not played yet; the last one once all were."""
        for parsed in matches:
            if not self._played.get(parsed.index):
                self._played[parsed.index] = 1
                return parsed
        last = matches[-1]
        self._played[last.index] += 1
        return last


def app_from_cassette(
    path: str, *, seed: int = 0, speed: float = 1.0, record_missing: str | None = None
) -> ReplayApp:
    cassette = load_cassette(path)
    app = app_from_spec(cassette.spec, seed=seed, app_class=ReplayApp)
    assert isinstance(app, ReplayApp)
    app.cassette = cassette
    for index, recording in enumerate(cassette.recordings):
        app._parsed[index] = app._parse(index, recording)  # a bad recording is refused now
    for spec in cassette.spec.endpoints:
        endpoint = app.endpoint(spec.api_name)
        assert endpoint is not None
        endpoint.answer = _Answer(app, endpoint, spec, endpoint.answer)
    app.configure(speed, record_missing)
    return app


# -- matching ------------------------------------------------------------------------------


def _recorded_key(data: list[Any]) -> list[Any]:
    return [map_files(value, _file_key) for value in data]


def _file_key(file_data: dict[str, Any]) -> Any:
    path = file_data.get("path")
    if isinstance(path, str):
        return path if path.startswith(HASH_PREFIX) else {"file": path}
    return {"file": file_data.get("url")}


def _sent_key(data: list[Any], files: FileStore) -> list[Any]:
    """The inputs of a call as they match: each uploaded file by its content's hash."""
    hashes: dict[str, str] = {}

    def key(file_data: dict[str, Any]) -> Any:
        path = file_data.get("path")
        if isinstance(path, str) and not path.startswith(("http://", "https://", "data:")):
            if path not in hashes:
                status, real = files.lookup(path)
                if status == 200 and real is not None:
                    hashes[path] = HASH_PREFIX + file_hash(real)
            if path in hashes:
                return hashes[path]
        return _file_key(file_data)

    return [map_files(value, key) for value in data]


def _shown(value: Any) -> str:
    if isinstance(value, str) and value.startswith(HASH_PREFIX):
        return f"a file {value[: len(HASH_PREFIX) + 12]}…"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _differences(spec: EndpointSpec, sent: list[Any], recorded: list[Any]) -> list[str]:
    names = [p.name for p in spec.parameters]
    found = []
    if len(sent) != len(recorded):
        found.append(f"arity: sent {len(sent)} inputs, recorded {len(recorded)}")
    for n, (a, b) in enumerate(zip(sent, recorded), start=1):
        if not _same(a, b):
            name = names[n - 1] if n <= len(names) else "?"
            found.append(f"input {n} ({name}): sent {_shown(a)}, recorded {_shown(b)}")
    return found


class _Answer:
    """An endpoint's ``answer``: hands the routes a ``_Pending`` to settle (the matching
    needs the server's files, to hash uploads, and its address, for file URLs)."""

    def __init__(
        self,
        app: ReplayApp,
        endpoint: Endpoint,
        spec: EndpointSpec,
        examples: Callable[[Any], list[Any] | None] | None,
    ) -> None:
        self.app, self.endpoint, self.spec, self.examples = app, endpoint, spec, examples
        self.state = [i.state for i in spec.inputs]

    def __call__(self, data: Any) -> _Pending:
        return _Pending(self, data)


class _Pending(list[Any]):
    """What ``answer`` hands the routes: they see ``settle`` and call it with the server's
    files and address (``_routing._submit``). A list only to fit ``Endpoint.answer``'s type."""

    def __init__(self, answer: _Answer, data: Any) -> None:
        super().__init__([None])
        self.answer, self.data = answer, data

    def settle(
        self, files: FileStore, base_url: str, entry: Entry | None
    ) -> list[TimelineEvent] | None:
        answer, app = self.answer, self.answer.app
        data = self.data if isinstance(self.data, list) else []
        if len(data) == len(answer.state) and any(answer.state):
            data = [value for value, state in zip(data, answer.state) if not state]
        key = _sent_key(data, files)
        recordings = app.recordings_of(answer.spec.api_name)
        matches = [parsed for parsed in recordings if _same(parsed.key, key)]
        if matches:
            chosen = app.pick(matches)
            if entry is not None:
                entry.answered_by = f"recording {chosen.index}"
            return _played(app, chosen.events, files, base_url)
        if answer.examples is not None:
            example = answer.examples(self.data)
            if example:
                if entry is not None:
                    entry.answered_by = "example"
                return example
        if app.record_missing:
            if entry is not None:
                entry.answered_by = f"upstream {app.record_missing} (recorded)"
            return None  # the endpoint's function asks the upstream
        ranked = sorted(
            ((_differences(answer.spec, key, parsed.key), parsed.index) for parsed in recordings),
            key=lambda pair: (len(pair[0]), pair[1]),
        )[:NEAR_MISSES]
        misses = [
            {
                "api_name": answer.spec.api_name,
                "fn_index": answer.endpoint.fn_index,
                "recording": index,
                "differences": differences,
            }
            for differences, index in ranked
        ]
        if ranked:
            reason = (
                f"No recording of {answer.spec.api_name} matches these inputs; the nearest, "
                f"recording {ranked[0][1]}, differs: " + "; ".join(ranked[0][0])
            )
        else:
            reason = f"The cassette holds no recording of {answer.spec.api_name}"
        reason += " (record it: gradio-mock CASSETTE --record-missing UPSTREAM)."
        if entry is not None:
            entry.answered_by = "cassette"
            entry.unmatched = reason
            entry.near_misses = misses
        return [TimelineEvent("error", _error({"error": reason}, "replay"), 0.0)]


def _played(
    app: ReplayApp, events: list[TimelineEvent], files: FileStore, base_url: str
) -> list[TimelineEvent]:
    """The recording's events at the replay's speed, its files served by this server."""
    assert app.cassette is not None
    cassette = app.cassette
    served: dict[str, dict[str, Any]] = {}

    def serve(file_data: dict[str, Any]) -> Any:
        path = file_data.get("path")
        if not isinstance(path, str) or not path.startswith(HASH_PREFIX):
            return file_data
        if path not in served:
            source = cassette.file_path(path[len(HASH_PREFIX) :])
            if not os.path.isfile(source):
                return file_data
            name = file_data.get("orig_name") or "file"
            target = files.new_path(name if isinstance(name, str) else "file")
            shutil.copyfile(source, target)
            real = files.register(target)
            served[path] = {
                "path": real,
                "url": f"{base_url}/file={urllib.parse.quote(real, safe='/')}",
            }
        return {**file_data, **served[path]}

    speed = app.speed
    return [
        TimelineEvent(
            event.type,
            map_files(event.data, serve)
            if event.type in ("generating", "complete")
            else event.data,
            event.delay / speed if speed else 0.0,
        )
        for event in events
    ]


def _with_state_outputs(spec: EndpointSpec, event: dict[str, Any]) -> dict[str, Any]:
    """A ``/call`` recording's values leave the state outputs out; the timeline has them."""
    if event.get("type") not in ("generating", "complete") or not any(
        o.state for o in spec.outputs
    ):
        return event
    values = event.get("data")
    if not isinstance(values, list) or len(values) != len(spec.returns):
        return event
    shown = iter(values)
    return {**event, "data": [None if o.state else next(shown) for o in spec.outputs]}


# -- --record-missing ------------------------------------------------------------------------


def _upstream_function(app: ReplayApp, spec: EndpointSpec) -> Callable[..., Any]:
    """The endpoint's function under ``--record-missing``: the call made to the upstream
    (files uploaded there), its values passed on, the whole appended to the cassette."""

    async def values(args: tuple[Any, ...]) -> AsyncIterator[tuple[str, Any]]:
        assert app.cassette is not None
        upstream = app.upstream()
        client, cassette = upstream.client, app.cassette
        params = [value for value, i in zip(args, spec.inputs) if not i.state]
        data: list[Any] = []
        known: dict[str, str] = {}
        for value, parameter in zip(params, spec.parameters):
            if is_file_schema(parameter.info.get("type")) and isinstance(value, str):
                name = os.path.basename(value)
                with open(value, "rb") as file:
                    uploaded = await client.post(
                        f"{upstream.root}{upstream.api_prefix}/upload",
                        files={"files": (name, file.read())},
                    )
                uploaded.raise_for_status()
                path = uploaded.json()[0]
                known[path] = local_file_hash(cassette, value)
                data.append({"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}})
            else:
                data.append(value)
        episode = Episode(spec.api_name, data, "call", known_files=known)
        name = spec.api_name.strip("/")
        started = await client.post(
            f"{upstream.root}{upstream.api_prefix}/call/{name}", json={"data": data}
        )
        if started.status_code != 200:
            raise Error(f"the upstream answered {started.status_code}: {started.text[:200]}")
        event_id = started.json()["event_id"]
        url = f"{upstream.root}{upstream.api_prefix}/call/{name}/{event_id}"
        async with client.stream("GET", url) as stream:
            kind = None
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind in ("generating", "complete", "error"):
                    payload = json.loads(line[5:].strip() or "null")
                    if kind == "error":
                        episode.add("error", error_payload(payload))
                        break
                    marked = await upstream.keep_files(cassette, payload, {})
                    episode.add(kind, marked)
                    yield kind, _local_files(cassette, marked)
                    if kind == "complete":
                        break
        if not episode.done:
            raise Error(f"the upstream's stream for {spec.api_name} ended without a result")
        await upstream.finish(cassette, episode, [])
        last = episode.events[-1]
        if last["type"] == "error":
            payload = last["data"]
            if payload.get("error") is None:
                raise RuntimeError(f"the upstream's {spec.api_name} failed (its error hidden)")
            raise Error(
                str(payload["error"]),
                payload.get("duration", 10),
                bool(payload.get("visible", True)),
                str(payload.get("title", "Error")),
            )

    def shaped(values: Any) -> Any:
        returned = values if isinstance(values, list) else [values]
        if len(returned) == len(spec.returns) and len(spec.outputs) != len(spec.returns):
            shown = iter(returned)
            returned = [None if o.state else next(shown) for o in spec.outputs]
        if len(returned) == 1:
            return returned[0]
        return tuple(returned)

    if spec.streams:

        async def streamed(*args: Any) -> AsyncIterator[Any]:
            async for kind, payload in values(args):
                if kind == "generating":
                    yield shaped(payload)

        return streamed

    async def called(*args: Any) -> Any:
        result = None
        async for _kind, payload in values(args):
            result = payload
        return shaped(result)

    return called


def _local_files(cassette: Cassette, value: Any) -> Any:
    """Recorded FileData (``sha256:`` paths) as files of this server, for the function's
    return (the server serves them as its own outputs)."""

    def local(file_data: dict[str, Any]) -> Any:
        path = file_data.get("path")
        if not isinstance(path, str) or not path.startswith(HASH_PREFIX):
            return file_data
        name = file_data.get("orig_name")
        target = output_path(name if isinstance(name, str) else "file")
        shutil.copyfile(cassette.file_path(path[len(HASH_PREFIX) :]), target)
        return target

    return map_files(value, local)
