"""/paper and the weekly paper: a paper matched to the member's track and level,
never one they have already been sent, read, saved or passed.

The level is the member's assessed level in the skill areas their track teaches
(falling back to their overall level), so picks move up as they reassess higher.
When the live arXiv source has cached this week's preprints, a "New this week"
pick is offered alongside the curated one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.call import Call
from bot.core.community import milestones
from bot.core.display import day
from bot.core.errors import UserError
from bot.core.replies import Button, Card, Field, Reply
from bot.core.services import arxiv_picks
from bot.core.services import levels as levels_service
from bot.core.text import shorten
from content.schema import Catalog, Paper
from storage import repo
from storage.models import ArxivEntry, Member, MemberPaper

LEVEL_NAMES = {1: "approachable", 2: "intermediate", 3: "demanding"}
REMOVED = "removed from catalogue"


async def tracks_of(session: AsyncSession, catalog: Catalog, member_id: int) -> list[str]:
    """Roadmap ids the member's active plan follows, the one they are studying now first."""
    plan = await repo.active_plan(session, member_id)
    if plan is None:
        return []
    if plan.kind == "roadmap":
        return [plan.ref_id] if plan.ref_id in catalog.roadmaps else []
    path = catalog.paths.get(plan.ref_id)
    if path is None:
        return []
    seen: list[str] = []
    for phase in path.phases:
        for ref in phase.topics:
            rid = ref.partition("/")[0]
            if rid not in seen:
                seen.append(rid)
    items = await repo.plan_items(session, plan.id)
    current = next((i.roadmap_id for i in items if i.state in ("learning", "todo")), None)
    if current in seen:
        seen.remove(current)
        seen.insert(0, current)
    return seen


async def member_tracks(call: Call, member: Member) -> list[str]:
    return await tracks_of(call.session, call.catalog, member.id)


def track_level(catalog: Catalog, tracks: list[str], levels: dict[str, int]) -> int:
    """1-3: the mean assessed level over the skill areas the tracks teach, else overall."""
    areas = {t.area for rid in tracks if rid in catalog.roadmaps for t in catalog.roadmaps[rid].topics}
    relevant = {a: lvl for a, lvl in levels.items() if a in areas}
    return levels_service.overall_level(relevant or levels)


async def level_of(session: AsyncSession, catalog: Catalog, member_id: int, tracks: list[str]) -> int:
    return track_level(catalog, tracks, await levels_service.current_levels(session, member_id))


def _level_order(level: int) -> tuple[int, ...]:
    """The member's level, then easier ones (closest first), then harder ones."""
    easier = tuple(range(level - 1, 0, -1))
    harder = tuple(range(level + 1, 4))
    return (level, *easier, *harder)


def choose(catalog: Catalog, tracks: list[str], level: int, exclude: set[str]) -> Paper | None:
    """Best fit: on the current track at the member's level, then the plan's other tracks,
    then easier, then harder, then any track. Within a fit, oldest classic first."""
    pool = [p for p in catalog.papers.values() if p.id not in exclude]
    groups: list[list[Paper]] = []
    for track in tracks:
        groups.append([p for p in pool if track in p.tracks])
    groups.append(pool)
    for lvl in _level_order(level):
        for candidates in groups[:-1] if tracks else ():
            fits = [p for p in candidates if p.level == lvl]
            if fits:
                return sorted(fits, key=lambda p: (p.year, p.id))[0]
    for lvl in _level_order(level):
        fits = [p for p in groups[-1] if p.level == lvl]
        if fits:
            return sorted(fits, key=lambda p: (p.year, p.id))[0]
    return None


async def history(call: Call, member_id: int) -> dict[str, MemberPaper]:
    return await history_of(call.session, member_id)


async def history_of(session: AsyncSession, member_id: int) -> dict[str, MemberPaper]:
    rows = (await session.execute(select(MemberPaper).where(MemberPaper.member_id == member_id))).scalars()
    return {r.paper_id: r for r in rows}


async def pick_for(call: Call, member: Member) -> Paper | None:
    """Choose and record the member's next paper (status 'sent')."""
    seen = await history(call, member.id)
    tracks = await member_tracks(call, member)
    level = await level_of(call.session, call.catalog, member.id, tracks)
    paper = choose(call.catalog, tracks, level, set(seen))
    if paper is not None:
        call.session.add(
            MemberPaper(
                member_id=member.id,
                paper_id=paper.id,
                status="sent",
                source="catalog",
                sent_at=call.now(),
                updated_at=call.now(),
            )
        )
        await call.session.flush()
    return paper


def paper_card(paper: Paper, title_prefix: str = "") -> Card:
    questions = "\n".join(f"• {q}" for q in paper.questions)
    authors = ", ".join(paper.authors)
    return Card(
        title=shorten(f"{title_prefix}{paper.title}", 250),
        body=f"{paper.why}\n\n**Questions to think about**\n{questions}",
        fields=(
            Field("Authors", shorten(authors, 200), inline=False),
            Field("Year", str(paper.year)),
            Field("Level", LEVEL_NAMES[paper.level]),
            Field("Reading time", f"about {paper.minutes} min"),
        ),
        url=paper.link,
    )


def paper_buttons(paper_id: str, link: str, *, next_action: str | None = None) -> tuple[Button, ...]:
    return (
        Button("Read it", f"paper:read:{paper_id}", "success"),
        Button("Save for later", f"paper:save:{paper_id}"),
        Button("Another one, please", next_action or f"paper:next:{paper_id}"),
        Button("Open paper", url=link),
    )


async def _new_this_week(call: Call, member: Member, seen: set[str]) -> list[ArxivEntry]:
    return await arxiv_picks.new_this_week(
        call.session, call.now(), await member_tracks(call, member), exclude=seen
    )


async def _curated_reply(call: Call, member: Member, paper: Paper, text: str = "") -> Reply:
    buttons = paper_buttons(paper.id, paper.link)
    fresh = await _new_this_week(call, member, set(await history(call, member.id)))
    footer = ""
    if fresh:
        buttons = (*buttons, Button("New this week", "paper:new", "primary"))
        n = len(fresh)
        footer = f"{n} new preprint{'s' if n != 1 else ''} in your areas on arXiv this week"
    card = paper_card(paper, "📄 ")
    if footer:
        card = replace(card, footer=footer)
    return Reply(text=text, cards=(card,), buttons=buttons)


async def weekly_paper_reply(call: Call, member: Member) -> Reply | None:
    """The member's paper of the week (recorded as 'sent'), or None when none is left.

    The scheduler calls this for the member 'paper' stream and delivers the reply by DM.
    """
    paper = await pick_for(call, member)
    if paper is None:
        return None
    return await _curated_reply(call, member, paper, text="Your paper for this week")


AGAIN = "Your paper for this week, again. For a different one, press **Another one, please**."


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def this_weeks_paper(call: Call, member: Member) -> MemberPaper | None:
    """The paper last handed to the member in their current local week, still unanswered."""
    tz = call.tz(member)
    week = call.today(member).isocalendar()[:2]
    rows = [
        r
        for r in (await history(call, member.id)).values()
        if r.status == "sent"
        and r.sent_at is not None
        and _aware(r.sent_at).astimezone(tz).date().isocalendar()[:2] == week
    ]
    return max(rows, key=lambda r: _aware(r.sent_at), default=None)


async def _show_again(call: Call, member: Member, row: MemberPaper) -> Reply | None:
    paper = call.catalog.papers.get(row.paper_id)
    if paper is not None:
        return await _curated_reply(call, member, paper, text=AGAIN)
    e = await arxiv_picks.entry(call.session, row.paper_id)
    if e is None:
        return None
    link = f"https://arxiv.org/abs/{e.arxiv_id}"
    buttons = paper_buttons(row.paper_id, link, next_action=f"paper:new:{row.paper_id}")
    return Reply(text=AGAIN, cards=(_arxiv_card(e),), buttons=buttons)


async def paper_command(call: Call) -> Reply:
    """This week's paper; the same one again on every call until the member asks for another."""
    member = await call.member()
    current = await this_weeks_paper(call, member)
    if current is not None and (again := await _show_again(call, member, current)) is not None:
        return again
    return await another_paper(call, member)


async def another_paper(call: Call, member: Member) -> Reply:
    """Pick and record a new paper: only on an explicit request, or when the week has none yet."""
    paper = await pick_for(call, member)
    if paper is None:
        fresh = await _new_this_week(call, member, set(await history(call, member.id)))
        return Reply(
            cards=(
                Card(
                    title="You've read them all!",
                    body="You've been through every paper in the catalogue.",
                ),
            ),
            buttons=(Button("New this week", "paper:new", "primary"),) if fresh else (),
        )
    return await _curated_reply(call, member, paper)


def _arxiv_card(e: ArxivEntry) -> Card:
    authors = list(e.authors or [])
    shown = ", ".join(authors[:6]) + (", et al." if len(authors) > 6 else "")
    summary = " ".join((e.summary or "").split())
    if len(summary) > 900:
        summary = summary[:900].rsplit(" ", 1)[0] + "…"
    return Card(
        title=shorten(f"🆕 {' '.join(e.title.split())}", 250),
        body=f"{summary}\n\n_A fresh preprint: not peer reviewed yet, so read it with a critical eye._",
        fields=(
            Field("Authors", shorten(shown, 200) or "unknown", inline=False),
            Field("Categories", shorten(", ".join(e.categories or []), 100) or "—"),
            Field("Published", day(e.published_at)),
        ),
        url=f"https://arxiv.org/abs/{e.arxiv_id}",
    )


async def new_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    """A preprint from this week's arXiv listings in the member's areas."""
    member = await call.member()
    seen = await history(call, member.id)
    previous = ":".join(args)
    if previous and previous != "x":
        row = seen.get(previous)
        if row is not None and row.status == "sent":
            row.status = "passed"
            row.updated_at = call.now()
    fresh = await _new_this_week(call, member, set(seen))
    if not fresh:
        reply = await another_paper(call, member)
        return reply.with_notice(
            "Nothing new from arXiv in your areas this week, so here's one from my list."
        )
    e = fresh[0]
    pid = arxiv_picks.paper_id(e)
    call.session.add(
        MemberPaper(
            member_id=member.id,
            paper_id=pid,
            status="sent",
            source="arxiv",
            sent_at=call.now(),
            updated_at=call.now(),
        )
    )
    await call.session.flush()
    buttons = paper_buttons(pid, f"https://arxiv.org/abs/{e.arxiv_id}", next_action=f"paper:new:{pid}")
    return Reply(text="New on arXiv this week", cards=(_arxiv_card(e),), buttons=buttons)


def _paper_arg(call: Call, args: list[str]) -> str:
    pid = ":".join(args)
    if not pid:
        raise UserError("That paper button is broken. Run /paper for a fresh one.")
    return pid


async def _title(call: Call, pid: str) -> str | None:
    paper = call.catalog.papers.get(pid)
    if paper is not None:
        return paper.title
    e = await arxiv_picks.entry(call.session, pid)
    return " ".join(e.title.split()) if e is not None else None


async def _mark(call: Call, pid: str, status: str, rating: int | None = None) -> MemberPaper:
    member = await call.member()
    row = await call.session.get(MemberPaper, (member.id, pid))
    if row is None:
        source = "catalog"
        if pid not in call.catalog.papers:
            if await arxiv_picks.entry(call.session, pid) is None:
                raise UserError("That paper is no longer in the catalogue.")
            source = "arxiv"
        row = MemberPaper(
            member_id=member.id,
            paper_id=pid,
            status=status,
            source=source,
            sent_at=call.now(),
            updated_at=call.now(),
        )
        call.session.add(row)
    row.status = status
    if rating is not None:
        row.rating = rating
    row.updated_at = call.now()
    await call.session.flush()
    return row


async def read_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    pid = _paper_arg(call, args)
    await _mark(call, pid, "read")
    title = await _title(call, pid) or f"{pid} ({REMOVED})"
    rate = tuple(Button("★" * n, f"paper:rate:{pid}:{n}") for n in range(1, 6))
    reply = Reply(
        cards=(
            Card(
                title="Nice, marked as read",
                body=f"**{title}**\n\nHow was it? Rating is optional.",
                tone="success",
            ),
        ),
        buttons=rate,
    )
    member = await call.member()
    earned = await milestones.from_papers(call.session, member.id)
    return await milestones.celebrate(call, member, reply, earned)


async def rate_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    if len(args) < 2 or args[-1] not in {"1", "2", "3", "4", "5"}:
        raise UserError("Ratings go from 1 to 5.")
    pid = _paper_arg(call, args[:-1])
    await _mark(call, pid, "read", int(args[-1]))
    return Reply(cards=(Card(title=f"Rated {args[-1]}/5", body="Thanks! Run /paper for another."),))


async def save_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    pid = _paper_arg(call, args)
    await _mark(call, pid, "saved")
    return Reply(cards=(Card(title="Saved for later", body="It's in your reading list in /progress."),))


async def next_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    member = await call.member()
    if args:
        pid = _paper_arg(call, args)
        row = await call.session.get(MemberPaper, (member.id, pid))
        if row is not None and row.status == "sent":
            row.status = "passed"
            row.updated_at = call.now()
    return await another_paper(call, member)


_SHELF = MemberPaper.__table__
# Read-only rows: /progress only shows the shelf.
_SHELF_ROWS = select(_SHELF.c.paper_id, _SHELF.c.status, _SHELF.c.rating, _SHELF.c.updated_at).where(
    _SHELF.c.member_id == bindparam("member_id")
)


async def progress_section(call: Call, member_id: int) -> str:
    conn = await call.session.connection()
    rows = (await conn.execute(_SHELF_ROWS, {"member_id": member_id})).all()
    if not rows:
        return ""
    read = [r for r in rows if r.status == "read"]
    saved = [r for r in rows if r.status == "saved"]

    async def name(pid: str) -> str:
        return await _title(call, pid) or f"{pid} ({REMOVED})"

    lines = [f"\n\n**Reading** · {len(read)} read · {len(saved)} saved"]
    for r in sorted(read, key=lambda r: r.updated_at, reverse=True)[:5]:
        stars = f" ({r.rating}/5)" if r.rating else ""
        lines.append(f"📗 {await name(r.paper_id)}{stars}")
    for r in sorted(saved, key=lambda r: r.updated_at, reverse=True)[:5]:
        lines.append(f"🔖 {await name(r.paper_id)}")
    return "\n".join(lines)


def annotate_export(catalog: Catalog, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the title (or 'removed from catalogue') to exported member_papers rows."""
    out = []
    for row in rows:
        paper = catalog.papers.get(str(row.get("paper_id")))
        extra: dict[str, Any]
        if paper is not None:
            extra = {"title": paper.title, "in_catalogue": True}
        elif row.get("source") == "arxiv":
            extra = {"in_catalogue": False, "note": "arXiv preprint from the live source"}
        else:
            extra = {"in_catalogue": False, "note": REMOVED}
        out.append({**row, **extra})
    return out


ACTIONS = {
    "paper:read": read_action,
    "paper:rate": rate_action,
    "paper:save": save_action,
    "paper:next": next_action,
    "paper:new": new_action,
}
