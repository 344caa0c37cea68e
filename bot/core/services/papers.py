"""/paper: a paper matched to the member's track and level, never one they've had."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from bot.core.call import Call
from bot.core.errors import UserError
from bot.core.replies import Button, Card, Field, Reply
from bot.core.services import levels as levels_service
from content.schema import Catalog, Paper
from storage import repo
from storage.models import Member, MemberPaper

LEVEL_NAMES = {1: "approachable", 2: "intermediate", 3: "demanding"}


async def member_tracks(call: Call, member: Member) -> list[str]:
    plan = await repo.active_plan(call.session, member.id)
    if plan is None:
        return []
    if plan.kind == "roadmap":
        return [plan.ref_id]
    path = call.catalog.paths.get(plan.ref_id)
    if path is None:
        return []
    seen: list[str] = []
    for phase in path.phases:
        for ref in phase.topics:
            rid = ref.partition("/")[0]
            if rid not in seen:
                seen.append(rid)
    return seen


def choose(catalog: Catalog, tracks: list[str], level: int, exclude: set[str]) -> Paper | None:
    """Best fit: on-track at the member's level, then easier, then harder, then any track."""
    pool = [p for p in catalog.papers.values() if p.id not in exclude]
    on_track = [p for p in pool if not tracks or set(p.tracks) & set(tracks)]
    for candidates in (on_track, pool):
        for lvl in (level, *sorted({1, 2, 3} - {level}, key=lambda x: (abs(x - level), x))):
            fits = [p for p in candidates if p.level == lvl]
            if fits:
                return sorted(fits, key=lambda p: (p.year, p.id))[0]
    return None


async def history(call: Call, member_id: int) -> dict[str, MemberPaper]:
    rows = (
        await call.session.execute(select(MemberPaper).where(MemberPaper.member_id == member_id))
    ).scalars()
    return {r.paper_id: r for r in rows}


async def pick_for(call: Call, member: Member) -> Paper | None:
    """Choose and record the member's next paper (status 'sent')."""
    seen = await history(call, member.id)
    level = levels_service.overall_level(await levels_service.current_levels(call.session, member.id))
    paper = choose(call.catalog, await member_tracks(call, member), level, set(seen))
    if paper is not None:
        call.session.add(
            MemberPaper(
                member_id=member.id,
                paper_id=paper.id,
                status="sent",
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
        title=f"{title_prefix}{paper.title}"[:250],
        body=f"{paper.why}\n\n**Questions to think about**\n{questions}",
        fields=(
            Field("Authors", authors[:200], inline=False),
            Field("Year", str(paper.year)),
            Field("Level", LEVEL_NAMES[paper.level]),
            Field("Reading time", f"about {paper.minutes} min"),
        ),
        url=paper.link,
    )


def paper_buttons(paper: Paper) -> tuple[Button, ...]:
    return (
        Button("Read it", f"paper:read:{paper.id}", "success"),
        Button("Save for later", f"paper:save:{paper.id}"),
        Button("Another one, please", f"paper:next:{paper.id}"),
        Button("Open paper", url=paper.link),
    )


async def paper_command(call: Call) -> Reply:
    member = await call.member()
    paper = await pick_for(call, member)
    if paper is None:
        return Reply(
            cards=(
                Card(
                    title="You've read them all!",
                    body="You've been through every paper in the catalogue.",
                ),
            )
        )
    return Reply(cards=(paper_card(paper, "📄 "),), buttons=paper_buttons(paper))


async def weekly_paper_reply(call: Call, member: Member) -> Reply | None:
    """The member's paper of the week (recorded as 'sent'), or None when none is left.

    The scheduler calls this for the member 'paper' stream and delivers the reply by DM.
    """
    paper = await pick_for(call, member)
    if paper is None:
        return None
    return Reply(
        text="Your paper for this week",
        cards=(paper_card(paper, "📄 "),),
        buttons=paper_buttons(paper),
    )


def _paper_arg(call: Call, args: list[str]) -> str:
    pid = ":".join(args)
    if not pid:
        raise UserError("That paper button is broken. Run /paper for a fresh one.")
    return pid


async def _mark(call: Call, pid: str, status: str, rating: int | None = None) -> MemberPaper:
    member = await call.member()
    row = await call.session.get(MemberPaper, (member.id, pid))
    if row is None:
        if pid not in call.catalog.papers:
            raise UserError("That paper is no longer in the catalogue.")
        row = MemberPaper(
            member_id=member.id,
            paper_id=pid,
            status=status,
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
    title = call.catalog.papers[pid].title if pid in call.catalog.papers else pid
    rate = tuple(Button("★" * n, f"paper:rate:{pid}:{n}") for n in range(1, 6))
    return Reply(
        cards=(
            Card(
                title="Nice, marked as read",
                body=f"**{title}**\n\nHow was it? Rating is optional.",
                tone="success",
            ),
        ),
        buttons=rate,
    )


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
    return await paper_command(call)


async def progress_section(call: Call, member_id: int) -> str:
    rows = await history(call, member_id)
    if not rows:
        return ""
    read = [r for r in rows.values() if r.status == "read"]
    saved = [r for r in rows.values() if r.status == "saved"]

    def name(pid: str) -> str:
        p = call.catalog.papers.get(pid)
        return p.title if p else f"{pid} (removed from catalogue)"

    lines = [f"\n\n**Reading** · {len(read)} read · {len(saved)} saved"]
    for r in sorted(read, key=lambda r: r.updated_at, reverse=True)[:5]:
        stars = f" ({r.rating}/5)" if r.rating else ""
        lines.append(f"📗 {name(r.paper_id)}{stars}")
    for r in saved[:5]:
        lines.append(f"🔖 {name(r.paper_id)}")
    return "\n".join(lines)


COMMANDS = {"paper": paper_command}
ACTIONS = {
    "paper:read": read_action,
    "paper:rate": rate_action,
    "paper:save": save_action,
    "paper:next": next_action,
}
