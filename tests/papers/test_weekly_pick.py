"""The member's weekly paper: on track, at level, never repeated, moving up with the level."""

from __future__ import annotations

from datetime import timedelta

from bot.core.call import Call
from bot.core.features.papers import handlers as papers
from bot.core.replies import choices_of
from bot.runtime import App
from storage.models import MemberPaper
from tests.papers.conftest import enrol, in_call, key, set_levels

AREAS = (
    "python",
    "linear-algebra",
    "calculus",
    "probability-statistics",
    "classical-ml",
    "deep-learning",
    "llm-prompting",
    "ai-agents",
    "mlops",
    "ai-security",
)


def all_areas(level: int) -> dict[str, int]:
    return dict.fromkeys(AREAS, level)


async def weekly(app: App, who) -> tuple[str | None, object]:
    async def run(call: Call):
        member = await call.member()
        reply = await papers.weekly_paper_reply(call, member)
        if reply is None:
            return None, None
        pid = next(a for _, a in choices_of(reply) if a.startswith("paper:read:")).removeprefix("paper:read:")
        return pid, reply

    return await in_call(app, who, run)


async def test_a_simulated_year_never_repeats_and_follows_track_and_level(app: App) -> None:
    who = key("yearlong")
    await enrol(app, who, "ml-engineer")
    await set_levels(app, who, all_areas(1))
    level_from_week = {13: 2, 39: 3}
    level = 1
    seen: list[str] = []
    for week in range(52):
        if week in level_from_week:
            level = level_from_week[week]
            await set_levels(app, who, all_areas(level))
        pid, _reply = await weekly(app, who)
        assert pid is not None, f"nothing left in week {week}"
        paper = app.catalog.papers[pid]
        assert "ml-engineer" in paper.tracks, (week, pid)
        assert paper.level == level, (week, pid, paper.level, level)
        assert pid not in seen, f"{pid} repeated in week {week}"
        seen.append(pid)
        # Members answer differently from week to week; none of it may bring a paper back.
        if week % 4 == 1:
            assert not (await app.engine.action(who, f"paper:read:{pid}")).error
        elif week % 4 == 2:
            assert not (await app.engine.action(who, f"paper:save:{pid}")).error
        app.clock.advance(timedelta(days=7))
    assert len(set(seen)) == 52


async def test_weekly_reply_has_read_save_and_another_buttons(app: App) -> None:
    who = key("buttons")
    await enrol(app, who, "ai-red-teaming")
    pid, reply = await weekly(app, who)
    assert pid is not None
    actions = [a for _, a in choices_of(reply)]
    assert actions == [f"paper:read:{pid}", f"paper:save:{pid}", f"paper:next:{pid}"]
    assert reply.text == "Your paper for this week"
    assert "ai-red-teaming" in app.catalog.papers[pid].tracks

    async def status(call: Call) -> str:
        member = await call.member()
        row = await call.session.get(MemberPaper, (member.id, pid))
        return row.status

    assert await in_call(app, who, status) == "sent"


async def test_skips_read_saved_and_passed_papers(app: App) -> None:
    who = key("skipper")
    await enrol(app, who, "mlops")
    first = await app.engine.command(who, "paper")
    pid1 = next(a for _, a in choices_of(first) if a.startswith("paper:next:")).removeprefix("paper:next:")
    second = await app.engine.action(who, f"paper:next:{pid1}")
    pid2 = next(a for _, a in choices_of(second) if a.startswith("paper:read:")).removeprefix("paper:read:")
    assert pid2 != pid1
    await app.engine.action(who, f"paper:save:{pid2}")
    third, _ = await weekly(app, who)
    assert third not in {pid1, pid2}

    async def statuses(call: Call) -> dict[str, str]:
        member = await call.member()
        return {k: v.status for k, v in (await papers.history(call, member.id)).items()}

    got = await in_call(app, who, statuses)
    assert got[pid1] == "passed" and got[pid2] == "saved" and got[third] == "sent"


async def test_level_follows_the_areas_the_track_teaches(app: App) -> None:
    who = key("specialist")
    await enrol(app, who, "ai-red-teaming")
    # Advanced in security, new to everything else: red-teaming picks are demanding ones.
    await set_levels(app, who, {**all_areas(0), "ai-security": 3})
    pid, _ = await weekly(app, who)
    assert app.catalog.papers[pid].level == 3


async def test_nothing_left_returns_none(app: App, catalog) -> None:
    who = key("bookworm")

    async def read_everything(call: Call) -> None:
        member = await call.member()
        for pid in catalog.papers:
            call.session.add(
                MemberPaper(
                    member_id=member.id,
                    paper_id=pid,
                    status="read",
                    sent_at=call.now(),
                    updated_at=call.now(),
                )
            )

    await in_call(app, who, read_everything)
    pid, reply = await weekly(app, who)
    assert pid is None and reply is None
    on_demand = await app.engine.command(who, "paper")
    assert "read them all" in on_demand.cards[0].title


async def test_path_member_reads_for_the_roadmap_they_are_on_now(app: App) -> None:
    who = key("pathfinder")
    await enrol(app, who, "developer-fast-track")

    async def tracks(call: Call) -> list[str]:
        return await papers.member_tracks(call, await call.member())

    got = await in_call(app, who, tracks)
    assert got[0] == "ml-engineer"
    assert set(got) >= {"ml-engineer", "prompt-engineering", "ai-engineer"}
    pid, _ = await weekly(app, who)
    assert "ml-engineer" in app.catalog.papers[pid].tracks
