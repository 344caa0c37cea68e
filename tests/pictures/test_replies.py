"""The pictures in /progress, /assess and /admin stats state the numbers the text states, from the
same rules; the member setting turns them off; the outbox codec carries drawn bytes."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.memory import MemberDriver
from bot.core.call import Context
from bot.core.display import day
from bot.core.domain.logged import logged
from bot.core.identity import MemberKey
from bot.core.pictures import burnup, heatmap, skills
from bot.core.pictures.community import CommunityCounts
from bot.core.replies import Image, Reply, choices_of
from bot.core.reply_codec import reply_from_dict, reply_to_dict

ALICE = MemberKey("test", "guild-1", "alice")
PNG = b"\x89PNG\r\n\x1a\n"


def _fields(reply) -> dict[str, str]:
    return {f.name: f.value for c in reply.cards for f in c.fields}


def _images(reply) -> dict[str, Image]:
    return {i.filename: i for i in reply.images}


async def test_progress_pictures_state_the_same_numbers_as_the_text(app, clock):
    m = MemberDriver(app.engine, ALICE)
    await m.act("learn:enrol:ai-engineer")
    for back in (0, 1, 3):  # day 2 is missed: a freeze covers it
        await m.say("/checkin 50 studied")
        if back != 3:
            clock.advance(timedelta(days=1 if back == 0 else 2))
    clock.advance(timedelta(days=1))
    await m.say("/checkin 30 more")
    reply = await m.command("progress")
    fields = _fields(reply)
    images = _images(reply)
    assert set(images) == {"study-heatmap.png", "plan-burnup.png"}
    for image in images.values():
        assert image.png.startswith(PNG) and image.alt
    heat = images["study-heatmap.png"].spec
    assert isinstance(heat, heatmap.HeatmapSpec)
    assert fields["Streak"].startswith(f"{heat.current_streak} day")
    assert f"best {heat.best_streak}" in fields["Streak"]
    assert len(heat.frozen) == 1
    assert sum(m for _, m in heat.minutes) == 180
    burn = images["plan-burnup.png"].spec
    assert isinstance(burn, burnup.BurnupSpec)
    assert fields["Plan finish"] == day(burn.plan_finish)
    assert burn.planned[-1][0] == burn.plan_finish  # the planned line ends on the plan's own date
    assert fields["Hours logged"].startswith(logged(burnup.logged_minutes(burn)))
    if "Projected finish" in fields:
        assert fields["Projected finish"] in images["plan-burnup.png"].alt
    for name in ("Plan finish", "Pace"):
        assert f"{name}: {fields[name]}" in images["plan-burnup.png"].alt


async def test_paused_days_are_marked_on_the_heatmap(app, clock):
    m = MemberDriver(app.engine, ALICE)
    await m.say("/checkin 20 warm-up")
    today = clock.now().date()
    await m.say(f"/settings pause_until:{today + timedelta(days=3)}")
    clock.advance(timedelta(days=2))
    reply = await m.command("progress")
    heat = _images(reply)["study-heatmap.png"].spec
    assert today in heat.paused and today + timedelta(days=2) in heat.paused
    assert today + timedelta(days=3) not in heat.paused  # never past today


async def test_no_log_means_no_heatmap(app):
    m = MemberDriver(app.engine, ALICE)
    reply = await m.command("progress")
    assert reply.images == ()


async def test_pictures_off_is_a_setting_shown_and_changed_in_settings(app):
    m = MemberDriver(app.engine, ALICE)
    await m.say("/checkin 20 warm-up")
    await m.say("/settings")
    assert _fields(m.last)["Pictures"] == "on"
    await m.press("Turn pictures off")
    assert m.last.text == "Saved. Pictures: off."
    assert _fields(m.last)["Pictures"] == "off (text only)"
    assert (await m.command("progress")).images == ()
    await m.act("settings:images:off")
    assert m.last.text == "Pictures are already off."
    await m.say("/settings images:on")
    assert (await m.command("progress")).images


async def test_a_bad_pictures_value_is_refused_and_changes_nothing(app):
    m = MemberDriver(app.engine, ALICE)
    await m.say("/settings images:maybe")
    assert m.last.error
    await m.act("settings:images:sideways")
    assert m.last.error and "broken" in m.text
    await m.say("/settings")
    assert _fields(m.last)["Pictures"] == "on"


async def test_admin_stats_card_counts_the_community(app, clock):
    admin = MemberDriver(app.engine, ALICE, Context(is_admin=True))
    bob = MemberDriver(app.engine, MemberKey("test", "guild-1", "bob"))
    await bob.act("learn:enrol:ai-agents")
    await bob.say("/checkin 90 read")
    await admin.say("/checkin 30 read")
    reply = await admin.say("/admin stats")
    card = _images(reply)["community.png"]
    counts = card.spec
    assert isinstance(counts, CommunityCounts)
    assert counts.active[-1] == 2 and counts.minutes[-1] == 120
    assert sum(counts.active[:-1]) == 0
    assert dict(counts.roadmaps) == {"AI Agents Developer": 1}
    assert "bob" not in card.alt and "alice" not in card.alt
    assert _fields(reply)["Active this week"] == "2"


async def test_assess_results_carry_the_skill_profile_with_the_previous_result(app):
    m = MemberDriver(app.engine, ALICE)

    async def quiz(correct_first: bool) -> Reply:
        await m.act("assess:start:python")
        for n in range(4):
            answers = [a for _, a in choices_of(m.last) if a.startswith("assess:ans:")]
            if not answers:
                break
            await m.act(answers[0 if correct_first or n else -1])
        return m.last

    first = await quiz(True)
    profile = _images(first).get("skill-profile.png")
    assert profile is not None
    spec = profile.spec
    assert isinstance(spec, skills.SkillSpec)
    assert [name for name, _, _ in spec.areas] == ["Python"]
    assert spec.areas[0][2] is None  # nothing before the first placement
    shown = _fields(first)["Python"]
    assert f"Python {shown}" in profile.alt
    second = await quiz(False)
    again = _images(second)["skill-profile.png"].spec
    assert again.areas[0][2] == spec.areas[0][1]  # the previous placement, drawn beside


def test_the_outbox_codec_keeps_drawn_bytes_and_drops_the_spec():
    reply = Reply(text="x", images=(Image("a.png", "alt", png=PNG + b"data", spec=object()),))
    back = reply_from_dict(reply_to_dict(reply))
    assert back.images == (Image("a.png", "alt", png=PNG + b"data"),)


async def test_a_text_only_surface_gets_no_pictures(app):
    m = MemberDriver(app.engine, ALICE)
    await m.say("/checkin 20 warm-up")
    assert (await m.command("progress")).images
    home = MemberDriver(app.engine, ALICE, Context(text_only=True))
    reply = await home.command("progress")
    assert reply.images == () and "Streak" in home.text


async def test_the_heatmap_counts_days_on_the_members_own_calendar(app, clock):
    m = MemberDriver(app.engine, ALICE)
    await m.say("/settings timezone:Pacific/Kiritimati")  # UTC+14: already tomorrow
    clock.advance(timedelta(hours=2))
    utc_day = clock.now().date()
    await m.say("/checkin 25 late night")
    heat = _images(await m.command("progress"))["study-heatmap.png"].spec
    assert heat.today == utc_day + timedelta(days=1)
    assert heat.minutes == ((heat.today, 25),)
