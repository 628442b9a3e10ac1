"""/image: an image file in, a sepia-toned image file out (FileData), like Gradio's image-mod
demo. Reads 8-bit PNG images of at most ``_png.MAX_PIXELS`` pixels (see ``_png.py``); other
formats, larger images and corrupt files get a clear error. The result is written with
``server.output_path``, inside the server's own temporary folder (deleted when it stops)."""

from __future__ import annotations

from server import App, Error, Image, output_path

from . import _png

app = App("Sepia filter")


def _sepia(picture: _png.Picture) -> _png.Picture:
    step = picture.channels
    rows = []
    for row in picture.rows:
        out = bytearray(row)
        for i in range(0, len(row), step):
            r, g, b = row[i], row[i + 1], row[i + 2]
            out[i] = min(255, int(0.393 * r + 0.769 * g + 0.189 * b))
            out[i + 1] = min(255, int(0.349 * r + 0.686 * g + 0.168 * b))
            out[i + 2] = min(255, int(0.272 * r + 0.534 * g + 0.131 * b))
        rows.append(out)
    return _png.Picture(picture.width, picture.height, picture.channels, rows)


@app.api("image", inputs=[Image()], outputs=[Image()])
def sepia(image: str) -> str:
    """Apply a sepia filter to a PNG image."""
    if image is None:  # (a client may send null for an Image)
        raise Error("No image was given: send a PNG (upload it, or pass a URL).")
    try:
        with open(image, "rb") as f:
            picture = _png.decode(f.read())  # the header is checked before any decoding
    except (_png.PNGError, ValueError) as error:
        raise Error(f"The image demo reads 8-bit PNG files: {error}") from None
    path = output_path("sepia.png")
    with open(path, "wb") as f:
        f.write(_png.encode(_sepia(picture)))
    return path
