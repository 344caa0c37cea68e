"""What the scheduled DMs say: the daily check-in, the weekly nudge and the reassessment
reminder, plus the check-in's snooze button.

The scheduler builds these when a slot falls due and keeps the rendered reply in
the outbox, so what is delivered is what was true at the due time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import ids, outbox
from bot.core.call import Call
from bot.core.clock import zone
from bot.core.display import bullet, day, hours, weekday
from bot.core.domain import schedule
from bot.core.domain.logged import logged
from bot.core.errors import UserError
from bot.core.features.papers import handlers as papers
from bot.core.features.progress import handlers as progress
from bot.core.features.review import handlers as review
from bot.core.replies import Button, Card, Field, Reply
from bot.core.services import due_times, memberships, plan_weeks, studylog
from storage import repo
from storage.models import Member, PlanItem

SNOOZE = timedelta(hours=2)


def _topic_title(call: Call, item: PlanItem) -> str | None:
    found = call.catalog.resolve_topic(f"{item.roadmap_id}/{item.topic_id}")
    return found[1].title if found else None


def checkin_buttons(
    d: date, snooze: bool = True, today: bool = True, logged: bool = False, can_snooze: bool = True
) -> tuple[Button, ...]:
    """The check-in's buttons. The snoozed copy (`snooze` False) marks its own so that each
    DM logs once (see checkin.SOURCES). `can_snooze` False leaves out a snooze that would
    only be refused (two hours on is past the day's end or its quiet hours)."""
    iso = d.isoformat()
    source = "" if snooze else ":s"
    verb = "Add" if logged else "Done:"
    buttons = [
        Button(f"{verb} 30 min", f"checkin:done:{iso}:30{source}", "success"),
        Button(f"{verb} 1 hour", f"checkin:done:{iso}:60{source}", "success"),
        Button(f"{verb} other time", f"checkin:done:{iso}" + ("::s" if source else ""), "primary"),
    ]
    if logged:
        return tuple(buttons)
    buttons.append(Button("Skipped today" if today else f"Skipped {weekday(d)}", f"checkin:skip:{iso}"))
    if snooze and today and can_snooze:
        buttons.append(Button("Remind me in 2 h", f"checkin:snooze:{iso}"))
    return tuple(buttons)


async def _community_field(call: Call, member: Member, communities: int) -> tuple[Field, ...]:
    """Names the community when the person is in more than one on this platform."""
    if communities < 2:
        return ()
    return (Field("Community", (await memberships.labels(call.session, [member]))[member.id]),)


async def checkin_reply(
    call: Call,
    member: Member,
    d: date,
    snooze: bool = True,
    communities: int | None = None,
    review_due: int | None = None,
) -> Reply:
    """The daily check-in DM for the member's local day `d`, as things stand when it is sent.

    It adapts to what is already logged for `d`, and to being late: a check-in that quiet hours
    held past midnight says which day it is about, and its buttons log to that day.
    `review_due` is the member's count of due review cards when the dispatcher read it with
    its claim.
    """
    if communities is None:
        communities = len(await memberships.all_of(call.session, member.platform, member.user_id))
    st = await studylog.streak(call, member)
    today = d == call.today(member)
    logs = await repo.checkins_between(call.session, member.id, d, d)
    done = sum(c.minutes for c in logs if c.kind == "study")
    plan = await repo.active_plan(call.session, member.id)
    title = f"Daily check-in · {day(d)}" if today else f"Check-in for {day(d)}"
    when = "today" if today else f"on {day(d)}"
    if done:
        body = f"You've logged {logged(done)} {when}. Nice work! Studied more since then? Add it below."
    elif not today:
        body = (
            f"This is your check-in for {day(d)}, held until your quiet hours ended. "
            f"How did {weekday(d, long=True)} go? Log it below."
        )
    elif plan is None:
        body = "What did you study today? Log it below. Pick a plan with /learn and I'll suggest a topic."
    else:
        items = await repo.plan_items(call.session, plan.id)
        suggestion = await progress.suggest_today(call, member, plan, items)
        # (not `title`: a walrus in a comprehension binds in this scope, and would rename the DM)
        lines = [
            f"**{name}** · about {minutes} min"
            for item, minutes in suggestion
            if (name := _topic_title(call, item)) is not None
        ]
        week = plan_weeks.today_topics(call, member, plan, items)
        body = (
            "Today's task:\n" + bullet(lines) + "\n\nHow did it go?"
            if lines
            else plan_weeks.waiting_text(call, week) + " Log it below."
            if week.waiting is not None
            else "Your plan is complete! Log any study you did today."
        )
    streak = studylog.streak_text(st)
    review_line, review_buttons = await review.checkin_part(call, member, review_due, communities)
    return Reply(
        cards=(
            Card(
                title=title,
                body=body + review_line,
                fields=(*await _community_field(call, member, communities), Field("Streak", streak)),
                footer="Turn this off or pick another time in /settings",
            ),
        ),
        buttons=checkin_buttons(
            d, snooze, today, bool(done), can_snooze=snooze_at(member, d, call.now()) is not None
        )
        + review_buttons,
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
    week_no = plan_weeks.week_number(plan.start_date, coming)
    week = plan_weeks.week_topics(call, plan, items, week_no)
    titles = [t for i in week.topics[:4] if (t := _topic_title(call, i)) is not None]
    pace = await studylog.pace(call, member, plan, items)
    fields += studylog.pace_fields(pace)
    verdict = studylog.verdict(pace)
    body = (
        f"{verdict}\n\n**Focus for week {week_no}**\n" + bullet(titles)
        if titles
        else f"{verdict}\n\n{plan_weeks.waiting_text(call, week)}"
        if week.waiting is not None
        else f"{verdict}\n\nEvery topic in your plan is done. Pick your next one with /learn."
    )
    return Reply(
        cards=(Card(title=f"Your week ahead · {plan.title}", body=body, fields=tuple(fields)),),
        buttons=(
            Button("Today", "today:show", "primary"),
            Button("Whole plan", "learn:plan"),
            Button("Progress", "progress:show"),
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


async def reply_for(
    call: Call, member: Member, stream: str, due: datetime, review_due: int | None = None
) -> Reply | None:
    """The message for a slot, or None when there is nothing worth sending. Its buttons carry
    the member's community, since one person's DMs are shared by all their memberships."""
    reply = await _reply_for(call, member, stream, due, review_due)
    return ids.scope_reply(reply, member.workspace_id) if reply is not None else None


async def _reply_for(
    call: Call, member: Member, stream: str, due: datetime, review_due: int | None
) -> Reply | None:
    d = schedule.local_day(due, member)
    if stream == "checkin":
        owner, communities = await memberships.primary(call.session, member)
        if owner.id != member.id:
            return None  # one check-in a day per person: another membership sends it
        return await checkin_reply(call, member, d, communities=communities, review_due=review_due)
    if stream == "nudge":
        return await nudge_reply(call, member, d)
    if stream == "paper":
        return await papers.weekly_paper_reply(call, member)
    if stream == "reassess":
        last = await due_times.last_assessed(call.session, member.id)
        return reassess_reply(last, zone(member.timezone))
    return None


def snooze_at(member: Member, d: date, now: datetime) -> datetime | None:
    """When a snooze pressed now would remind: two hours on, or the end of quiet hours if that
    falls inside them; None when that is past the end of day `d`. Never inside quiet hours."""
    ends = schedule.end_of_local_day(d, zone(member.timezone))
    at = now + SNOOZE
    if at < ends and schedule.quiet_now(member, at):
        at = schedule.quiet_ends(member, at)
    return at if at < ends else None


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
    quiet = schedule.quiet_now(member, at)
    if quiet:
        at = snooze_at(member, d, now)
        if at is None:
            raise UserError(
                f"Two hours from now is inside your quiet hours ({member.quiet_start}-{member.quiet_end}), "
                "which last past the end of today, so I can't remind you later today.",
                hint="Log it now with /checkin, or change your quiet hours in /settings.",
            )
    added = await outbox.add_dm(
        call.session,
        member,
        key=f"checkin-snooze:{member.id}:{d.isoformat()}",
        stream="checkin",
        reply=ids.scope_reply(await checkin_reply(call, member, d, snooze=False), member.workspace_id),
        now=now,
        not_before=at,
        expires_at=ends,
    )
    local = at.astimezone(zone(member.timezone))
    if added is None:
        return Reply(cards=(Card(title="Already snoozed", body="I'll remind you once more later today."),))
    body = f"I'll remind you again at {local:%H:%M}."
    if quiet:
        body = (
            "Two hours from now is inside your quiet hours, so "
            f"I'll remind you at {local:%H:%M}, when they end."
        )
    return Reply(cards=(Card(title="Snoozed", body=body),))


ACTIONS = {"checkin:snooze": snooze_action}
