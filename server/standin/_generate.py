"""Values a spec's endpoint answers when no example matches: valid for each return's JSON
schema (the shapes Gradio uses: string, number, integer, boolean, null, enum, array, object
with properties, anyOf/oneOf, ``$ref`` to ``$defs``), and the same for the same seed and
inputs. A top-level FileData return becomes a small valid file of its kind (a PNG for an
Image, a WAV for Audio, text otherwise); FileData nested inside other values is left empty
(null, or an empty list of items that hold files), since it would name a file that does not
exist.
"""

from __future__ import annotations

import random
import struct
import zlib
from typing import Any

__all__ = ["generate_file", "generate_value", "is_file_schema"]

_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
_MAX_DEPTH = 6


def is_file_schema(schema: Any) -> bool:
    """A FileData (or ImageData) schema: an object with ``path``, ``url`` and ``orig_name``."""
    if not isinstance(schema, dict):
        return False
    properties = schema.get("properties")
    return isinstance(properties, dict) and {"path", "url", "orig_name"} <= set(properties)


def generate_value(schema: Any, rng: random.Random) -> Any:
    return _value(schema, rng, schema if isinstance(schema, dict) else {}, 0)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}
    return schema


def _value(schema: Any, rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    choices = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(choices, list) and choices:
        resolved = [_resolve(c, root) if isinstance(c, dict) else {} for c in choices]
        files = [c for c in resolved if is_file_schema(c)]
        if files and any(c.get("type") == "null" for c in resolved):
            return None  # a nested file: no file to name
        concrete = [c for c in resolved if c.get("type") != "null"] or resolved
        return _value(rng.choice(concrete), rng, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if is_file_schema(schema):
        return None
    if kind == "string":
        return _string(schema, rng)
    if kind == "integer":
        return rng.randint(*_bounds(schema, 0, 100))
    if kind == "number":
        low, high = _bounds(schema, 0, 100)
        return round(rng.uniform(low, high), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "array":
        return _array(schema, rng, root, depth)
    if kind == "object" or isinstance(schema.get("properties"), dict):
        properties = schema.get("properties") or {}
        value = {}
        for name, sub in properties.items():
            required = name in schema.get("required", [])
            if isinstance(sub, dict) and "default" in sub and not required:
                value[name] = sub["default"]
            else:
                value[name] = _value(sub, rng, root, depth + 1)
        return value
    # {} or {"type": {}} (Gradio's "any valid json"): a small object.
    return {rng.choice(_WORDS): rng.randint(0, 9)}


def _needs_file(schema: dict[str, Any], root: dict[str, Any], depth: int) -> bool:
    """A file, or an object one of whose properties must be a file (null not allowed)."""
    schema = _resolve(schema, root)
    if is_file_schema(schema):
        return True
    choices = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(choices, list) and choices and depth <= _MAX_DEPTH:
        # Every choice holds a file (a gallery item: an image or a video, with a caption).
        return all(isinstance(c, dict) and _needs_file(c, root, depth + 1) for c in choices)
    properties = schema.get("properties")
    if depth > _MAX_DEPTH or not isinstance(properties, dict):
        return False
    return any(
        isinstance(sub, dict) and _needs_file(sub, root, depth + 1) for sub in properties.values()
    )


def _bounds(schema: dict[str, Any], low: int, high: int) -> tuple[int, int]:
    minimum = schema.get("minimum", low)
    maximum = schema.get("maximum", max(high, minimum if isinstance(minimum, int) else high))
    try:
        lo, hi = int(minimum), int(maximum)
    except (TypeError, ValueError, OverflowError):
        lo, hi = low, high
    return (lo, hi) if lo <= hi else (hi, lo)


def _string(schema: dict[str, Any], rng: random.Random) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(3))
    minimum = schema.get("minLength", 0)
    maximum = schema.get("maxLength")
    if isinstance(minimum, int) and len(text) < minimum:
        text = text + "x" * (minimum - len(text))
    if isinstance(maximum, int):
        text = text[:maximum]
    return text


def _array(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list):  # a tuple
        return [_value(item, rng, root, depth + 1) for item in prefix]
    raw_items = schema.get("items")
    items = _resolve(raw_items, root) if isinstance(raw_items, dict) else {}
    minimum = schema.get("minItems", 0)
    minimum = minimum if isinstance(minimum, int) and minimum >= 0 else 0
    if _needs_file(items, root, depth):  # a gallery: no file to name, so no items
        return [] if minimum == 0 else [None] * minimum
    count = max(minimum, 2)
    maximum = schema.get("maxItems")
    if isinstance(maximum, int):
        count = min(count, maximum)
    return [_value(items, rng, root, depth + 1) for _ in range(count)]


# -- files --------------------------------------------------------------------------------


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _wav(rng: random.Random, samples: int = 800, rate: int = 8000) -> bytes:
    """A tenth of a second of 8-bit mono noise."""
    data = bytes(rng.randrange(112, 144) for _ in range(samples))
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def generate_file(kind: str, rng: random.Random) -> tuple[str, bytes]:
    """A file name and bytes for a file output of ``kind`` (/config's type)."""
    if kind in ("image", "imageeditor", "annotatedimage"):
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        return "generated.png", _png(4, 4, colour)
    if kind == "audio":
        return "generated.wav", _wav(rng)
    words = " ".join(rng.choice(_WORDS) for _ in range(8))
    return "generated.txt", f"gradio-mock generated file: {words}\n".encode()
