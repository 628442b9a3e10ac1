"""The JSON schema each Gradio version gives a file component's value (FileData) in ``/config``
and ``/info``, as captured from real Gradio (``tests/reference/gradio-*/config.json``).

They differ in ways clients notice: gradio_client 1.3.0 (Gradio 4.44) reads ``meta`` and fails
with ``TypeError: argument of type 'bool' is not iterable`` on ``"additionalProperties": true``,
which only Gradio 5 and 6 send (for Image; File refers to a ``FileDataMeta`` definition there).
"""

from __future__ import annotations

from typing import Any

__all__ = ["file_schema"]

#: The docstring of Gradio's FileData, which Gradio 5 and 6 send as File's description.
FILE_DATA_DOC = (
    "The FileData class is a subclass of the GradioModel class that represents a file object "
    "within a Gradio interface. It is used to store file data and metadata when a file is "
    "uploaded.\n\nAttributes:\n    path: The server file path where the file is stored.\n"
    "    url: The normalized server URL pointing to the file.\n"
    "    size: The size of the file in bytes.\n"
    "    orig_name: The original filename before upload.\n"
    "    mime_type: The MIME type of the file.\n"
    "    is_stream: Indicates whether the file is a stream.\n"
    "    meta: Additional metadata used internally (should not be changed)."
)
#: Image's ``additional_description`` in each version.
_IMAGE_NOTE = {
    5: "For input, either path or url must be provided. For output, path is always provided.",
    6: "A local filepath or publicly available URL.",
}


def _optional(kind: str, title: str, description: str | None = None) -> dict[str, Any]:
    field: dict[str, Any] = {"anyOf": [{"type": kind}, {"type": "null"}], "default": None}
    if description is not None:
        field["description"] = description
    field["title"] = title
    return field


def _plain(meta: dict[str, Any]) -> dict[str, Any]:
    """FileData as pydantic describes it: ``path`` required, no descriptions."""
    return {
        "properties": {
            "path": {"title": "Path", "type": "string"},
            "url": _optional("string", "Url"),
            "size": _optional("integer", "Size"),
            "orig_name": _optional("string", "Orig Name"),
            "mime_type": _optional("string", "Mime Type"),
            "is_stream": {"default": False, "title": "Is Stream", "type": "boolean"},
            "meta": meta,
        },
        "required": ["path"],
        "title": "FileData",
        "type": "object",
    }


def _image_data(major: int) -> dict[str, Any]:
    """Gradio 5 and 6's ImageData: every field optional, with descriptions."""
    return {
        "properties": {
            "path": _optional("string", "Path", "Path to a local file"),
            "url": _optional("string", "Url", "Publicly available url or base64 encoded image"),
            "size": _optional("integer", "Size", "Size of image in bytes"),
            "orig_name": _optional("string", "Orig Name", "Original filename"),
            "mime_type": _optional("string", "Mime Type", "mime type of image"),
            "is_stream": {
                "default": False,
                "description": "Can always be set to False",
                "title": "Is Stream",
                "type": "boolean",
            },
            "meta": {
                "additionalProperties": True,
                "default": {"_type": "gradio.FileData"},
                "title": "Meta",
                "type": "object",
            },
        },
        "title": "ImageData",
        "type": "object",
        "additional_description": _IMAGE_NOTE[major],
    }


def file_schema(kind: str, major: int) -> dict[str, Any]:
    """The schema of a ``kind`` ("file" or "image") component's value in Gradio ``major``."""
    if major == 4:
        # Gradio 4.44.1 (pydantic < 2.10): the same FileData for File and Image.
        return _plain({"default": {"_type": "gradio.FileData"}, "title": "Meta", "type": "object"})
    if kind == "image":
        return _image_data(major)
    meta_type = {
        "properties": {"_type": {"const": "gradio.FileData", "title": "Type", "type": "string"}},
        "required": ["_type"],
        "title": "FileDataMeta",
        "type": "object",
    }
    return {
        "$defs": {"FileDataMeta": meta_type},
        **_plain({"$ref": "#/$defs/FileDataMeta"}),
        "additional_description": FILE_DATA_DOC,
    }
