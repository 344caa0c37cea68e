"""/paper shows this week's paper again; a new one is a separate, explicit step."""

from __future__ import annotations

from datetime import timedelta

from bot.core.call import Call
from bot.core.features.papers import handlers as papers
from bot.core.replies import choices_of
from bot.runtime import App
from tests.papers.conftest import enrol, in_call, key


def pick(reply) -> str:
    return next(a for _, a in choices_of(reply) if a.startswith("paper:read:")).removeprefix("paper:read:")


async def sent(app: App, who) -> set[str]:
    async def run(call: Call) -> set[str]:
        member = await call.member()
        return {k for k, v in (await papers.history(call, member.id)).items()}

    return await in_call(app, who, run)


async def test_paper_twice_shows_the_same_paper_and_uses_up_one(app: App) -> None:
    who = key("again")
    await enrol(app, who, "mlops")
    first = await app.engine.command(who, "paper")
    second = await app.engine.command(who, "paper")
    assert pick(first) == pick(second)
    assert "again" in second.text and "Another one, please" in second.text
    assert await sent(app, who) == {pick(first)}


async def test_another_one_is_explicit_and_then_sticks(app: App) -> None:
    who = key("more")
    await enrol(app, who, "mlops")
    first = pick(await app.engine.command(who, "paper"))
    another = next(a for label, a in choices_of(await app.engine.command(who, "paper")) if "Another" in label)
    second = pick(await app.engine.action(who, another))
    assert second != first
    assert pick(await app.engine.command(who, "paper")) == second
    assert await sent(app, who) == {first, second}


async def test_the_weekly_dm_paper_is_what_paper_shows(app: App) -> None:
    who = key("dm")
    await enrol(app, who, "ai-agents")

    async def weekly(call: Call):
        return await papers.weekly_paper_reply(call, await call.member())

    dm = await in_call(app, who, weekly)
    assert pick(await app.engine.command(who, "paper")) == pick(dm)


async def test_a_new_week_brings_a_new_paper(app: App, clock) -> None:
    who = key("weekly")
    await enrol(app, who, "mlops")
    first = pick(await app.engine.command(who, "paper"))
    clock.advance(timedelta(days=7))
    assert pick(await app.engine.command(who, "paper")) != first


async def test_a_read_paper_is_not_shown_again(app: App) -> None:
    who = key("reader")
    await enrol(app, who, "mlops")
    first = pick(await app.engine.command(who, "paper"))
    await app.engine.action(who, f"paper:read:{first}")
    assert pick(await app.engine.command(who, "paper")) != first
