"""A reply's pictures in the terminal: each PNG is written under ./data/images/ (named by its
content, so showing the same picture twice writes one file) and its path and alt text printed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.core.replies import Image

IMAGES_DIR = Path("data") / "images"


def save(images: tuple[Image, ...], folder: Path = IMAGES_DIR) -> list[tuple[Path, Image]]:
    """Write the drawn pictures (blocking: run it in a worker thread)."""
    drawn = [i for i in images if i.png]
    if not drawn:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for image in drawn:
        stem = Path(image.filename).stem
        path = folder / f"{stem}-{hashlib.sha256(image.png).hexdigest()[:12]}.png"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(image.png)
            tmp.replace(path)
        out.append((path, image))
    return out
