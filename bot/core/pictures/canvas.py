"""What every picture shares: the palette, the shipped font, and a deterministic PNG encoder.

The pictures sit on an opaque card of their own, so they read the same on a light and a dark
chat theme; every colour pair below keeps text and marks well apart from the card.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
REGULAR = FONT_DIR / "Lato-Regular.ttf"
BOLD = FONT_DIR / "Lato-Bold.ttf"

RGB = tuple[int, int, int]

CARD: RGB = (24, 28, 36)
BORDER: RGB = (58, 65, 80)
TEXT: RGB = (232, 236, 242)
MUTED: RGB = (156, 164, 178)
GRID: RGB = (50, 56, 68)
EMPTY: RGB = (44, 50, 62)
# Study minutes, light to heavy (GitHub's dark ramp, which also reads on white).
RAMP: tuple[RGB, ...] = ((22, 84, 48), (28, 130, 62), (46, 180, 78), (120, 232, 132))
FREEZE: RGB = (56, 139, 253)
PAUSED: RGB = (120, 104, 176)
GREEN: RGB = (57, 211, 83)
BLUE: RGB = (88, 166, 255)
AMBER: RGB = (240, 180, 60)
GREY: RGB = (125, 133, 148)


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


@lru_cache(maxsize=4096)
def _mask(words: str, size: int, bold: bool) -> tuple[Image.Image, int, int]:
    """A label drawn once as an alpha mask: axis words, names and numbers recur from picture to
    picture, and drawing text is most of a picture's cost."""
    f = font(size, bold)
    left, top, right, bottom = f.getbbox(words)
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), words, font=f, fill=255)
    return mask, left, top


def text(
    img: Image.Image, xy: tuple[float, float], words: str, size: int, colour: RGB, bold: bool = False
) -> None:
    """Like ImageDraw.text at `xy` (left, ascender), from the mask cache."""
    if not words:
        return
    mask, left, top = _mask(words, size, bold)
    img.paste(colour, (round(xy[0]) + left, round(xy[1]) + top), mask)


def card(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (width, height), CARD)
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=12, outline=BORDER, width=2)
    return img, draw


def text_width(text: str, size: int, bold: bool = False) -> float:
    return font(size, bold).getlength(text)


def fit(text: str, size: int, width: float, bold: bool = False) -> str:
    """`text`, cut with an ellipsis so it fits `width` pixels."""
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def dashed(
    draw: ImageDraw.ImageDraw,
    a: tuple[float, float],
    b: tuple[float, float],
    colour: RGB,
    width: int = 2,
    dash: float = 7,
    gap: float = 5,
) -> None:
    (x0, y0), (x1, y1) = a, b
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    if length == 0:
        return
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    t = 0.0
    while t < length:
        end = min(length, t + dash)
        draw.line((x0 + ux * t, y0 + uy * t, x0 + ux * end, y0 + uy * end), fill=colour, width=width)
        t = end + gap


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(img: Image.Image) -> bytes:
    """PNG bytes with no timestamp or other metadata, so equal pictures are equal bytes.

    Encoded here rather than by Pillow's PNG plugin, which holds the GIL for the whole encode
    (4-8 ms, a stall of the event loop's thread): `zlib.compress` releases it. Rows are stored
    unfiltered, which suits flat colours: smaller than Pillow's adaptive filters at the same level.
    """
    rgb = img.convert("RGB")
    width, height = rgb.size
    raw = rgb.tobytes()
    stride = width * 3
    rows = b"".join(b"\x00" + raw[i : i + stride] for i in range(0, len(raw), stride))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 3))
        + _chunk(b"IEND", b"")
    )
