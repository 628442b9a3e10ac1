"""Just enough PNG to read and write 8-bit images without Pillow (the demos stay dependency-free).

Reads non-interlaced 8-bit grayscale, RGB, palette, gray+alpha and RGBA images; writes RGB
or RGBA. Pixels are rows of bytes, ``channels`` bytes a pixel.

Decoding is pure Python (about a second per megapixel), so ``decode`` refuses an image
whose header declares more than ``max_pixels`` before it decompresses anything, never
inflates more than the header's size implies, and reports truncated or corrupt data as a
``PNGError`` that says so.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: The largest image ``decode`` accepts by default: one megapixel.
MAX_PIXELS = 1_000_000


class PNGError(ValueError):
    pass


@dataclass
class Picture:
    width: int
    height: int
    channels: int  # 3 (RGB) or 4 (RGBA)
    rows: list[bytearray]


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file")
    chunks, offset = [], len(SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride = width * bpp
    rows: list[bytearray] = []
    previous = bytearray(stride)
    offset = 0
    for _ in range(height):
        kind = raw[offset]
        row = bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                up_left = previous[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + _paeth(left, up, up_left)) & 0xFF
            elif kind != 0:
                raise PNGError(f"unknown filter type {kind}")
        rows.append(row)
        previous = row
    return rows


def header(data: bytes) -> tuple[int, int, int, int, int]:
    """(width, height, bit depth, colour type, interlace) from the IHDR chunk, which the PNG
    format puts first: readable from the first 33 bytes."""
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file")
    ihdr = data[len(SIGNATURE) : len(SIGNATURE) + 25]
    if len(ihdr) < 25 or ihdr[4:8] != b"IHDR" or ihdr[:4] != b"\x00\x00\x00\x0d":
        raise PNGError("the PNG data is truncated or corrupt: no IHDR chunk at its start")
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", ihdr[8:21])
    return width, height, depth, color, interlace


def decode(data: bytes, max_pixels: int = MAX_PIXELS) -> Picture:
    width, height, depth, color, interlace = header(data)
    if width == 0 or height == 0:
        raise PNGError(f"the PNG declares an empty image ({width}x{height})")
    if width * height > max_pixels:
        raise PNGError(
            f"the image is {width}x{height} pixels ({width * height:,}); "
            f"at most {max_pixels:,} pixels are accepted"
        )
    if depth != 8 or color not in _CHANNELS or interlace:
        raise PNGError("only non-interlaced 8-bit PNG images are supported")
    chunks = _chunks(data)
    bpp = _CHANNELS[color]
    expected = height * (1 + width * bpp)
    inflater = zlib.decompressobj()
    try:
        # Never more than the header implies: a small file cannot inflate to gigabytes.
        raw = inflater.decompress(
            b"".join(body for kind, body in chunks if kind == b"IDAT"), expected + 1
        )
    except zlib.error as error:
        raise PNGError(f"the PNG data is truncated or corrupt ({error})") from None
    if len(raw) != expected:
        raise PNGError(
            f"the PNG data is truncated or corrupt: {len(raw)} bytes of pixels where a "
            f"{width}x{height} image has {expected}"
        )
    rows = _unfilter(raw, width, height, bpp)
    if color == 0:  # gray → RGB
        rows = [bytearray(b for v in row for b in (v, v, v)) for row in rows]
    elif color == 4:  # gray+alpha → RGBA
        rows = [
            bytearray(
                b for i in range(0, len(row), 2) for b in (row[i], row[i], row[i], row[i + 1])
            )
            for row in rows
        ]
    elif color == 3:  # palette → RGB
        palette = next((body for kind, body in chunks if kind == b"PLTE"), b"")
        if max((max(row) for row in rows), default=0) >= len(palette) // 3:
            raise PNGError("the PNG's palette is missing or too short for its pixels")
        rows = [bytearray(b for v in row for b in palette[3 * v : 3 * v + 3]) for row in rows]
    return Picture(width, height, 4 if color in (4, 6) else 3, rows)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def encode(picture: Picture) -> bytes:
    color = 6 if picture.channels == 4 else 2
    header = struct.pack(">IIBBBBB", picture.width, picture.height, 8, color, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(row) for row in picture.rows)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def solid(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A one-colour RGB PNG (handy in tests and examples)."""
    row = bytearray(bytes(rgb) * width)
    return encode(Picture(width, height, 3, [bytearray(row) for _ in range(height)]))
