"""What the scheduled DMs say: the daily check-in, the weekly nudge and the reassessment
reminder, plus the check-in's snooze button.

The scheduler builds these when a slot falls due and keeps the rendered reply in
the outbox, so what is delivered is what was true at the due time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import outbox, schedule
from bot.core.call import Call
from bot.core.clock import zone
from bot.core.domain.logged import logged
from bot.core.errors import UserError
from bot.core.format import bullet, day, hours
from bot.core.replies import Button, Card, Field, Reply
from bot.core.services import papers, progress, schedules, studylog
from storage import repo
from storage.models import Member, PlanItem

SNOOZE = timedelta(hours=2)


def _topic_title(call: Call, item: PlanItem) -> str | None:
    found = call.catalog.resolve_topic(f"{item.roadmap_id}/{item.topic_id}")
    return found[1].title if found else None


def checkin_buttons(d: date, snooze: bool = True) -> tuple[Button, ...]:
    iso = d.isoformat()
    buttons = [
        Button("Done: 30 min", f"checkin:done:{iso}:30", "success"),
        Button("Done: 1 hour", f"checkin:done:{iso}:60", "success"),
        Button("Done: other time", f"checkin:done:{iso}", "primary"),
        Button("Skipped today", f"checkin:skip:{iso}"),
    ]
    if snooze:
        buttons.append(Button("Remind me in 2 h", f"checkin:snooze:{iso}"))
    return tuple(buttons)


async def checkin_reply(call: Call, member: Member, d: date, snooze: bool = True) -> Reply:
    """The daily check-in DM for the member's local day `d`."""
    st = await studylog.streak(call, member)
    plan = await repo.active_plan(call.session, member.id)
    if plan is None:
        body = "What did you study today? Log it below. Pick a plan with /learn and I'll suggest a topic."
    else:
        items = await repo.plan_items(call.session, plan.id)
        suggestion = await progress.suggest_today(call, member, items)
        lines = [
            f"**{title}** · about {minutes} min"
            for item, minutes in suggestion
            if (title := _topic_title(call, item)) is not None
        ]
        body = (
            "Today's task:\n" + bullet(lines) + "\n\nHow did it go?"
            if lines
            else "Your plan is complete! Log any study you did today."
        )
    streak = studylog.streak_text(st)
    return Reply(
        cards=(
            Card(
                title=f"Daily check-in · {day(d)}",
                body=body,
                fields=(Field("Streak", streak),),
                footer="Turn this off or pick another time in /settings",
            ),
        ),
        buttons=checkin_buttons(d, snooze),
    )


async def nudge_reply(call: Call, member: Member, d: date) -> Reply:
    """The weekly nudge sent on local day `d`: last 7 days' numbers and the coming week's focus."""
    last_start = d - timedelta(days=6)
    logs = await repo.checkins_between(call.session, member.id, last_start, d)
    minutes = sum(c.minutes for c in logs)
    days_studied = len({c.local_date for c in logs if c.kind == "study"})
    fields = [
        Field("Last 7 days", f"{logged(minutes)} of {hours(member.hours_per_week)}"),
        Field("Days studied", str(days_studied)),
    ]
    plan = await repo.active_plan(call.session, member.id)
    if plan is None:
        return Reply(
            cards=(
                Card(
                    title="Your week ahead",
                    body="Pick a roadmap or path and I'll plan each week for you.",
                    fields=tuple(fields),
                ),
            ),
            buttons=(Button("Pick a plan", "learn:list:all", "primary"),),
        )
    items = await repo.plan_items(call.session, plan.id)
    coming = d + timedelta(days=1)
    week_no = max(1, (coming - plan.start_date).days // 7 + 1)
    open_items = studylog.current_items(items)
    focus = [i for i in open_items if i.week <= week_no] or open_items[:2]
    titles = [t for i in focus[:4] if (t := _topic_title(call, i)) is not None]
    pace = await studylog.pace(call, member, plan, items)
    fields += studylog.pace_fields(pace)
    verdict = studylog.VERDICTS[pace.status]
    body = (
        f"{verdict}\n\n**Focus for week {week_no}**\n" + bullet(titles)
        if titles
        else f"{verdict}\n\nEvery topic in your plan is done. Pick your next one with /learn."
    )
    return Reply(
        cards=(Card(title=f"Your week ahead · {plan.title}", body=body, fields=tuple(fields)),),
        buttons=(
            Button("Today", "today:show:x", "primary"),
            Button("Whole plan", "learn:plan:x"),
            Button("Progress", "progress:show:x"),
        ),
    )


def reassess_reply(last: datetime | None, tz: ZoneInfo) -> Reply:
    when = f" on {day(last.astimezone(tz).date())}" if last else ""
    return Reply(
        cards=(
            Card(
                title="Time for a fresh assessment?",
                body=f"Your last assessment was{when}, about three months ago. A new one takes a few "
                "minutes and updates your levels, so your plan and papers keep fitting you.",
            ),
        ),
        buttons=(Button("Start the assessment", "assess:start:ai", "primary"),),
    )


async def reply_for(call: Call, member: Member, stream: str, due: datetime) -> Reply | None:
    """The message for a slot, or None when there is nothing worth sending."""
    d = schedule.local_day(due, member)
    if stream == "checkin":
        return await checkin_reply(call, member, d)
    if stream == "nudge":
        return await nudge_reply(call, member, d)
    if stream == "paper":
        return await papers.weekly_paper_reply(call, member)
    if stream == "reassess":
        last = await schedules.last_assessed(call.session, member.id)
        return reassess_reply(last, zone(member.timezone))
    return None


async def snooze_action(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    """`checkin:snooze:<date>`: the same check-in again in two hours, once per day."""
    member = await call.member()
    try:
        d = date.fromisoformat(args[0]) if args else call.today(member)
    except ValueError:
        raise UserError("That snooze button is broken. Run /checkin instead.") from None
    now = call.now()
    if d != call.today(member):
        raise UserError("That check-in is from another day, so it can't be snoozed.", hint="Use /checkin.")
    ends = schedule.end_of_local_day(d, zone(member.timezone))
    at = now + SNOOZE
    if at >= ends:
        raise UserError("It's too late today to snooze until later.", hint="Log it now with /checkin.")
    added = await outbox.add_dm(
        call.session,
        member,
        key=f"checkin-snooze:{member.id}:{d.isoformat()}",
        stream="checkin",
        reply=await checkin_reply(call, member, d, snooze=False),
        now=now,
        not_before=at,
        expires_at=ends,
    )
    local = at.astimezone(zone(member.timezone))
    if added is None:
        return Reply(cards=(Card(title="Already snoozed", body="I'll remind you once more later today."),))
    return Reply(
        cards=(Card(title="Snoozed", body=f"I'll remind you again at {local:%H:%M}."),),
    )


COMMANDS: dict = {}
ACTIONS = {"checkin:snooze": snooze_action}
