"""Parsing arXiv API Atom responses into plain records, with one record per paper.

arXiv ids come as `http://arxiv.org/abs/2411.01234v2`; the base id (no version) is the
key, so new versions and cross-listings in several categories collapse into one.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from xml.sax import SAXException

import feedparser

_ID = re.compile(r"arxiv\.org/abs/(?P<base>(\d{4}\.\d{4,5})|([a-z\-]+(\.[A-Z]{2})?/\d{7}))(v(?P<v>\d+))?$")


class FeedError(Exception):
    """The response was not a usable arXiv feed."""


@dataclass(frozen=True, slots=True)
class ArxivRecord:
    arxiv_id: str
    version: int
    title: str
    authors: tuple[str, ...]
    summary: str
    categories: tuple[str, ...]
    published_at: datetime


def split_id(raw: str) -> tuple[str, int] | None:
    """('2411.01234', 2) from 'http://arxiv.org/abs/2411.01234v2'; None if it isn't one."""
    m = _ID.search(raw.strip())
    if m is None:
        return None
    return m.group("base"), int(m.group("v") or 1)


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _when(entry: feedparser.FeedParserDict) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _categories(entry: feedparser.FeedParserDict) -> tuple[str, ...]:
    out: list[str] = []
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    if primary:
        out.append(primary)
    for tag in entry.get("tags") or ():
        term = tag.get("term")
        if term and term not in out:
            out.append(term)
    return tuple(out)


def parse(body: bytes) -> list[ArxivRecord]:
    """Records in feed order; raises FeedError on a malformed, empty or error feed."""
    doc = feedparser.parse(body)
    entries = doc.get("entries") or []
    # A truncated or broken document is rejected whole, even if some entries parsed.
    if doc.get("bozo") and isinstance(doc.get("bozo_exception"), SAXException):
        raise FeedError(f"malformed feed: {type(doc.get('bozo_exception')).__name__}")
    if doc.get("version", "") != "atom10":
        raise FeedError("not an Atom feed")
    if not entries:
        raise FeedError("empty feed")
    records: list[ArxivRecord] = []
    for entry in entries:
        raw_id = entry.get("id", "")
        if "/api/errors" in raw_id:
            raise FeedError(f"arXiv API error: {_clean(entry.get('summary', ''))[:200]}")
        ident = split_id(raw_id)
        when = _when(entry)
        title = _clean(entry.get("title", ""))
        if ident is None or when is None or not title:
            continue
        records.append(
            ArxivRecord(
                arxiv_id=ident[0],
                version=ident[1],
                title=title,
                authors=tuple(_clean(a.get("name", "")) for a in entry.get("authors") or () if a.get("name")),
                summary=_clean(entry.get("summary", "")),
                categories=_categories(entry),
                published_at=when,
            )
        )
    if not records:
        raise FeedError("feed had entries but none were arXiv papers")
    return records


def merge(batches: Iterable[list[ArxivRecord]]) -> list[ArxivRecord]:
    """One record per base id: the highest version, with every category seen in any listing."""
    best: dict[str, ArxivRecord] = {}
    cats: dict[str, list[str]] = {}
    for batch in batches:
        for rec in batch:
            seen = cats.setdefault(rec.arxiv_id, [])
            seen.extend(c for c in rec.categories if c not in seen)
            current = best.get(rec.arxiv_id)
            if current is None or rec.version > current.version:
                best[rec.arxiv_id] = rec
    return [
        replace(rec, categories=(*rec.categories, *(c for c in cats[aid] if c not in rec.categories)))
        for aid, rec in best.items()
    ]
