"""A catalogue paper with neither an arXiv id nor a DOI ('url:<slug>' id) works end to end."""

from __future__ import annotations

from bot.core.features.reading_group import handlers as reading_group
from bot.core.replies import ACTION_MAX, choices_of, render_text
from bot.runtime import build_app
from tests.conftest import make_settings
from tests.papers.conftest import enrol, key

PID = "url:hidden-technical-debt-in-ml-systems"


async def test_a_url_paper_is_sent_linked_rated_and_never_repeated(db_url, clock, catalog) -> None:
    paper = catalog.papers[PID]
    only = catalog.model_copy(update={"papers": {PID: paper}})
    app = build_app(make_settings(db_url), clock=clock, catalog=only)
    try:
        who = key("classic")
        await enrol(app, who, "mlops")
        reply = await app.engine.command(who, "paper")
        actions = [a for _, a in choices_of(reply)]
        assert f"paper:read:{PID}" in actions
        links = [b.url for b in reply.buttons if b.url]
        assert links == [str(paper.url)] and reply.cards[0].url == str(paper.url)
        assert len(f"paper:rate:{PID}:5") <= ACTION_MAX

        assert not (await app.engine.action(who, f"paper:read:{PID}")).error
        assert not (await app.engine.action(who, f"paper:rate:{PID}:5")).error
        assert f"{paper.title} (5/5)" in render_text(await app.engine.command(who, "progress"))
        # read once, never picked again
        again = await app.engine.command(who, "paper")
        assert f"paper:read:{PID}" not in [a for _, a in choices_of(again)]

        post = reading_group.post_reply(paper, 1, "")
        assert [b.url for b in post.buttons if b.url] == [str(paper.url)]
    finally:
        await app.close()
