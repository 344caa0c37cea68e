"""docs/images/ shows what the code draws: `make docs-images` would leave them unchanged."""

from __future__ import annotations

from pathlib import Path

from bot.core.pictures.samples import write_docs_images

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_docs_images_are_current_and_shown_in_the_docs(tmp_path):
    page = (DOCS / "images.md").read_text(encoding="utf-8")
    for drawn in write_docs_images(tmp_path):
        committed = DOCS / "images" / drawn.name
        assert committed.read_bytes() == drawn.read_bytes(), f"run make docs-images ({drawn.name})"
        assert f"(images/{drawn.name})" in page
