"""Reading history: /progress and the data export, including papers later removed from the catalogue."""

from __future__ import annotations

import json

from bot.core.replies import choices_of, render_text
from bot.runtime import App, build_app
from tests.conftest import make_settings
from tests.papers.conftest import enrol, key


def first_pick(reply) -> str:
    return next(a for _, a in choices_of(reply) if a.startswith("paper:read:")).removeprefix("paper:read:")


async def export(app: App, who) -> dict:
    reply = await app.engine.action(who, "privacy:export")
    assert reply.attachment is not None
    return json.loads(reply.attachment.content)


async def test_history_in_progress_and_export(app: App) -> None:
    who = key("reader")
    await enrol(app, who, "ai-agents")
    read_pid = first_pick(await app.engine.command(who, "paper"))
    assert not (await app.engine.action(who, f"paper:read:{read_pid}")).error
    assert not (await app.engine.action(who, f"paper:rate:{read_pid}:4")).error
    saved_pid = first_pick(await app.engine.action(who, f"paper:next:{read_pid}"))
    assert not (await app.engine.action(who, f"paper:save:{saved_pid}")).error

    text = render_text(await app.engine.command(who, "progress"))
    assert "1 read · 1 saved" in text
    assert f"{app.catalog.papers[read_pid].title} (4/5)" in text
    assert app.catalog.papers[saved_pid].title in text

    rows = {r["paper_id"]: r for r in (await export(app, who))["member_papers"]}
    assert rows[read_pid]["status"] == "read" and rows[read_pid]["rating"] == 4
    assert rows[read_pid]["title"] == app.catalog.papers[read_pid].title
    assert rows[saved_pid]["status"] == "saved" and rows[saved_pid]["in_catalogue"] is True


async def test_removed_paper_keeps_its_history(app: App, db_url, clock, catalog) -> None:
    who = key("longtime")
    await enrol(app, who, "mlops")
    pid = first_pick(await app.engine.command(who, "paper"))
    await app.engine.action(who, f"paper:read:{pid}")
    await app.engine.action(who, f"paper:rate:{pid}:5")

    # An editor removes the paper from content/papers.yaml; the bot restarts with the new list.
    edited = catalog.model_copy(update={"papers": {k: v for k, v in catalog.papers.items() if k != pid}})
    later = build_app(make_settings(db_url), clock=clock, catalog=edited)
    try:
        text = render_text(await later.engine.command(who, "progress"))
        assert f"{pid} (removed from catalogue) (5/5)" in text
        rows = {r["paper_id"]: r for r in (await export(later, who))["member_papers"]}
        assert rows[pid]["status"] == "read" and rows[pid]["rating"] == 5
        assert rows[pid]["in_catalogue"] is False and rows[pid]["note"] == "removed from catalogue"
        # Its old buttons still work on the history row instead of failing.
        assert not (await later.engine.action(who, f"paper:rate:{pid}:3")).error
        # A fresh pick carries on normally and never brings it back.
        assert first_pick(await later.engine.command(who, "paper")) != pid
        # A button for a paper the member never had, and that no longer exists, is refused.
        gone = await later.engine.action(key("newcomer"), f"paper:read:{pid}")
        assert gone.error
    finally:
        await later.close()


async def test_group_reads_are_exported(app: App) -> None:
    from tests.papers.test_reading_group import outbox_rows, run_job, set_channel

    await set_channel(app, key("admin"))
    who = key("member")
    await enrol(app, who, "ml-engineer")
    await run_job(app)
    [row] = await outbox_rows(app)
    await app.engine.action(who, f"paper:groupread:{row.payload['community_paper_id']}")
    data = await export(app, who)
    assert [r["community_paper_id"] for r in data["community_paper_reads"]] == [
        row.payload["community_paper_id"]
    ]
    assert {r["paper_id"]: r["source"] for r in data["member_papers"]} == {row.payload["paper_id"]: "group"}


async def test_bad_paper_buttons_change_nothing(app: App) -> None:
    who = key("prodder")
    await app.engine.command(who, "progress")
    for action in ("paper:read", "paper:rate:arxiv:1706.03762:9", "paper:rate", "paper:save:doi:nope"):
        reply = await app.engine.action(who, action)
        assert reply.error, action
    data = await export(app, who)
    assert data["member_papers"] == []
