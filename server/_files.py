"""Files: what the server receives (uploads, URL and ``data:`` inputs), what it writes (function
outputs), and the only files it will serve back.

Every file lives under one private temporary folder per server and is recorded in
``_known`` when written. ``GET /file=…`` serves a path only if its real path (symlinks
resolved) is inside that folder *and* recorded, so traversal, absolute paths elsewhere,
symlinks out and case tricks all fail. URL inputs are fetched with a size limit, a timeout,
at most 5 redirects, and only from public addresses unless the operator allows the host.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import mimetypes
import os
import re
import reprlib
import shutil
import socket
import tempfile
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anyio
import httpx

from ._exceptions import InputError

__all__ = ["FileStore", "file_data", "is_public_address", "serving_headers"]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\- ]")
MAX_REDIRECTS = 5
_STORED_FOLDER = re.compile(r"[0-9a-f]{32}")


#: Served inline (shown by a browser); everything else is served as an attachment. Gradio's
#: own list (``gradio.routes.XSS_SAFE_MIMETYPES``), plus the names Python's ``mimetypes``
#: gives some of the same formats (``audio/x-wav``): none of them can carry script.
INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
        "audio/ogg",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "text/plain",
        "application/json",
    }
)
#: On every served file: no script, no plugin, no form can run even if a browser renders
#: it as a page (``sandbox``: an opaque origin); images and media may load themselves.
FILE_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)


def serving_headers(media_type: str | None) -> tuple[str, dict[str, str]]:
    """(Content-Disposition type, extra headers) for serving a file of ``media_type``."""
    base = (media_type or "").split(";")[0].strip().lower()
    disposition = "inline" if base in INLINE_TYPES else "attachment"
    return disposition, {"x-content-type-options": "nosniff", "content-security-policy": FILE_CSP}


_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: RFC 8215: a local-use translation prefix, whose IPv4 position depends on a prefix length
#: only the local network knows: never public.
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo):
    a connection to it may end up at them."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE or ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address a URL input may be fetched from: globally reachable unicast, and,
    for IPv6 forms that embed an IPv4 address (``::ffff:a.b.c.d``, ``::a.b.c.d``, NAT64,
    6to4, Teredo), only if every embedded address is public too. ``is_global`` alone calls
    ``::127.0.0.1`` and ``64:ff9b::7f00:1`` global."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        return all(is_public_address(v4) for v4 in _embedded_ipv4(ip))
    return True


def _safe_name(name: str | None, default: str = "file") -> str:
    name = os.path.basename((name or "").replace("\\", "/"))
    name = _SAFE_NAME.sub("_", name).strip(" .")
    return name[:200] or default


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "data:"))


def file_data(path: str, base_url: str, size: int | None = None) -> dict[str, Any]:
    """Gradio's FileData for a stored file, with a URL the client can fetch it from."""
    return {
        "path": path,
        "url": f"{base_url}/file={urllib.parse.quote(path, safe='/')}",
        "size": size,
        "orig_name": os.path.basename(path),
        "mime_type": None,
        "is_stream": False,
        "meta": {"_type": "gradio.FileData"},
    }


def _redirect_target(url: str, location: str) -> str:
    try:
        return urllib.parse.urljoin(url, location)
    except ValueError as error:
        raise InputError(
            f"fetching {url} redirected to the invalid URL {reprlib.repr(location)} ({error})"
        ) from None


class FileStore:
    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        max_file_size: int = 100 * 1024 * 1024,
        url_timeout: float = 10.0,
        root: str | None = None,
        shared: bool = False,
    ) -> None:
        # realpath: on some systems the temp folder itself is behind a symlink.
        self.root = os.path.realpath(root or tempfile.mkdtemp(prefix="gradio-mock-"))
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        #: A folder other gradio-mock processes write to as well (``--store``,
        #: ``--temp-dir``): a file any of them stored there is served, and the folder is
        #: left in place at exit.
        self.shared = shared
        self.allow_hosts = {h.lower().strip("[]") for h in allow_hosts}
        self.max_file_size = max_file_size
        self.url_timeout = url_timeout
        self._known: set[str] = set()
        self._client: httpx.AsyncClient | None = None

    # -- writing -------------------------------------------------------------------------
    def new_path(self, name: str | None) -> str:
        folder = os.path.join(self.root, uuid.uuid4().hex)
        os.mkdir(folder)
        return os.path.join(folder, _safe_name(name))

    def register(self, path: str) -> str:
        real = os.path.realpath(path)
        self._known.add(real)
        return real

    def save_bytes(self, name: str | None, data: bytes) -> str:
        if len(data) > self.max_file_size:
            raise InputError(self._too_large())
        path = self.new_path(name)
        with open(path, "wb") as f:
            f.write(data)
        return self.register(path)

    def discard(self, path: str) -> None:
        """Remove a stored file and its folder (each stored file has a folder of its own)."""
        real = os.path.realpath(path)
        self._known.discard(real)
        folder = os.path.dirname(real)
        if os.path.dirname(folder) == self.root:
            shutil.rmtree(folder, ignore_errors=True)

    def adopt(self, path: str | os.PathLike[str]) -> str:
        """A file a function returned: served as is if stored here, else copied in."""
        real = os.path.realpath(path)
        if real in self._known:
            return real
        if not os.path.isfile(real):
            raise FileNotFoundError(f"the function returned {os.fspath(path)!r}, not a file")
        target = self.new_path(os.path.basename(real))
        shutil.copyfile(real, target)
        return self.register(target)

    def _too_large(self) -> str:
        return f"file is larger than the limit of {self.max_file_size} bytes"

    # -- serving -------------------------------------------------------------------------
    def lookup(self, requested: str) -> tuple[int, str | None]:
        """(status, path) for ``GET /file=requested``: 200 with the path, 403 or 404."""
        if not requested or "\x00" in requested:
            return 404, None
        candidate = os.path.realpath(os.path.join(self.root, requested))
        if os.path.commonpath([self.root, candidate]) != self.root:
            return 403, None
        if candidate not in self._known and not self._stored_by_peer(candidate):
            return 404, None
        if not os.path.isfile(candidate):
            return 404, None
        return 200, candidate

    def _stored_by_peer(self, candidate: str) -> bool:
        """In a shared folder: a file another process stored, in a folder of its own as
        ``new_path`` makes them (a random 32-hex-digit name directly under the root)."""
        if not self.shared:
            return False
        folder = os.path.dirname(candidate)
        return os.path.dirname(folder) == self.root and bool(
            _STORED_FOLDER.fullmatch(os.path.basename(folder))
        )

    def cleanup(self) -> None:
        # A shared folder is left as it is: the other processes still serve its files
        # (results in the store name them).
        if not self.shared:
            shutil.rmtree(self.root, ignore_errors=True)
        self._known.clear()

    # -- inputs --------------------------------------------------------------------------
    async def resolve_input(self, value: Any) -> str | None:
        """A file input (FileData dict, path or URL) as a local path for the function."""
        if value is None:
            return None
        path: Any
        url: Any
        orig_name: Any
        if isinstance(value, str):
            path, url, orig_name = value, None, None
        elif isinstance(value, dict):
            path, url, orig_name = value.get("path"), value.get("url"), value.get("orig_name")
        else:
            raise InputError(f"a file input must be FileData or a URL, got {type(value).__name__}")
        for field, given in (("path", path), ("url", url), ("orig_name", orig_name)):
            if given is not None and not isinstance(given, str):
                raise InputError(
                    f"a FileData's {field} must be a string or null, got {type(given).__name__}"
                )
        if isinstance(path, str) and not _is_url(path):
            # A file this server holds (an upload, or an output sent back): no fetching, even
            # if its FileData also carries the server's own URL.
            _status, found = self.lookup(path)
            if found is not None:
                return found
        for candidate in (path, url):
            if not isinstance(candidate, str) or not candidate:
                continue
            if candidate.startswith("data:"):
                return self._save_data_url(candidate, orig_name)
            if candidate.startswith(("http://", "https://")):
                return await self.fetch(candidate, orig_name)
        if path is None and url is None:
            # What @gradio/client 0.x sends for a Blob or Buffer given to an Image input: the
            # value as JSON ({} or {"type": "Buffer", ...}), never uploaded. Say so.
            raise InputError(
                "a file input must be FileData with a path (or url), got an object with "
                f"keys {reprlib.repr(sorted(map(str, value)))}: upload the file with "
                "POST /upload and pass its path, or pass an http(s) or data: URL"
            )
        raise InputError(
            f"file {reprlib.repr(path)} is not one this server received: upload it with "
            "POST /upload "
            "or pass an http(s) or data: URL"
        )

    def _save_data_url(self, url: str, orig_name: str | None) -> str:
        header, sep, payload = url[5:].partition(",")
        if not sep:
            raise InputError("a data: URL needs a comma between its header and its data")
        mime, _, encoding = header.partition(";")
        try:
            if encoding.endswith("base64"):
                data = base64.b64decode(payload, validate=True)
            else:
                data = urllib.parse.unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as error:
            raise InputError(f"a data: URL with invalid base64 data ({error})") from None
        extension = mimetypes.guess_extension(mime or "text/plain") or ""
        return self.save_bytes(orig_name or f"file{extension}", data)

    async def fetch(self, url: str, orig_name: str | None = None) -> str:
        """Download ``url`` into the store, checking every hop against the address rules.

        ``url_timeout`` bounds the whole fetch (every hop, every read), not each read: a
        server sending a byte a second cannot hold the fetch any longer."""
        try:
            with anyio.fail_after(self.url_timeout):
                return await self._fetch(url, orig_name)
        except TimeoutError:
            raise InputError(f"fetching {url} timed out after {self.url_timeout} s") from None

    async def _fetch(self, url: str, orig_name: str | None) -> str:
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                request = await self._pinned_request(url)
                response = await self._http_client().send(request, stream=True)
                try:
                    if response.is_redirect and "location" in response.headers:
                        url = _redirect_target(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise InputError(f"fetching {url} answered HTTP {response.status_code}")
                    name = orig_name or urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
                    return await self._save_stream(response, str(name))
                finally:
                    await response.aclose()
        except httpx.InvalidURL as error:
            # httpx parses a redirect's Location itself (a data: URL, say) and fails there.
            raise InputError(
                f"fetching {url} failed: it answered with an invalid URL ({error})"
            ) from None
        except httpx.TimeoutException:
            raise InputError(f"fetching {url} timed out after {self.url_timeout} s") from None
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise InputError(f"fetching {url} failed: {reason}") from None
        raise InputError(f"fetching {url}: more than {MAX_REDIRECTS} redirects")

    def _http_client(self) -> httpx.AsyncClient:
        # One client for all fetches: building its TLS context costs more than a fetch.
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.url_timeout, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _pinned_request(self, url: str) -> httpx.Request:
        """A request to ``url`` that connects to an address we checked (no DNS rebinding)."""
        try:
            parts = urllib.parse.urlsplit(url)
            host = (parts.hostname or "").lower()
            given_port = parts.port
        except ValueError as error:  # "Port out of range", "Invalid IPv6 URL", ...
            raise InputError(
                f"cannot fetch {reprlib.repr(url)}: its host or port is invalid ({error})"
            ) from None
        if parts.scheme not in ("http", "https") or not host:
            raise InputError(f"only http(s) URLs can be fetched, not {reprlib.repr(url)}")
        port = given_port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:  # UnicodeError: a host IDNA cannot encode
            raise InputError(f"cannot resolve the host of {url}: {error}") from None
        addresses = [str(info[4][0]) for info in infos]
        if host not in self.allow_hosts:
            for address in addresses:
                ip = ipaddress.ip_address(address.split("%")[0])
                if not is_public_address(ip):
                    raise InputError(
                        f"refusing to fetch {url}: {host} resolves to the non-public address "
                        f"{ip}; the operator can allow it with --allow-url-host {host}"
                    )
        address = addresses[0]
        netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        pinned = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
        headers = {"Host": parts.netloc.rpartition("@")[2]}
        return self._http_client().build_request(
            "GET", pinned, headers=headers, extensions={"sni_hostname": host}
        )

    async def save_chunks(self, name: str | None, chunks: AsyncIterator[bytes]) -> str:
        """Write ``chunks`` to a new stored file, refusing (and removing) it past the limit."""
        path = self.new_path(name)
        size = 0
        try:
            with open(path, "wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_file_size:
                        raise InputError(self._too_large())
                    f.write(chunk)
        except BaseException:
            # Refused, failed or cancelled (a fetch past its deadline): nothing stays behind.
            self.discard(path)
            raise
        return self.register(path)

    async def _save_stream(self, response: httpx.Response, name: str) -> str:
        declared = response.headers.get("content-length")
        try:
            if declared is not None and declared.isdigit() and int(declared) > self.max_file_size:
                raise InputError(self._too_large())
            return await self.save_chunks(name, response.aiter_bytes())
        except InputError as error:
            raise InputError(f"fetching {response.url}: {error}") from None
