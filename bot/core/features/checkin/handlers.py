"""/checkin: log study minutes with an optional note; the daily DM's buttons land here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam

from bot.core.call import Call
from bot.core.community import milestones, study_totals
from bot.core.display import day, hours
from bot.core.domain import streaks
from bot.core.domain.logged import logged
from bot.core.errors import UserError
from bot.core.features.review import handlers as review
from bot.core.minutes import parse_minutes
from bot.core.replies import Button, Card, Field, Form, FormField, Reply
from bot.core.services import plan_weeks, studylog
from bot.core.text import clean_user_text, shorten
from storage import repo
from storage.inserts import insert_ignoring_taken
from storage.models import CheckIn, Member, OutboxMessage, PlanItem
from storage.outbox_status import Status

DAY_MINUTES = 24 * 60
NOTE_MAX = 1000
# Where a button-logged entry came from: the check-in DM of that day, or its snoozed copy.
# Each logs at most once per day (the unique key on member, local day and source).
SOURCES = {"": "checkin-dm", "s": "snooze-dm"}
SKIP_SOURCE = "skip"


def checkin_form(for_date: date | None = None, source: str = "") -> Form:
    action = "checkin:log" if for_date is None else f"checkin:log:{for_date.isoformat()}"
    if for_date is not None and source:
        action += f":{source}"
    return Form(
        action=action,
        title="Log your study time",
        fields=(
            FormField("minutes", "Minutes studied", placeholder="e.g. 45, 1h30 or 1:30", max_length=12),
            FormField(
                "note",
                "What did you work on? (optional)",
                style="paragraph",
                required=False,
                max_length=NOTE_MAX,
            ),
        ),
    )


def parse_note(raw: object) -> str:
    try:
        return clean_user_text(str(raw or ""), max_length=NOTE_MAX)
    except ValueError as exc:
        raise UserError(f"Your note {exc}. Please shorten it.") from None


async def checkin_command(call: Call, minutes: int | None = None, note: str | None = None) -> Reply:
    if minutes is None and note is None:
        return Reply(form=checkin_form())
    if minutes is None:
        raise UserError(
            "Tell me how many minutes you studied.",
            hint="e.g. /checkin 30 " + ("read about attention"),
        )
    if note is not None and not parse_note(note):
        raise UserError("Your note is empty. Add a few words, or leave the note out.")
    member = await call.member()
    return await log(call, member, call.today(member), parse_minutes(minutes), parse_note(note))


def _date_arg(call: Call, member: Member, args: list[str]) -> date:
    today = call.today(member)
    if not args or not args[0]:
        return today
    try:
        d = date.fromisoformat(args[0])
    except ValueError:
        raise UserError("That check-in button is broken. Run /checkin instead.") from None
    if d > today or d < today - timedelta(days=1):
        raise UserError(
            f"That check-in was for {day(d)}; it's too late to log it from this button.",
            hint="Use /checkin to log today.",
        )
    return d


def _source(token: str | None) -> str:
    try:
        return SOURCES[token or ""]
    except KeyError:
        raise UserError("That check-in button is broken. Run /checkin instead.") from None


async def log_action(call: Call, args: list[str], values: Mapping[str, str]) -> Reply:
    """`checkin:log[:<date>[:<source>]]`: the form. Opened from a check-in DM, it logs once per DM."""
    member = await call.member()
    d = _date_arg(call, member, args[:1])
    # A dated form was opened from a check-in DM's "other time" button.
    source = _source(args[1] if len(args) > 1 else "") if args and args[0] else None
    if "minutes" not in values:
        raise UserError("Tell me how many minutes you studied.")
    minutes, note = parse_minutes(values["minutes"]), parse_note(values.get("note"))
    return await log(call, member, d, minutes, note, source)


async def done_action(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    """`checkin:done:<date>[:<minutes>[:<source>]]`; without minutes it opens the form."""
    member = await call.member()
    d = _date_arg(call, member, args[:1])
    token = args[2] if len(args) > 2 else ""
    source = _source(token)
    if len(args) < 2 or not args[1]:
        return Reply(form=checkin_form(d, token))
    return await log(call, member, d, parse_minutes(args[1]), "", source)


async def skip_action(call: Call, args: list[str], _values: Mapping[str, str]) -> Reply:
    member = await call.member()
    d = _date_arg(call, member, args[:1])
    existing = await repo.checkins_between(call.session, member.id, d, d)
    done = sum(c.minutes for c in existing if c.kind == "study")
    if done:
        when = "today" if d == call.today(member) else f"for {day(d)}"
        raise UserError(
            f"You've already logged {logged(done)} {when}, so it isn't a skipped day.",
            hint="Studied more? Log it with /checkin.",
        )
    before = await studylog.streak(call, member)
    inserted = await _insert_once(
        call,
        member,
        {
            "member_id": member.id,
            "local_date": d,
            "kind": "skip",
            "minutes": 0,
            "note": "",
            "topics": [],
            "source": SKIP_SOURCE,
            "created_at": call.now(),
        },
    )
    if inserted:
        studylog.forget_logs(call, member)
    after = await studylog.streak(call, member)
    today = d == call.today(member)
    return Reply(cards=(Card(title="Rest day noted", body=_rest_day_text(before, after, today)),))


async def open_form(call: Call, _args: list[str], _values: Mapping[str, str]) -> Reply:
    return Reply(form=checkin_form())


def _rest_day_text(before: streaks.Streak, after: streaks.Streak, today: bool) -> str:
    """What a skip did to the streak, from the streak just before it and just after it."""
    if before.current == 0:
        return "No problem. Rest when you need to; a new streak starts with your next logged day."
    if after.current > 0:
        back = "if you're back tomorrow" if today else "if you keep logging"
        return (
            f"No problem. This week's streak freeze covers {'today' if today else 'that day'}, so "
            f"your streak is safe {back}. Current streak: {studylog.streak_text(after)}."
        )
    n = before.current
    return (
        "No problem. This week's streak freeze is already used, so "
        f"{'today' if today else 'that day'} ends your streak of {n} day{'s' if n != 1 else ''}; "
        "log tomorrow to start again."
    )


def _insert_statement(dialect: str):  # type: ignore[no-untyped-def]
    """A check-in insert that writes nothing when its (member, day, source) is taken."""
    return insert_ignoring_taken(_CHECKINS, dialect, ["member_id", "local_date", "source"])


async def _insert_once(call: Call, member: Member, values: dict[str, Any]) -> bool:
    """Insert one check-in of `member`; False when its source already logged that day."""
    conn = await call.session.connection()
    result = await conn.execute(_insert_statement(conn.dialect.name), values)
    if result.rowcount:
        await study_totals.record(conn, member, values)
    return bool(result.rowcount)


async def _day_total(call: Call, member: Member, d: date) -> int:
    existing = await repo.checkins_between(call.session, member.id, d, d)
    return sum(c.minutes for c in existing if c.kind == "study")


async def log(
    call: Call, member: Member, d: date, minutes: int, note: str, source: str | None = None
) -> Reply:
    """Record study time against the topic in progress (or the next one), moving it on.

    An entry from a message's button carries that message as `source`: the database keeps one
    per member, day and source, so a second press of the same button logs nothing.

    Written as plain statements: a check-in is a hot path, and the ORM's unit of work
    for one new row and one changed state costs more than the rest of the command.
    """
    when = "today" if d == call.today(member) else f"for {day(d)}"
    total = await _day_total(call, member, d)
    if total + minutes > DAY_MINUTES:
        room = DAY_MINUTES - total
        raise UserError(
            f"That would make {logged(total + minutes)} {when}, and a day has 24 hours. "
            + (f"You can add at most {logged(room)} more." if room else "That day is full."),
            hint="Logged the wrong amount? Tell an admin, or log a smaller number.",
        )
    plan = await repo.active_plan_row(call.session, member.id)
    items = await repo.plan_item_rows(call.session, plan.id) if plan else []
    # The day's first topic (plan_weeks): never one of a phase that hasn't opened on that day.
    open_now = None
    if plan is not None:
        open_now = plan_weeks.week_topics(call, plan, items, plan_weeks.week_number(plan.start_date, d))
    touched = open_now.topics[:1] if open_now else []
    refs = [f"{i.roadmap_id}/{i.topic_id}" for i in touched]
    values = {
        "member_id": member.id,
        "local_date": d,
        "kind": "study",
        "minutes": minutes,
        "note": note,
        "topics": refs,
        "source": source,
        "created_at": call.now(),
    }
    if not await _insert_once(call, member, values):
        raise UserError(
            f"That check-in is already logged, so I didn't add it again. "
            f"You have {logged(total)} {when} in all.",
            hint="Studied more? Log it with /checkin.",
        )
    conn = await call.session.connection()
    # A snoozed copy of that day's check-in would ask again how the day went: it is not sent.
    await conn.execute(_DROP_SNOOZE, {"snooze_key": f"checkin-snooze:{member.id}:{d.isoformat()}"})
    studylog.forget_logs(call, member)
    await review.enqueue_topics(call, member, [i.topic_id for i in touched])
    finished = []
    if touched:
        spent = await studylog.topic_minutes(call, member)
        for item in touched:
            state = item.state
            if spent.get(f"{item.roadmap_id}/{item.topic_id}", 0) >= item.hours * 60:
                state = "done"
                finished.append(item)
            elif state == "todo":
                state = "learning"
            if state != item.state:
                await conn.execute(_ITEM_STATE, {"item_id": item.id, "state": state, "now": call.now()})
    st = await studylog.streak(call, member)
    week = await studylog.week_minutes(call, member, call.today(member))
    fields = [
        Field("Streak", studylog.streak_text(st)),
        Field("This week", f"{logged(week)} of {hours(member.hours_per_week)}"),
    ]
    body_lines = []
    buttons: list[Button] = []
    for item in touched:
        title = _title(call, item)
        if item in finished:
            body_lines.append(f"That completes **{title}**. Nice work!")
        else:
            body_lines.append(f"Counted towards **{title}**.")
            buttons.append(Button(f"Mark '{shorten(title, 40)}' done", f"topic:done:{item.id}", "success"))
    if open_now is not None and open_now.waiting is not None:
        body_lines.append(plan_weeks.waiting_text(call, open_now))
    elif not touched:
        body_lines.append("Pick a plan with /learn and I'll track your topics too.")
    if st.frozen_days:
        body_lines.append(f"A streak freeze covered {day(st.frozen_days[0])}.")
    buttons.append(Button("Progress", "progress:show"))
    reply = Reply(
        cards=(
            Card(
                title=f"Logged {logged(minutes)} {when}",
                body="\n".join(body_lines),
                fields=tuple(fields),
                tone="success",
            ),
        ),
        buttons=tuple(buttons),
    )
    after = milestones.after_finishing(items, finished)
    earned = milestones.from_streak(st.current) + milestones.from_plan(after)
    return await milestones.celebrate(call, member, reply, earned)


_CHECKINS = CheckIn.__table__
_OUTBOX = OutboxMessage.__table__
_DROP_SNOOZE = (
    _OUTBOX.update()
    .where(_OUTBOX.c.key == bindparam("snooze_key"), _OUTBOX.c.status == Status.PENDING)
    .values(status=Status.DROPPED, last_error="already logged")
)
_ITEMS = PlanItem.__table__
_ITEM_STATE = (
    _ITEMS.update()
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(state=bindparam("state"), updated_at=bindparam("now"))
)


def _title(call: Call, item: Any) -> str:
    found = call.catalog.resolve_topic(f"{item.roadmap_id}/{item.topic_id}")
    return found[1].title if found else item.topic_id


ACTIONS = {
    "checkin:log": log_action,
    "checkin:done": done_action,
    "checkin:skip": skip_action,
    "checkin:open": open_form,
}
