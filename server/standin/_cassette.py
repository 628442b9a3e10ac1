"""The cassette file: a spec plus recordings, as ``gradio-mock record`` writes it.

    {"format": "gradio-mock-cassette/1", "upstream": URL, "files": "cassette.files",
     "spec": {... a spec, as gradio-mock snapshot saves it ...},
     "recordings": [{"api_name": "/predict", "data": [...], "wire": "call" | "queue",
                     "recorded_at": 1700000000.0,
                     "events": [{"type": "generating", "data": [...], "delay": 0.1,
                                 "offset": 0.4}, ...]}]}

Each recording's ``events`` are a stub timeline (``mock._stubs``: ``estimation``,
``progress``, ``log``, ``generating``, then ``complete`` or ``error``); ``delay`` is the
seconds since the event before (the first: since the call was made), ``offset`` the seconds
since the call was made. A file, in the inputs or the outputs, is kept as a FileData whose
``path`` is ``sha256:<hex>`` (and ``url`` null): its bytes are ``<files>/<hex>``, beside the
cassette. The file is rewritten whole (to a temporary file, then renamed) at each recording,
so a recorder stopped at any moment leaves every call it saw complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._spec import Spec, SpecError, read_json

__all__ = [
    "CASSETTE_FORMAT",
    "HASH_PREFIX",
    "Cassette",
    "Recording",
    "file_hash",
    "is_cassette",
    "is_file_data",
    "load_cassette",
    "map_files",
]

CASSETTE_FORMAT = "gradio-mock-cassette/1"
#: A recorded file's ``path``: its content hash.
HASH_PREFIX = "sha256:"


def is_file_data(value: Any) -> bool:
    """A FileData object as the clients and Gradio send it: a ``path`` (or ``url``) with
    ``meta._type`` ``gradio.FileData``, or the fields only FileData has."""
    if not isinstance(value, dict):
        return False
    meta = value.get("meta")
    if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
        return isinstance(value.get("path") or value.get("url"), str)
    return isinstance(value.get("path"), str) and ("orig_name" in value or "url" in value)


def map_files(value: Any, change: Callable[[dict[str, Any]], Any]) -> Any:
    """``value`` with every FileData in it (at any depth) replaced by ``change(file_data)``."""
    if is_file_data(value):
        return change(value)
    if isinstance(value, list):
        return [map_files(item, change) for item in value]
    if isinstance(value, dict):
        return {key: map_files(item, change) for key, item in value.items()}
    return value


def file_hash(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Recording:
    api_name: str
    #: The inputs a client passes (state inputs left out), files as ``sha256:`` FileData.
    data: list[Any]
    #: The stub timeline: ``{"type", "data", "delay", "offset"}`` each.
    events: list[dict[str, Any]]
    #: How it was called: ``call`` (POST /call + GET) or ``queue`` (/queue/join + /queue/data).
    wire: str = "call"
    recorded_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "api_name": self.api_name,
            "data": self.data,
            "wire": self.wire,
            "recorded_at": self.recorded_at,
            "events": self.events,
        }


@dataclass
class Cassette:
    path: str
    spec: Spec
    upstream: str | None = None
    recordings: list[Recording] = field(default_factory=list)
    #: The files' folder, as the cassette names it (relative: beside the cassette).
    files: str = ""

    def __post_init__(self) -> None:
        if not self.files:
            stem = os.path.splitext(os.path.basename(self.path))[0]
            self.files = f"{stem}.files"

    @property
    def files_dir(self) -> str:
        return os.path.join(os.path.dirname(os.path.abspath(self.path)), self.files)

    def file_path(self, digest: str) -> str:
        return os.path.join(self.files_dir, digest)

    def store_bytes(self, data: bytes) -> str:
        """Keep ``data`` among the cassette's files; its hash."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.file_path(digest)
        if not os.path.isfile(target):
            os.makedirs(self.files_dir, exist_ok=True)
            _write_atomically(target, data)
        return digest

    def store_file(self, path: str) -> str:
        with open(path, "rb") as file:
            return self.store_bytes(file.read())

    def add(self, recording: Recording) -> None:
        """Append a recording and write the whole cassette again."""
        self.recordings.append(recording)
        self.save()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CASSETTE_FORMAT,
            "upstream": self.upstream,
            "files": self.files,
            "spec": self.spec.to_json(),
            "recordings": [r.to_json() for r in self.recordings],
        }

    def save(self) -> None:
        text = json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n"
        _write_atomically(self.path, text.encode("utf-8"))


def _write_atomically(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def is_cassette(path: str) -> bool:
    """Whether ``path`` is a cassette (and not a spec): its ``format`` says so."""
    try:
        with open(path, encoding="utf-8") as file:
            value = json.load(file)
    except (OSError, ValueError):
        return False
    return isinstance(value, dict) and value.get("format") == CASSETTE_FORMAT


def load_cassette(path: str) -> Cassette:
    value = read_json(path, "cassette")
    if not isinstance(value, dict) or value.get("format") != CASSETTE_FORMAT:
        raise SpecError(f'{path}: "format" must be {CASSETTE_FORMAT!r} (gradio-mock record)')
    spec = Spec.from_json(value.get("spec"), f"{path}: spec")
    files = value.get("files")
    upstream = value.get("upstream")
    raw = value.get("recordings", [])
    if not isinstance(raw, list):
        raise SpecError(f'{path}: "recordings" is a list')
    cassette = Cassette(
        path,
        spec,
        upstream if isinstance(upstream, str) else None,
        [],
        files if isinstance(files, str) and files else "",
    )
    for n, item in enumerate(raw):
        cassette.recordings.append(_recording(item, f"{path}: recordings[{n}]", spec))
    return cassette


def _recording(value: Any, where: str, spec: Spec) -> Recording:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: a recording is an object")
    api_name = value.get("api_name")
    if not isinstance(api_name, str) or spec.endpoint(api_name) is None:
        names = ", ".join(e.api_name for e in spec.endpoints) or "none"
        raise SpecError(f'{where}: "api_name" is one of the spec\'s endpoints ({names})')
    data, events = value.get("data"), value.get("events")
    if not isinstance(data, list):
        raise SpecError(f'{where} ({api_name}): "data" is the list of inputs')
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise SpecError(f'{where} ({api_name}): "events" is a list of {{"type", "data", "delay"}}')
    wire = value.get("wire", "call")
    recorded_at = value.get("recorded_at", 0.0)
    return Recording(
        "/" + api_name.strip("/"),
        data,
        events,
        wire if isinstance(wire, str) else "call",
        float(recorded_at) if isinstance(recorded_at, (int, float)) else 0.0,
    )
