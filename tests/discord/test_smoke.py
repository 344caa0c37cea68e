from __future__ import annotations

from tests.fakes.discord_fake import FakeDiscord


async def test_connects_and_answers_help(bot, fake: FakeDiscord) -> None:
    assert fake.identifies
    assert fake.calls_to("PUT", r"/applications/\d+/commands$")
    n = len(fake.calls)
    await fake.slash("help")
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=n)
    assert call.body["type"] == 4
    assert call.body["data"]["flags"] == 64
    assert call.body["data"]["embeds"]
