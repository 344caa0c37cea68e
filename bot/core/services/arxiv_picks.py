"""The core side of the optional live arXiv source: which cached preprints count as
"new this week" for a member. Fetching lives in `bot.papers_live`; the core only
reads the `arxiv_entries` cache, so with the live source off (or failing) nothing
here shows up and members get the curated catalogue alone.

arXiv announces new submissions Monday to Friday and nothing at weekends, so the
window is anchored on the last announcement weekday: on a Saturday or Sunday it
still covers the week that just ended instead of shrinking to nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ArxivEntry

WINDOW_DAYS = 7

TRACK_CATEGORIES: dict[str, tuple[str, ...]] = {
    "ml-engineer": ("cs.LG",),
    "ai-data-scientist": ("cs.LG",),
    "mlops": ("cs.LG",),
    "ai-engineer": ("cs.CL", "cs.LG"),
    "prompt-engineering": ("cs.CL",),
    "ai-agents": ("cs.AI", "cs.CL"),
    "ai-red-teaming": ("cs.CR",),
}


def is_announcement_day(day: date) -> bool:
    return day.weekday() < 5


def last_announcement_day(now: datetime) -> date:
    """Today on a weekday, the Friday before on a weekend (UTC)."""
    day = now.astimezone(UTC).date()
    while not is_announcement_day(day):
        day -= timedelta(days=1)
    return day


def new_window(now: datetime) -> tuple[datetime, datetime]:
    """[start, now]: the seven days up to the last announcement day, widened over the weekend."""
    start_day = last_announcement_day(now) - timedelta(days=WINDOW_DAYS)
    return datetime.combine(start_day, time(0, 0), UTC), now


def categories_for(tracks: list[str]) -> list[str]:
    """The arXiv categories a member's tracks read from, most relevant first."""
    out: list[str] = []
    for track in tracks:
        for cat in TRACK_CATEGORIES.get(track, ()):
            if cat not in out:
                out.append(cat)
    return out


def paper_id(entry: ArxivEntry) -> str:
    return f"arxiv:{entry.arxiv_id}"


async def new_this_week(
    session: AsyncSession, now: datetime, tracks: list[str], exclude: set[str] = frozenset()
) -> list[ArxivEntry]:
    """Cached preprints published in the window that match the tracks, newest first."""
    start, end = new_window(now)
    stmt = (
        select(ArxivEntry)
        .where(ArxivEntry.published_at >= start, ArxivEntry.published_at <= end)
        .order_by(ArxivEntry.published_at.desc(), ArxivEntry.arxiv_id)
    )
    wanted = categories_for(tracks)
    rows = [e for e in (await session.execute(stmt)).scalars() if paper_id(e) not in exclude]
    if not wanted:
        return rows

    def rank(e: ArxivEntry) -> int:
        cats = list(e.categories or [])
        primary = cats[0] if cats else ""
        return wanted.index(primary) if primary in wanted else len(wanted)

    matching = [e for e in rows if set(e.categories or []) & set(wanted)]
    return sorted(matching, key=rank)


async def entry(session: AsyncSession, pid: str) -> ArxivEntry | None:
    kind, _, ref = pid.partition(":")
    if kind != "arxiv" or not ref:
        return None
    return await session.get(ArxivEntry, ref)
