"""Roadmaps, learning paths, the skill matrix, the question bank and papers, as validated data."""

from content.loader import ContentError, load_catalog
from content.schema import Catalog

__all__ = ["Catalog", "ContentError", "load_catalog"]
