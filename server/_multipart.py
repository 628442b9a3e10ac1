"""``POST /upload``: a multipart body parsed as it arrives, each file written straight into
the file store.

Nothing is spooled elsewhere first: a file passing ``--max-file-size`` is refused the moment
it does, without reading the rest, and a refused or broken upload leaves none of its files
(nor their folders) behind. Only file fields named ``files`` are kept, as Gradio does; other
fields are read past and dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from ._exceptions import InputError
from ._files import FileStore

__all__ = ["MultipartError", "save_multipart"]

#: Files one upload may hold (Starlette's default for forms).
MAX_FILES = 1000
#: Bytes of one part's headers: more is not a form, it is an attack.
_MAX_HEADERS = 16 * 1024


class MultipartError(ValueError):
    """The body is not a usable multipart/form-data body."""


class _Parts:
    """The parser's callbacks: the current part's headers, then its file, if it is one."""

    def __init__(self, files: FileStore) -> None:
        self.files = files
        self.stored: list[str] = []
        self._header_name = b""
        self._header_value = b""
        self._header_bytes = 0
        self._disposition = b""
        self._file: IO[bytes] | None = None
        self._size = 0

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._header_bytes = 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > _MAX_HEADERS:
            raise MultipartError(f"a part's headers are longer than {_MAX_HEADERS} bytes")

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if options.get(b"name") != b"files" or b"filename" not in options:
            return  # not a file of the upload: its data is read past
        if len(self.stored) >= MAX_FILES:
            raise InputError(f"more than {MAX_FILES} files in one upload")
        name = options[b"filename"].decode("utf-8", "replace")
        path = self.files.new_path(name)
        self.stored.append(path)
        self._file = open(path, "wb")  # noqa: SIM115 (closed at the part's end or on error)
        self._size = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None:
            return
        self._size += end - start
        if self._size > self.files.max_file_size:
            raise InputError(f"file is larger than the limit of {self.files.max_file_size} bytes")
        self._file.write(data[start:end])

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self.files.register(self.stored[-1])

    def abandon(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        for path in self.stored:
            self.files.discard(path)


async def save_multipart(
    files: FileStore, content_type: str, chunks: AsyncIterator[bytes]
) -> list[str]:
    """The stored paths of the ``files`` fields of a multipart body read from ``chunks``.

    ``InputError`` past a limit, ``MultipartError`` for a body that is not multipart; either
    way (and if the client goes away) every file stored from this body is removed."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise MultipartError("not a multipart/form-data body with a boundary")
    parts = _Parts(files)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": parts.on_part_begin,
            "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value,
            "on_header_end": parts.on_header_end,
            "on_headers_finished": parts.on_headers_finished,
            "on_part_data": parts.on_part_data,
            "on_part_end": parts.on_part_end,
        },
    )
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except FormParserError as error:
        parts.abandon()
        raise MultipartError(f"invalid multipart data ({error})") from None
    except BaseException:
        parts.abandon()
        raise
    return parts.stored
