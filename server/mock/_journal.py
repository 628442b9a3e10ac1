"""The request journal: every request the server received, newest last, bounded.

Each HTTP request gets an entry as it arrives (method, path, the route form, headers with
credentials redacted: a ``Row``, read by name through ``Entry``); the routes add what they
understood (``api_name`` or ``fn_index``, the inputs as received, ``session_hash``,
``event_id``); the response adds its status, and the job, when it ends, its outcome. A request
that matched no endpoint, or whose inputs did not fit the endpoint it named, is **unmatched**
and carries its **near misses**: the closest endpoints and what differed (name, arity, a
type), as WireMock shows them.

The journal is what a contract test reads to see what a client sent: ``GET /__mock/requests``,
or ``gradio_mock.requests()`` in the pytest plugin.

An entry is a row (a list) while it is young; a few hundred requests later, once nothing
holds it (its request answered, its job ended, no reader's ``Entry`` on it), it is packed with
the rows of its age into a block, one ``marshal`` string (``Journal._pack``): the thousands of
entries kept are a few hundred bytes objects, not some 60,000 small ones. Reading unpacks
them.
"""

from __future__ import annotations

import collections
import contextlib
import difflib
import itertools
import json
import marshal
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from operator import itemgetter
from sys import getrefcount
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .._notify import Notifier
from .._types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .._app import Endpoint

__all__ = ["Entry", "Journal", "Row", "near_misses", "pack_headers", "route_form"]

#: Headers whose values are secrets: journalled as ``<scheme> ***``.
_SECRET_HEADERS = frozenset(
    {"authorization", "x-hf-authorization", "cookie", "proxy-authorization"}
)


#: An entry as the journal keeps it: one list a request, its fields at these indices, built
#: in one step (``Journal.open``) and written by index on the hot path; ``Entry`` reads and
#: writes it by name everywhere else. (A list is made, filled and freed in under half the
#: instructions of an object with a slot a field: 1,350 against 3,100 an entry, counted.)
Row = list[Any]

(
    ID,
    STARTED,
    METHOD,
    PATH,
    QUERY,
    ROUTE_FORM,
    RAW_HEADERS,
    JOURNAL,
    API_NAME,
    FN_INDEX,
    DATA,
    BODY,
    SESSION_HASH,
    EVENT_ID,
    STATUS,
    OUTCOME,
    ANSWERED_BY,
    UNMATCHED,
    NEAR_MISSES,
    DURATION,
    CALL,
    DATA_SIZE,
) = range(22)

_T = TypeVar("_T")


class _Field(Generic[_T]):
    """A field of an entry's row, read and written by name through its ``Entry``."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    @overload
    def __get__(self, entry: None, owner: type[Entry]) -> _Field[_T]: ...
    @overload
    def __get__(self, entry: Entry, owner: type[Entry]) -> _T: ...
    def __get__(self, entry: Entry | None, owner: type[Entry]) -> _Field[_T] | _T:
        if entry is None:
            return self
        value: _T = entry.row[self.index]
        return value

    def __set__(self, entry: Entry, value: _T) -> None:
        entry.row[self.index] = value


class Entry:
    """One request as the journal keeps it, by name: a view of its row (``Row``), made when
    something reads the journal. Two views of one entry are equal.

    The row is built for the thousands kept and the one made per request: what a client did
    not send stays ``None``, the headers as received are one packed string, and a ``/call``
    body's inputs are kept as the body's bytes until something reads ``data`` (parsing them
    then costs nothing per request)."""

    __slots__ = ("row",)

    def __init__(self, row: Row) -> None:
        self.row = row

    id = _Field[int](ID)
    #: When the request came (``time.monotonic()``; see ``time`` for the wall clock's).
    started = _Field[float](STARTED)
    method = _Field[str](METHOD)
    path = _Field[str](PATH)
    query = _Field[str](QUERY)
    #: ``"gradio_api"`` for the Gradio 5/6 form (``/gradio_api/...``), else ``"root"``.
    route_form = _Field[str](ROUTE_FORM)
    #: As received, in one ``name\0value\0...`` string (redacted when read: ``headers``):
    #: one object an entry, not two a header, for the thousands of entries kept.
    raw_headers = _Field[bytes](RAW_HEADERS)
    #: The journal this entry was opened in (which counts ``data_size`` in its budget).
    journal = _Field["Journal"](JOURNAL)
    api_name = _Field[str | None](API_NAME)
    fn_index = _Field[int | None](FN_INDEX)
    session_hash = _Field[str | None](SESSION_HASH)
    event_id = _Field[str | None](EVENT_ID)
    status = _Field[int | None](STATUS)
    #: ``complete``, ``error`` or ``cancelled`` once the call's job has ended.
    outcome = _Field[str | None](OUTCOME)
    #: ``"function"`` or ``"stub <id>"``: what answered the call.
    answered_by = _Field[str | None](ANSWERED_BY)
    #: Why the request was unmatched (None: it matched, or it is not a call).
    unmatched = _Field[str | None](UNMATCHED)
    near_misses = _Field[Sequence[dict[str, Any]]](NEAR_MISSES)
    #: Seconds from arrival to the response's end, or to the job's end for a call.
    duration = _Field[float | None](DURATION)
    #: The request started a job (its ``duration`` runs to the job's end).
    call = _Field[bool](CALL)
    #: Bytes ``data`` is counted as against the journal's budget (its JSON's length, or the
    #: length of the small ``/call`` body it came in).
    data_size = _Field[int](DATA_SIZE)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Entry)
            and other.row[ID] == self.row[ID]
            and other.row[JOURNAL] is self.row[JOURNAL]
        )

    def __hash__(self) -> int:
        return hash(self.row[ID])

    @property
    def time(self) -> float:
        """When the request came, on the wall clock (seconds since the epoch): the
        monotonic clock's reading made the wall clock's with the journal's latest offset
        (read again every 1,024 requests, so a wall clock set since moves it too)."""
        return self.started + self.journal.wall

    @property
    def data(self) -> Any:
        """The inputs as received (parsed from their ``/call`` body the first time read)."""
        row = self.row
        if row[BODY] is not None:
            row[DATA] = json.loads(row[BODY])["data"]
            row[BODY] = None
        return row[DATA]

    def __repr__(self) -> str:
        return f"Entry({self.id}, {self.method} {self.path}, status={self.status})"

    def to_json(self) -> dict[str, Any]:
        """The entry as the admin API shows it (the shared store keeps it ``packed``)."""
        return {"id": self.id, **Entry.unpack(self.packed())}

    #: The fields ``packed`` lists, in its order.
    PACKED = (
        "time",
        "method",
        "path",
        "query",
        "route_form",
        "api_name",
        "fn_index",
        "session_hash",
        "event_id",
        "status",
        "outcome",
        "answered_by",
        "unmatched",
        "near_misses",
        "duration",
    )

    def packed(self) -> list[Any]:
        """The entry as a flat JSON list (``PACKED``'s fields, then the raw headers and the
        inputs, or the ``/call`` body they came in): what the shared store keeps of each
        request, made without parsing the body or building the headers' dict. ``unpack``
        makes the admin API's form of it (``to_json``'s, but its ``id``)."""
        body = self.row[BODY]
        text = None
        if body is not None:
            try:
                text = body.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:  # (a body in UTF-16 or -32: json.loads read it)
                self.data  # noqa: B018  (parsed now, into the row's DATA)
        return [
            self.time,
            self.method,
            self.path,
            self.query,
            self.route_form,
            self.api_name,
            self.fn_index,
            self.session_hash,
            self.event_id,
            self.status,
            self.outcome,
            self.answered_by,
            self.unmatched,
            list(self.near_misses),
            self.duration,
            self.raw_headers.decode("latin-1"),
            text,
            self.row[DATA],
        ]

    @classmethod
    def unpack(cls, packed: list[Any]) -> dict[str, Any]:
        """The admin API's form (``to_json``'s, but the ``id``) of what ``packed`` made."""
        fields = dict(zip(cls.PACKED, packed))
        raw_headers, body, data = packed[len(cls.PACKED) :]
        parts = raw_headers.encode("latin-1").split(b"\0") if raw_headers else []
        if body is not None:
            data = json.loads(body)["data"]
        return {
            "time": fields["time"],
            "method": fields["method"],
            "path": fields["path"],
            "query": fields["query"],
            "route_form": fields["route_form"],
            "api_name": fields["api_name"],
            "fn_index": fields["fn_index"],
            "data": data,
            "session_hash": fields["session_hash"],
            "event_id": fields["event_id"],
            "headers": redact(zip(parts[::2], parts[1::2])),
            "status": fields["status"],
            "outcome": fields["outcome"],
            "answered_by": fields["answered_by"],
            "matched": fields["unmatched"] is None,
            "unmatched": fields["unmatched"],
            "near_misses": fields["near_misses"],
            "duration": fields["duration"],
        }

    @property
    def headers(self) -> dict[str, str]:
        fields = self.raw_headers.split(b"\0") if self.raw_headers else []
        return redact(zip(fields[::2], fields[1::2]))


def _wall_offset() -> float:
    """What to add to ``time.monotonic()``'s readings to make them the wall clock's."""
    return time.time() - time.monotonic()


def pack_headers(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Headers as ``Entry.raw_headers`` keeps them (joined in C: no step per header)."""
    return b"\0".join(map(b"\0".join, headers))


def redact(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in _SECRET_HEADERS:
            scheme, _, secret = value.partition(" ")
            value = f"{scheme} ***" if secret else "***"
        out[name] = value
    return out


#: Inputs larger than this (as JSON) are journalled as a note of their size: the journal
#: must not let a client make the server hold ``--journal-size`` large bodies.
MAX_ENTRY_DATA = 64 * 1024
#: The inputs of every entry together, at most; past it the oldest entries go first, down
#: to ``_LOW_WATER``.
MAX_DATA_BYTES = 32 * 1024 * 1024
_LOW_WATER = MAX_DATA_BYTES - MAX_DATA_BYTES // 8
#: How many times longer than the body carrying them inputs can be as JSON (``1e15`` in
#: a list, 5 bytes, is ``1000000000000000.0, ``, 20): a body this many times under
#: ``MAX_ENTRY_DATA`` holds inputs under it, and is counted as its own length.
_GROWTH = 6
_MAX_KEPT_BODY = MAX_ENTRY_DATA // _GROWTH


def _json_size(data: Any) -> int:
    try:
        return len(json.dumps(data, default=repr))
    except (ValueError, RecursionError):
        return MAX_ENTRY_DATA + 1


#: Rows this many entries old are packed into a block (``Journal._pack``) if nothing holds
#: them: more than the requests in flight at 64 clients (128), few enough to be in the
#: CPU's caches still.
_YOUNG = 256
#: Entries are packed this many at a time (a power of two: ``open`` tests a mask).
_PACK_EVERY = 64
_PACK_MASK = _PACK_EVERY - 1
_by_id = itemgetter(ID)


def _unheld_counts() -> tuple[int, int]:
    """What ``getrefcount`` reads in ``Journal._pack`` of a row nothing else holds: popped
    from a deque into a local, and met in a loop over a list. Measured here the same way,
    not assumed: how an argument is counted differs between Python versions."""
    young: collections.deque[list[Any]] = collections.deque([[]])
    row = young.popleft()
    popped = getrefcount(row)
    listed = 0
    for row in [[]]:
        listed = getrefcount(row)
    return popped, listed


_POPPED, _LISTED = _unheld_counts()


class _Block:
    """Entries packed together: their rows in one ``marshal`` string (or, if some input
    is not something marshal writes, the rows themselves), each row's ``DATA_SIZE``, and
    how many of the oldest are gone (``skip``)."""

    __slots__ = ("payload", "sizes", "skip")

    def __init__(self, rows: list[Row], journal: Journal) -> None:
        self.sizes = array("q", [row[DATA_SIZE] for row in rows])
        self.skip = 0
        for row in rows:
            row[JOURNAL] = None  # (the one field marshal cannot write: given back on reading)
        try:
            self.payload: bytes | list[Row] = marshal.dumps(rows, 4)
        except ValueError:
            for row in rows:
                row[JOURNAL] = journal
            self.payload = rows

    def rows(self, journal: Journal) -> list[Row]:
        if not isinstance(self.payload, bytes):
            return self.payload
        rows: list[Row] = marshal.loads(self.payload)
        for row in rows:
            row[JOURNAL] = journal
        return rows


class Journal:
    """The last ``size`` requests (0: journal nothing), their inputs within a byte budget,
    and a signal for live readers."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        #: The newest entries, as rows, oldest first: each is opened here, and packed into
        #: a block (``_pack``) once ``_YOUNG`` newer ones have come, if nothing holds it
        #: any more (else it is parked until nothing does).
        self._entries: collections.deque[Row] = collections.deque()
        #: Rows past their turn to be packed that something still held then: a request or
        #: a job in flight, a reader's ``Entry``. Oldest first.
        self._parked: list[Row] = []
        #: Older entries, packed ``_PACK_EVERY`` or so to a block, oldest block first.
        self._blocks: collections.deque[_Block] = collections.deque()
        #: How many entries the blocks hold (but those ``skip``ped).
        self._in_blocks = 0
        #: At least what the kept entries' inputs are counted as, together: the inputs of
        #: every entry kept since it was last made exact (``_trim``), when it went over
        #: ``MAX_DATA_BYTES`` (entries dropped meanwhile are still in it).
        self._data_bound = 0
        #: The id of the newest entry.
        self._last_id = 0
        #: The last GET's (or other request's) headers and their packed form, the last
        #: POST's, and the last POST's path (``open``).
        self._headers: object = None
        self._packed = b""
        self._post_headers: object = None
        self._post_packed = b""
        self._post_path = ""
        #: What to add to the monotonic clock's readings to make them the wall clock's
        #: (``Entry.time``), read again now and then (``open``).
        self.wall = _wall_offset()
        #: Woken at each new entry and each change to one (the page's live view).
        self.changed = Notifier()
        #: Told of each new entry and each change (through ``listen``, which keeps
        #: ``watched`` right).
        self._listeners: list[Callable[[Entry], None]] = []
        #: Someone is told of each new entry and each change (a live reader, a listener):
        #: else ``updated`` is not called at all, which spares every request a few calls.
        self.watched = False
        #: The last changes, numbered: what a live reader has not sent yet (kept only
        #: while one reads: a reader starts from the newest number, see ``reading``).
        self._changes: collections.deque[tuple[int, Row]] = collections.deque(maxlen=4096)
        #: Changes made other than by opening an entry (``_change_seq``).
        self._updates = 0
        self._readers = 0

    @property
    def enabled(self) -> bool:
        return self.size > 0

    @property
    def data_bytes(self) -> int:
        """What the kept entries' inputs are counted as, together (``MAX_DATA_BYTES`` at
        most)."""
        rows = itertools.chain(self._parked, self._entries)
        in_rows: int = sum(row[DATA_SIZE] for row in rows)
        return in_rows + sum(sum(block.sizes[block.skip :]) for block in self._blocks)

    @property
    def _change_seq(self) -> int:
        """The number of the newest change: each new entry is one (its id, counted without
        a step of its own), each change to one another (``updated``)."""
        return self._last_id + self._updates

    def open(self, scope: MutableMapping[str, Any], route_form: str) -> Row:
        """A new entry's row for the HTTP request of ``scope`` (the ASGI scope, where it is
        put under ``ENTRY_KEY`` for the routes), which came in ``route_form``."""
        method: str = scope["method"]
        path: str = scope["path"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        query: bytes = scope["query_string"]
        # Most requests come with the very headers of a request before of the same method
        # (a client's GETs; its POSTs of one size): their entries share one packed copy,
        # which costs a comparison, not a packing, and the thousands of entries kept one
        # object, not each their own. Each object an entry keeps is made, kept and freed
        # once a request: the fewer, the cheaper the journal measured (its cost at 64
        # clients fell from about 13% to 10% with the headers, the path, the ids and the
        # wall time shared).
        if method == "POST":
            if headers != self._post_headers:
                self._post_headers, self._post_packed = headers, pack_headers(headers)
            packed = self._post_packed
            # (and a POST's path, the same for every call of an endpoint, is shared too:
            # compared with the last one's, cheaper than hashing a new string to look it up)
            if path == self._post_path:
                path = self._post_path
            else:
                self._post_path = path
        else:
            if headers != self._headers:
                self._headers, self._packed = headers, pack_headers(headers)
            packed = self._packed
        number = self._last_id + 1
        self._last_id = number
        if not number & _PACK_MASK:
            self._pack(number)
        # (in ``Row``'s order: ID to JOURNAL, then None from API_NAME to DURATION, but
        # NEAR_MISSES, then CALL and DATA_SIZE)
        entry = [
            number,
            time.monotonic(),
            method,
            path,
            query.decode("latin-1") if query else "",
            route_form,
            packed,
            self,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            (),
            None,
            False,
            0,
        ]
        self._entries.append(entry)
        if self.watched:
            self._updates -= 1  # (a new entry is a change counted by its id already)
            self.updated(entry)
        scope[ENTRY_KEY] = entry
        return entry

    def keep_data(self, entry: Row, data: Any, body: bytes | None = None) -> None:
        """``data`` as ``entry``'s inputs, or a note of their size if they are too large.
        ``body``: the ``/call`` body ``data`` is the ``"data"`` of; a small one is kept as
        it is (and counted as its length), to be parsed only if the entry is read."""
        if body is not None and (size := len(body)) <= _MAX_KEPT_BODY:
            entry[DATA] = None
            entry[BODY] = body
        else:
            size = _json_size(data)
            if size > MAX_ENTRY_DATA:
                data = f"<{size} bytes of inputs: more than the journal keeps ({MAX_ENTRY_DATA})>"
                size = len(data)
            entry[DATA] = data
            entry[BODY] = None
        self._data_bound += size - entry[DATA_SIZE]
        entry[DATA_SIZE] = size
        if self._data_bound > MAX_DATA_BYTES:
            self._trim()

    def _pack(self, number: int) -> None:
        """Every ``_PACK_EVERY`` entries: the rows ``_YOUNG`` entries old that nothing holds
        any more packed into a block (and, every 1,024, the parked rows that nothing holds
        now); then the oldest entries past ``size`` dropped.

        Kept as rows, the journal's 10,000 entries were some 60,000 objects scattered through
        memory, each row freed long after it was last touched. A block is one bytes object
        (``marshal``, which writes once a string its rows share), made while its rows are
        still in the CPU's caches. Measured: the journal's memory over 12,000 round trips
        from about 4.1 MB to 1.5 MB, and 1.6% less CPU a round trip at 64 clients."""
        batch: list[Row] = []
        if not number & 1023:  # (now and then)
            self.wall = _wall_offset()  # (the wall clock may have been set meanwhile)
            parked, self._parked = self._parked, []
            for row in parked:
                (batch if getrefcount(row) <= _LISTED else self._parked).append(row)
        young = self._entries
        for _ in range(len(young) - _YOUNG):
            row = young.popleft()
            (batch if getrefcount(row) <= _POPPED else self._parked).append(row)
        if batch:
            self._blocks.append(_Block(batch, self))
            self._in_blocks += len(batch)
        self._drop(self._held() - self.size)

    def _held(self) -> int:
        """How many entries the journal holds: in blocks, parked and young (``size`` may be
        fewer: the young rows are read past, not dropped)."""
        return self._in_blocks + len(self._parked) + len(self._entries)

    def _drop(self, count: int) -> None:
        """Forget the ``count`` oldest entries of the blocks, then of the parked rows (the
        young rows, at most ``_YOUNG`` + ``_PACK_EVERY``, are only ever read past)."""
        blocks = self._blocks
        while count > 0 and blocks:
            block = blocks[0]
            gone = min(count, len(block.sizes) - block.skip)
            block.skip += gone
            self._in_blocks -= gone
            count -= gone
            if block.skip == len(block.sizes):
                blocks.popleft()
        if count > 0 and self._parked:
            del self._parked[:count]

    def _trim(self) -> None:
        """Keep the entries' inputs within ``MAX_DATA_BYTES``, the oldest entries going
        first: counted again from the entries, and down to ``_LOW_WATER``, so that the next
        count comes only after another eighth of the budget has come in. (Trimmed to the
        budget only, inputs that keep the journal near it would be counted again at every
        call: 10,000 entries each time.) A block's inputs are counted until the whole
        block goes: its memory is held until then."""
        total = self.data_bytes
        blocks = self._blocks
        while total > _LOW_WATER and blocks:
            block = blocks.popleft()
            total -= sum(block.sizes[block.skip :])
            self._in_blocks -= len(block.sizes) - block.skip
        parked = self._parked
        while total > _LOW_WATER and parked:
            total -= parked.pop(0)[DATA_SIZE]
        young = self._entries
        while total > _LOW_WATER and len(young) > 1:
            total -= young.popleft()[DATA_SIZE]
        self._data_bound = total

    def _rows(self) -> list[Row]:
        """Every kept entry's row, oldest first (a packed one unpacked: a new row)."""
        rows: list[Row] = []
        for block in self._blocks:
            rows += block.rows(self)[block.skip :]
        rows += self._parked
        rows += self._entries
        rows.sort(key=_by_id)  # (parked rows came before some packed ones)
        return rows[-self.size :] if len(rows) > self.size else rows

    def listen(self, listener: Callable[[Entry], None]) -> None:
        """Have ``listener`` called with each new entry and each change to one."""
        self._listeners.append(listener)
        self.watched = True

    def updated(self, entry: Row) -> None:
        """``entry`` is new or has changed (called only while ``watched``)."""
        self._updates += 1
        if self._readers:
            self._changes.append((self._change_seq, entry))
            self.changed.notify()
        if self._listeners:
            view = Entry(entry)
            for listener in self._listeners:
                listener(view)

    def entries(
        self,
        *,
        api_name: str | None = None,
        unmatched: bool | None = None,
        since: int = 0,
        limit: int | None = None,
    ) -> list[Entry]:
        wanted = None if api_name is None else "/" + api_name.strip("/")
        found = [
            row
            for row in self._rows()
            if row[ID] > since
            and (wanted is None or row[API_NAME] == wanted)
            and (unmatched is None or (row[UNMATCHED] is not None) == unmatched)
        ]
        return [Entry(row) for row in (found[-limit:] if limit else found)]

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Held by a live reader (``changes_since``) while it reads: changes are remembered
        only then. Take it before the first ``changes_since``."""
        self._readers += 1
        self.watched = True
        try:
            yield
        finally:
            self._readers -= 1
            if not self._readers:
                self._changes.clear()
                self.watched = bool(self._listeners)

    def changes_since(self, seq: int) -> tuple[int, list[Entry] | None]:
        """The entries created or changed after change ``seq`` (each once, oldest first) and
        the newest change's number; None when some of them are no longer remembered."""
        if seq >= self._change_seq:
            return self._change_seq, []
        if not self._changes or self._changes[0][0] > seq + 1:
            return self._change_seq, None  # cleared, or forgotten: read the journal again
        seen: dict[int, Row] = {}
        for number, row in self._changes:
            if number > seq:
                seen.pop(row[ID], None)
                seen[row[ID]] = row
        return self._change_seq, [Entry(row) for row in seen.values()]

    def clear(self) -> None:
        self._entries.clear()
        self._parked.clear()
        self._blocks.clear()
        self._in_blocks = 0
        self._data_bound = 0
        self._changes.clear()
        self._updates += 1  # live readers skip what was before
        self.changed.notify()

    def __len__(self) -> int:
        return min(self.size, self._held())


# -- near misses ---------------------------------------------------------------------------


def near_misses(
    endpoints: list[Endpoint], api_name: str | None, data: Any, most: int = 3
) -> list[dict[str, Any]]:
    """The endpoints closest to a call of ``api_name`` with ``data``, each with what differed.

    Closeness weighs the name most, then the number of inputs, then their types, so a typo in
    the name and a wrong arity both point at the endpoint the client meant."""
    name = (api_name or "").strip("/")
    values = data if isinstance(data, list) else None
    scored = []
    for endpoint in endpoints:
        differences = _differences(
            endpoint, name if api_name is not None else None, values, data is None
        )
        similarity = difflib.SequenceMatcher(None, name, endpoint.api_name).ratio()
        arity_ok = values is not None and len(values) == len(endpoint.inputs)
        score = similarity * 2 + (1 if arity_ok else 0) - 0.1 * len(differences)
        scored.append((score, endpoint.fn_index, endpoint, differences))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        {
            "api_name": "/" + endpoint.api_name,
            "fn_index": endpoint.fn_index,
            "differences": differences,
        }
        for _score, _index, endpoint, differences in scored[:most]
    ]


def _differences(
    endpoint: Endpoint, name: str | None, values: list[Any] | None, data_missing: bool
) -> list[str]:
    from .._processing import describe_inputs

    found = []
    if name is not None and name != endpoint.api_name:
        found.append(f"api_name: sent /{name}, this endpoint is /{endpoint.api_name}")
    takes = describe_inputs(endpoint)
    if values is None:
        if data_missing:
            return found
        found.append(f"data: not a list of inputs; /{endpoint.api_name} takes {takes}")
        return found
    if len(values) != len(endpoint.inputs):
        found.append(
            f"arity: sent {len(values)} input{'' if len(values) == 1 else 's'}, "
            f"/{endpoint.api_name} takes {len(endpoint.inputs)}: {takes}"
        )
    for position, (component, value) in enumerate(zip(endpoint.inputs, values), start=1):
        problem = _type_problem(component, value)
        if problem:
            parameter = endpoint.parameter_names[position - 1]
            found.append(f"input {position} ({parameter}): {problem}")
    return found


def _type_problem(component: Any, value: Any) -> str | None:
    """What is wrong with ``value`` for ``component``, without fetching anything."""
    from .._exceptions import InputError

    if component.is_file:
        if isinstance(value, str) or (
            isinstance(value, dict) and ("path" in value or "url" in value)
        ):
            return None
        return f"expected a file (FileData, a URL or an uploaded path), got {type(value).__name__}"
    try:
        component.preprocess(value)
    except InputError as error:
        return str(error)
    except Exception as error:  # a check that failed in an unexpected way: still a miss
        return f"{type(error).__name__}: {error}"
    return None


# -- recording -----------------------------------------------------------------------------

#: The scope key under which the routes find the request's entry (its ``Row``).
ENTRY_KEY = "gradio_mock.entry"
#: The admin API's prefix: its own requests are not journalled.
ADMIN_PREFIX = "/__mock"


def entry_of(scope: MutableMapping[str, Any]) -> Entry | None:
    """The request's entry, by name (None when the journal is off)."""
    row: Row | None = scope.get(ENTRY_KEY)
    return None if row is None else Entry(row)


def route_form(path: str, root_path: str) -> tuple[str, bool]:
    """The route form of ``path`` as the client sent it (``"gradio_api"`` or ``"root"``), and
    whether it is the admin API's (not journalled)."""
    local = path[len(root_path) :] if root_path and path.startswith(root_path) else path
    form = "gradio_api" if local.startswith("/gradio_api/") or local == "/gradio_api" else "root"
    return form, local.removeprefix("/gradio_api").startswith(ADMIN_PREFIX)


class JournalRecorder:
    """ASGI middleware, outermost: opens an ``Entry`` per HTTP request and records its status.

    It runs before the path is normalised, so it sees the route form the client used."""

    def __init__(self, app: ASGIApp, journal: Journal, root_path: str = "") -> None:
        self.app = app
        self.journal = journal
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        form, admin = route_form(path, self.root_path)
        if admin:
            await self.app(scope, receive, send)
            return
        entry = self.journal.open(scope, form)
        journal = self.journal

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry[STATUS] = message["status"]
                if journal.watched:
                    journal.updated(entry)
            elif (
                message["type"] == "http.response.body"
                and not message.get("more_body")
                and not entry[CALL]
            ):
                entry[DURATION] = time.monotonic() - entry[STARTED]
            await send(message)

        await self.app(scope, receive, recording_send)


def note_call(
    scope: MutableMapping[str, Any],
    *,
    api_name: str | None = None,
    fn_index: int | None = None,
    data: Any = None,
    session_hash: str | None = None,
    event_id: str | None = None,
    body: bytes | None = None,
) -> Entry | None:
    """What a route understood of its request (no-op when the journal is off). ``body``:
    the ``/call`` body whose ``"data"`` is ``data`` (see ``Journal.keep_data``)."""
    entry = entry_of(scope)
    if entry is None:
        return None
    if api_name is not None:
        entry.api_name = "/" + api_name.strip("/")
    if fn_index is not None:
        entry.fn_index = fn_index
    if data is not None:
        entry.journal.keep_data(entry.row, data, body)
    if session_hash is not None:
        entry.session_hash = session_hash
    if event_id is not None:
        entry.event_id = event_id
    return entry


def note_unmatched(
    scope: MutableMapping[str, Any],
    reason: str,
    endpoints: list[Endpoint],
    api_name: str | None,
    data: Any,
) -> None:
    entry = entry_of(scope)
    if entry is not None:
        if entry.api_name is None and api_name is not None:  # (the name as the client sent it)
            entry.api_name = "/" + api_name.strip("/")
        entry.unmatched = reason
        entry.near_misses = near_misses(endpoints, api_name, data)


def finish_entry(journal: Journal, job: Any) -> None:
    """``JobQueue`` listener: the journal entry of the request that started ``job`` gets its
    outcome; one whose inputs did not fit the endpoint becomes unmatched, with near misses."""
    context = job.context
    # (taken from the job: an entry nothing holds any more can be packed, ``Journal._pack``)
    entry: Row | None = context.pop("journal", None)
    if entry is None:
        return
    entry[DURATION] = time.monotonic() - entry[STARTED]
    last = job.last
    if last is None or last.kind == "complete":
        outcome = "complete"
    elif isinstance(last.payload, dict) and last.payload.get("error") == "Cancelled.":
        outcome = "cancelled"
    else:
        outcome = "error"
    if "input_error" in context:
        problem = context["input_error"]
        entry[UNMATCHED] = problem
        endpoint = job.endpoint
        entry[NEAR_MISSES] = [
            miss
            for miss in near_misses([endpoint], endpoint.api_name, Entry(entry).data)
            if miss["differences"]
        ] or [
            {
                "api_name": "/" + endpoint.api_name,
                "fn_index": endpoint.fn_index,
                "differences": [problem],
            }
        ]
    entry[OUTCOME] = outcome
    if journal.watched:
        journal.updated(entry)
